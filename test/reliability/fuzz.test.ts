/**
 * Issue 9 item 4, "Fuzzing: the wire decoders and every /paw/* handler fed random and
 * mutated input".
 *
 * 1. Every decoder of src/wire (frames, handshake, reject, chain ID, peer list, get_peers,
 *    mempool, blocks) and of src/chain/encoding.ts (the targets of fuzz/decoders.ts, which
 *    the coverage-guided fuzzer runs too), fed random bytes and valid
 *    protocols/*.vectors.json payloads mutated (bit flips, truncations, insertions,
 *    deletions, length-field overwrites), as one buffer or as a Uint8ArrayList of pieces:
 *    each returns or throws a typed error (a PawError for src/wire, a ChainError for the
 *    chain encodings), never a TypeError, RangeError or anything else.
 * 2. A real full node and raw libp2p peers: on /paw/blocks/1, /paw/mempool/1 and
 *    /paw/peers/1 (after a hand-made handshake) and on /paw/handshake/1 (a fresh connection
 *    each run), streams carrying random bytes or well-formed frames of the protocol's types
 *    with random or mutated payloads, split anywhere. After the runs nothing escaped the
 *    node (no unhandledRejection / uncaughtException), an honest peer still gets answers
 *    and an honest node can still connect.
 * 3. test/reliability/corpus/decoders.json, a regression corpus of hex inputs (seeded with
 *    the vectors' edge cases), replayed through every decoder. Add any crash found there.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Connection } from '@libp2p/interface'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_SEEDS, DECODER_TARGETS, type DecoderTarget, PROTOCOL_SEEDS } from '../../fuzz/decoders.ts'
import { BLOCKS_PROTOCOL } from '../../src/protocols/blocks/constants.ts'
import { HANDSHAKE_PROTOCOL } from '../../src/protocols/handshake/constants.ts'
import { MEMPOOL_PROTOCOL } from '../../src/protocols/mempool/constants.ts'
import { PEERS_PROTOCOL } from '../../src/protocols/peers/peers-protocol.ts'
import {
  encodeFrame,
  encodeGetBlock,
  encodeGetBlocks,
  encodeGetHeaders,
  encodeGetPeers,
  encodeGetTransactions,
  encodeHandshake,
  encodeMempoolHashes,
} from '../../src/wire/index.ts'
import { startChainNode, testAccounts, testChainParams } from '../support/chain-nodes.ts'
import { handshakeRaw, RawFrames } from '../support/mempool-peers.ts'
import {
  type RawPeer,
  startRawPeer,
  TEST_CHAIN,
  tcpAddress,
  testLogger,
  trackedNodes,
} from '../support/nodes.ts'
import { splitAt } from '../support/vectors.ts'

/** PAW_FUZZ_SCALE=10 (say) multiplies every run count, for a longer hunt by hand. */
const SCALE = Math.max(1, Number(process.env.PAW_FUZZ_SCALE ?? 1) || 1)
const DECODER_RUNS = 2_000 * SCALE
const HANDLER_RUNS = 100 * SCALE
const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

// --- mutation -------------------------------------------------------------------------------

const INTERESTING = [0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000, 0x7fff_ffff, 0xffff_ffff]

interface Mutation {
  kind: 'flip' | 'truncate' | 'insert' | 'delete' | 'u32' | 'u16' | 'byte'
  at: number
  bit: number
  bytes: Uint8Array
  value: number
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'truncate', 'insert', 'delete', 'u32', 'u16', 'byte'),
  // Offset 0 often: counts and lengths lead most payloads.
  at: fc.oneof(fc.constant(0), fc.nat()),
  bit: fc.nat(7),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat(), fc.integer({ min: 150, max: 160 })),
})

function mutate(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(seed)
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1)
    const inside = bytes.length === 0 ? 0 : m.at % bytes.length
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[inside] = (bytes[inside] as number) ^ (1 << m.bit)
        break
      case 'truncate':
        bytes = bytes.slice(0, at)
        break
      case 'insert':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)])
        break
      case 'delete':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.bytes.length)])
        break
      case 'u32':
        if (bytes.length >= 4) {
          new DataView(bytes.buffer).setUint32(inside % (bytes.length - 3), m.value >>> 0)
        }
        break
      case 'u16':
        if (bytes.length >= 2)
          new DataView(bytes.buffer).setUint16(inside % (bytes.length - 1), m.value & 0xffff)
        break
      case 'byte':
        if (bytes.length > 0) bytes[inside] = m.value & 0xff
        break
    }
  }
  return bytes
}

function mutatedArb(seedList: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...seedList), fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
    .map(([seed, mutations]) => mutate(seed, mutations))
}

/** Random bytes, or a mutated seed (twice as often). */
function inputArb(seedList: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 400, size: 'max' }), weight: 1 },
    { arbitrary: mutatedArb(seedList), weight: 2 },
  )
}

/** Cut points for splitting an input into chunks (a Uint8ArrayList, or decoder feeds). */
const cutsArb = fc.array(fc.nat(), { maxLength: 5 })

// --- decoders (the targets of fuzz/decoders.ts, shared with the coverage-guided fuzzer) ----------

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}`
  return `non-error ${String(error)}`
}

/** fast-check's cuts (any naturals) as offsets inside `bytes`. */
function cutsWithin(bytes: Uint8Array, cuts: readonly number[] | undefined): number[] | undefined {
  return cuts?.map((c) => (bytes.length === 0 ? 0 : c % bytes.length))
}

/** What went wrong when `target` decoded `bytes` (whole, or cut into chunks), or undefined. */
async function crashOf(
  target: DecoderTarget,
  bytes: Uint8Array,
  cuts: number[] | undefined,
): Promise<string | undefined> {
  const error = await target.run({ bytes, cuts })
  return error === undefined ? undefined : `${target.name}: ${describeError(error)} on input ${hexOf(bytes)}`
}

/** decodeFrames reads a whole stream per run, asynchronously: fewer runs. */
const runsOf = (target: DecoderTarget): number =>
  target.name === 'decodeFrames' ? 500 * SCALE : DECODER_RUNS

describe('decoders fed random and mutated bytes', () => {
  for (const target of DECODER_TARGETS) {
    it(`${target.name} returns or throws a typed error`, async () => {
      // Own seeds twice as often as every other protocol's (a payload of one type is a
      // plausible wrong payload for another).
      const bytes = fc.oneof(
        { arbitrary: inputArb(target.seeds), weight: 2 },
        { arbitrary: mutatedArb(ALL_SEEDS), weight: 1 },
      )
      await fc.assert(
        fc.asyncProperty(bytes, fc.option(cutsArb, { nil: undefined }), async (input, cuts) => {
          const crash = await crashOf(target, input, cutsWithin(input, cuts))
          if (crash !== undefined) throw new Error(crash)
        }),
        { numRuns: runsOf(target) },
      )
    })
  }
})

// --- regression corpus ----------------------------------------------------------------------

interface Corpus {
  inputs: Array<{ name: string; hex: string }>
}

const corpus = JSON.parse(
  readFileSync(fileURLToPath(new URL('./corpus/decoders.json', import.meta.url)), 'utf8'),
) as Corpus

describe('regression corpus (test/reliability/corpus/decoders.json)', () => {
  it('holds inputs', () => {
    expect(corpus.inputs.length).toBeGreaterThan(50)
  })

  it('every input, whole and split in three, through every decoder: returns or throws a typed error', async () => {
    const failures: string[] = []
    for (const entry of corpus.inputs) {
      const bytes = new Uint8Array(Buffer.from(entry.hex, 'hex'))
      for (const target of DECODER_TARGETS) {
        for (const cuts of [undefined, [1, Math.floor(bytes.length / 2)]]) {
          const crash = await crashOf(target, bytes, cuts)
          if (crash !== undefined) failures.push(`${entry.name}: ${crash}`)
        }
      }
    }
    expect(failures).toEqual([])
  })
})

// --- handlers -------------------------------------------------------------------------------

const typeArb = fc.stringMatching(/^[a-z0-9_./-]{1,32}$/)
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
/** Distinct hashes, as the encoders require (repeats come from the mutated seeds). */
const distinctHashes = (minLength: number): fc.Arbitrary<Uint8Array[]> =>
  fc.uniqueArray(hash32, { minLength, maxLength: 20, selector: (hash) => hexOf(hash) })

interface Target {
  protocol: string
  types: readonly string[]
  seeds: readonly Uint8Array[]
  /** Payloads a peer may honestly send, with random values. */
  honest: fc.Arbitrary<Uint8Array>
}

// What the encoders accept; count 0 and other invalid ranges come from the mutated seeds.
const rangeArb = fc.record({ startHeight: fc.nat(), count: fc.integer({ min: 1, max: 0xffff }) })

const TARGETS: Target[] = [
  {
    protocol: BLOCKS_PROTOCOL,
    types: ['get_block', 'get_blocks', 'get_headers', 'blocks', 'headers', 'not_found'],
    seeds: PROTOCOL_SEEDS.blocks,
    honest: fc.oneof(
      hash32.map((hash) => encodeGetBlock(hash)),
      rangeArb.map((range) => encodeGetBlocks(range)),
      rangeArb.map((range) => encodeGetHeaders(range)),
    ),
  },
  {
    protocol: MEMPOOL_PROTOCOL,
    types: ['mempool_hashes', 'get_transactions', 'transactions'],
    seeds: PROTOCOL_SEEDS.mempool,
    honest: fc.oneof(
      distinctHashes(0).map((hashes) => encodeMempoolHashes(hashes)),
      distinctHashes(1).map((hashes) => encodeGetTransactions(hashes)),
    ),
  },
  {
    protocol: PEERS_PROTOCOL,
    types: ['get_peers', 'peers'],
    seeds: PROTOCOL_SEEDS.peers,
    honest: fc.constant(encodeGetPeers()),
  },
  {
    protocol: HANDSHAKE_PROTOCOL,
    types: ['handshake', 'reject'],
    seeds: PROTOCOL_SEEDS.handshake,
    honest: fc
      .record({ version: fc.constantFrom(0, 1, 2, 255), nodeId: hash32 })
      .map(({ version, nodeId }) => encodeHandshake({ version, chainId: TEST_CHAIN, nodeId })),
  },
]

/** What one run sends: byte chunks (random, or frames of the protocol's types cut anywhere). */
function streamArb(target: Target): fc.Arbitrary<Uint8Array[]> {
  const payload = fc.oneof(
    target.honest,
    mutatedArb(target.seeds),
    fc.uint8Array({ maxLength: 300, size: 'max' }),
  )
  const frame = fc
    .tuple(fc.oneof({ arbitrary: fc.constantFrom(...target.types), weight: 4 }, typeArb), payload)
    .map(([type, body]) => encodeFrame(type, body))
  const frames = fc
    .array(frame, { minLength: 1, maxLength: 4 })
    .map((list) => new Uint8Array(Buffer.concat(list)))
  const wire = fc.oneof(
    { arbitrary: frames, weight: 3 },
    { arbitrary: frames.chain((bytes) => mutatedArb([bytes])), weight: 1 },
    { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 400, size: 'max' }), weight: 1 },
  )
  return fc
    .tuple(wire, cutsArb)
    .map(([bytes, cuts]) => splitAt(bytes, cutsWithin(bytes, cuts) ?? []).filter((c) => c.length > 0))
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

type Outcome = 'refused' | 'answered' | 'closed' | 'silent'

/**
 * Opens `protocol` on `connection`, sends `chunks`, gives the node a moment, then resets the
 * stream. Says what the node did: refused the stream, answered with frames, closed the
 * stream without a frame, or neither within the moment.
 */
async function sendOnStream(
  connection: Connection,
  protocol: string,
  chunks: readonly Uint8Array[],
): Promise<Outcome> {
  let frames: RawFrames
  try {
    frames = new RawFrames(await connection.newStream(protocol, { signal: AbortSignal.timeout(2_000) }))
  } catch {
    return 'refused' // the node closed the connection or refused the stream: allowed
  }
  for (const chunk of chunks) if (!frames.sendBytes(chunk)) break
  for (let i = 0; i < 4 && !frames.ended; i++) await sleep(5)
  let outcome: Outcome = frames.ended ? 'closed' : 'silent'
  try {
    if ((await frames.next(0)) !== undefined) outcome = 'answered'
  } catch {
    // no frame queued
  }
  frames.stream.abort(new Error('fuzz run over'))
  return outcome
}

describe('/paw/* handlers fed random and mutated streams', () => {
  const nodes = trackedNodes()
  const params = testChainParams(testAccounts(1))
  const escaped: string[] = []
  const onUnhandled = (error: unknown): void => {
    escaped.push(describeError(error))
  }

  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled)
    process.on('uncaughtException', onUnhandled)
  })
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled)
    process.off('uncaughtException', onUnhandled)
  })

  for (const target of TARGETS) {
    it(
      `${target.protocol}: ${HANDLER_RUNS} runs, nothing escapes, the node keeps answering`,
      async () => {
        // libp2p's per-host inbound rate guard (20/s by default) resets the /paw/handshake/1
        // runs' fresh connections, which all come from 127.0.0.1: lifted, to reach the handler.
        const lines: string[] = []
        const { node } = await startChainNode(nodes.node, params, {
          logger: testLogger(lines),
          autoSync: false,
          inbound: { perHostPerSecond: 100_000 },
        })
        const peers: RawPeer[] = []
        const honest = await startRawPeer()
        peers.push(honest)
        const honestConnection = await handshakeRaw(honest, node)

        /** Whether the node still answers an honest get_headers from a well-behaved peer. */
        async function answersHonestly(): Promise<boolean> {
          const stream = new RawFrames(await honestConnection.newStream(BLOCKS_PROTOCOL))
          stream.send('get_headers', encodeGetHeaders({ startHeight: 0, count: 1 }))
          const answer = await stream.next(3_000)
          await stream.stream.close()
          return answer?.type === 'headers'
        }

        let attacker: { peer: RawPeer; connection: Connection } | undefined
        let attackers = 0
        /** A handshaken raw peer, replaced by a new identity once the node dropped or banned it. */
        async function handshaken(): Promise<Connection> {
          if (
            attacker !== undefined &&
            attacker.connection.status === 'open' &&
            node.peer(attacker.peer.libp2p.peerId.toString())?.state === 'connected'
          ) {
            return attacker.connection
          }
          if (attacker !== undefined) await attacker.peer.libp2p.stop()
          const peer = await startRawPeer()
          peers.push(peer)
          attackers++
          attacker = { peer, connection: await handshakeRaw(peer, node) }
          return attacker.connection
        }

        const hsPeer = await startRawPeer()
        peers.push(hsPeer)
        /** A new connection that has not handshaken. */
        async function fresh(): Promise<Connection> {
          await hsPeer.libp2p.hangUp(node.peerId)
          return hsPeer.connect(tcpAddress(node))
        }

        try {
          let runs = 0
          const outcomes: Record<Outcome, number> = { refused: 0, answered: 0, closed: 0, silent: 0 }
          await fc.assert(
            fc.asyncProperty(streamArb(target), async (chunks) => {
              const connection = target.protocol === HANDSHAKE_PROTOCOL ? await fresh() : await handshaken()
              outcomes[await sendOnStream(connection, target.protocol, chunks)]++
              runs++
              if (runs % 20 === 0) expect(await answersHonestly()).toBe(true)
              expect(escaped).toEqual([])
            }),
            { numRuns: HANDLER_RUNS },
          )
          expect(await answersHonestly()).toBe(true)
          const other = await nodes.node()
          const info = await other.connectToPeer(tcpAddress(node))
          expect(info.state).toBe('connected')
          expect(escaped).toEqual([])
          // A handler that caught an exception it did not expect would log it as an error.
          const internal = lines.filter((line) => / ERROR |TypeError|RangeError|ReferenceError/.test(line))
          expect(internal).toEqual([])
          // The runs reached the handler: streams were opened, not refused wholesale.
          expect(outcomes.refused).toBeLessThan(runs / 2)
          console.info(
            `${target.protocol}: ${runs} runs (${JSON.stringify(outcomes)}), ${attackers} attacker identities`,
          )
        } finally {
          await Promise.allSettled(peers.map((peer) => peer.libp2p.stop()))
        }
      },
      60_000 * SCALE,
    )
  }
})
