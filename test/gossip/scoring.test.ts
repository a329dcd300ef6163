import { validatePeerScoreParams, validatePeerScoreThresholds } from '@libp2p/gossipsub/score'
import { describe, expect, it } from 'vitest'
import {
  ColocationWhitelist,
  createPawScoreParams,
  createPawScoreThresholds,
  createPawScoring,
  decayFor,
  expectedTopicRates,
  ScoringConfigError,
  validatePawScoring,
} from '../../src/gossip/scoring.ts'
import {
  expectedSteadyScore,
  invalidMessagesToGraylist,
  invalidSenderScore,
} from '../../src/gossip/scoring-model.ts'
import { blockTopic, headerTopic, transactionTopic } from '../../src/gossip/topics.ts'

const devnet = { chainId: 'paw-devnet', blockIntervalMs: 2_000, expectedTxPerSecond: 50 }
const mainnet = { chainId: 'paw-mainnet', blockIntervalMs: 60_000, expectedTxPerSecond: 50 }
const devBlocks = blockTopic('paw-devnet')

describe('decayFor', () => {
  it('halves a counter once per half-life', () => {
    expect(decayFor(10_000, 1_000) ** 10).toBeCloseTo(0.5, 12)
    expect(() => decayFor(0, 1_000)).toThrow()
  })
})

describe('PAW score parameters', () => {
  for (const options of [devnet, mainnet]) {
    it(`for ${options.chainId} pass gossipsub's validators and ours`, () => {
      const { params, thresholds, rates } = createPawScoring(options)
      expect(() => validatePeerScoreParams(params)).not.toThrow()
      expect(() => validatePeerScoreThresholds(thresholds)).not.toThrow()
      expect(Object.keys(params.topics).sort()).toEqual(Object.keys(rates).sort())
      // Scaled to the rates, not gossipsub's default threshold of 20 for ~10 msg/s.
      expect(params.topics[blockTopic(options.chainId)]?.meshMessageDeliveriesThreshold).toBeLessThan(5)
    })
  }

  const cases: [string, (p: ReturnType<typeof createPawScoreParams>) => void, string][] = [
    [
      'mesh threshold',
      (p) => set(p, devBlocks, 'meshMessageDeliveriesThreshold', 20),
      'meshMessageDeliveriesThreshold',
    ],
    [
      'mesh activation',
      (p) => set(p, devBlocks, 'meshMessageDeliveriesActivation', 1_000),
      'meshMessageDeliveriesActivation',
    ],
    [
      'invalid weight sign',
      (p) => set(p, devBlocks, 'invalidMessageDeliveriesWeight', 1),
      'invalidMessageDeliveriesWeight',
    ],
    [
      'weak invalid weight',
      (p) => set(p, devBlocks, 'invalidMessageDeliveriesWeight', -1),
      'invalidMessageDeliveriesWeight',
    ],
    [
      'decay out of range',
      (p) => set(p, devBlocks, 'firstMessageDeliveriesDecay', 1),
      'firstMessageDeliveriesDecay',
    ],
    ['topic weight', (p) => set(p, devBlocks, 'topicWeight', 0), 'topicWeight'],
    ['P2 sign', (p) => set(p, devBlocks, 'firstMessageDeliveriesWeight', -1), 'firstMessageDeliveriesWeight'],
    ['P3 sign', (p) => set(p, devBlocks, 'meshMessageDeliveriesWeight', 1), 'meshMessageDeliveriesWeight'],
  ]
  for (const [name, mutate, field] of cases) {
    it(`names the field for ${name}`, () => {
      const params = createPawScoreParams(devnet)
      mutate(params)
      expect(() =>
        validatePawScoring(params, createPawScoreThresholds(), expectedTopicRates(devnet)),
      ).toThrow(`topics["${devBlocks}"].${field}`)
    })
  }

  const peerCases: [string, Record<string, number>][] = [
    ['appSpecificWeight', { appSpecificWeight: 0 }],
    ['IPColocationFactorWeight', { IPColocationFactorWeight: 0 }],
    ['behaviourPenaltyWeight', { behaviourPenaltyWeight: 1 }],
    ['retainScore', { retainScore: 0 }],
    ['topicScoreCap', { topicScoreCap: 0 }],
  ]
  for (const [field, patch] of peerCases) {
    it(`names ${field}`, () => {
      const params = { ...createPawScoreParams(devnet), ...patch }
      expect(() => validatePawScoring(params, createPawScoreThresholds())).toThrow(ScoringConfigError)
      expect(() => validatePawScoring(params, createPawScoreThresholds())).toThrow(`${field}:`)
    })
  }

  it('names a topic of another chain', () => {
    const params = createPawScoreParams(devnet)
    const foreign = createPawScoreParams(mainnet).topics[blockTopic('paw-mainnet')]
    if (foreign !== undefined) params.topics[blockTopic('paw-mainnet')] = foreign
    expect(() => validatePawScoring(params, createPawScoreThresholds())).toThrow(
      `topics["${blockTopic('paw-mainnet')}"]: belongs to chain paw-mainnet`,
    )
  })

  it('names out-of-order thresholds', () => {
    const params = createPawScoreParams(devnet)
    for (const [patch, field] of [
      [{ gossipThreshold: 0 }, 'thresholds.gossipThreshold'],
      [{ publishThreshold: -50 }, 'thresholds.publishThreshold'],
      [{ graylistThreshold: -200 }, 'thresholds.graylistThreshold'],
      [{ acceptPXThreshold: 0 }, 'thresholds.acceptPXThreshold'],
      [{ opportunisticGraftThreshold: 1_000 }, 'thresholds.opportunisticGraftThreshold'],
    ] as const) {
      expect(() => validatePawScoring(params, createPawScoreThresholds(patch))).toThrow(`${field}:`)
    }
  })

  it('rejects bad options at creation', () => {
    expect(() => createPawScoreParams({ ...devnet, blockIntervalMs: 10 })).toThrow('blockIntervalMs')
    expect(() => createPawScoreParams({ ...devnet, expectedTxPerSecond: 0 })).toThrow('expectedTxPerSecond')
  })
})

describe('the score model', () => {
  for (const options of [devnet, mainnet]) {
    it(`${options.chainId}: an honest peer at the expected rates scores >= 0, from grafting on`, () => {
      const { params, rates } = createPawScoring(options)
      for (const inMeshMs of [0, 10_000, 6 * options.blockIntervalMs, 3_600_000]) {
        expect(expectedSteadyScore(params, rates, { inMeshMs })).toBeGreaterThanOrEqual(0)
      }
      expect(expectedSteadyScore(params, rates, { inMeshMs: 3_600_000, firstShare: 0.3 })).toBeGreaterThan(0)
    })
    it(`${options.chainId}: an invalid-block sender falls below graylist within 3 invalid blocks`, () => {
      const { params, thresholds } = createPawScoring(options)
      const topic = blockTopic(options.chainId)
      expect(invalidMessagesToGraylist(params, thresholds, topic)).toBe(3)
      expect(invalidSenderScore(params, topic, 2, 0)).toBeLessThanOrEqual(thresholds.graylistThreshold)
      expect(invalidMessagesToGraylist(params, thresholds, headerTopic(options.chainId))).toBe(3)
      expect(
        invalidMessagesToGraylist(params, thresholds, transactionTopic(options.chainId)),
      ).toBeLessThanOrEqual(10)
      // One invalid block makes even a peer at the topic cap negative (pruned from the mesh).
      expect(invalidSenderScore(params, topic, 1)).toBeLessThan(0)
    })
  }
  it('a peer whose mesh deliveries stop goes negative (pruned) but is not graylisted', () => {
    const { params, rates } = createPawScoring(devnet)
    const idle = expectedSteadyScore(
      params,
      { [devBlocks]: rates[devBlocks] ?? 0 },
      { inMeshMs: 60_000, meshShare: 0 },
    )
    expect(idle).toBeLessThan(0)
    expect(idle).toBeGreaterThan(createPawScoreThresholds().gossipThreshold)
  })
})

function set(
  params: ReturnType<typeof createPawScoreParams>,
  topic: string,
  field: keyof NonNullable<(typeof params.topics)[string]>,
  value: number,
): void {
  const p = params.topics[topic]
  if (p === undefined) throw new Error(`no ${topic}`)
  p[field] = value
}

describe('the IP colocation whitelist', () => {
  it('exempts every loopback address however written, and the IPs given, nothing else', () => {
    const whitelist = new ColocationWhitelist(['203.0.113.7'])
    for (const ip of [
      '127.0.0.1',
      '127.0.0.2',
      '127.255.1.9',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.5',
    ]) {
      expect(whitelist.has(ip), ip).toBe(true)
    }
    expect(whitelist.has('203.0.113.7')).toBe(true)
    for (const ip of ['10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', 'localhost', '']) {
      expect(whitelist.has(ip), ip).toBe(false)
    }
    expect(
      createPawScoreParams({
        chainId: 'c',
        blockIntervalMs: 1000,
        expectedTxPerSecond: 10,
      }).IPColocationFactorWhitelist.has('127.0.0.3'),
    ).toBe(true)
  })
})
