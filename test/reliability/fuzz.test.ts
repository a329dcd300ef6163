/**
 * Issue 9 item 4, "Fuzzing: the wire decoders and every /paw/* handler fed random and
 * mutated input".
 *
 * 1. Every decoder of src/wire (frames, handshake, reject, chain ID, peer list, get_peers,
 *    mempool, blocks) and of src/chain/encoding.ts, fed random bytes and valid
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
import { Uint8ArrayList } from 'uint8arraylist'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeBlock, decodeHeader, decodeTransaction } from '../../src/chain/encoding.ts'
import { isChainError } from '../../src/chain/errors.ts'
import { isPawError } from '../../src/errors.ts'
import { BLOCKS_PROTOCOL } from '../../src/protocols/blocks/constants.ts'
import { HANDSHAKE_PROTOCOL } from '../../src/protocols/handshake/constants.ts'
import { MEMPOOL_PROTOCOL } from '../../src/protocols/mempool/constants.ts'
import { PEERS_PROTOCOL } from '../../src/protocols/peers/peers-protocol.ts'
import {
  type ByteInput,
  decodeBlocks,
  decodeChainId,
  decodeFrames,
  decodeGetBlock,
  decodeGetBlocks,
  decodeGetHeaders,
  decodeGetPeers,
  decodeGetTransactions,
  decodeHandshake,
  decodeHeaders,
  decodeMempoolHashes,
  decodeNotFound,
  decodePeerList,
  decodeReject,
  decodeTransactions,
  encodeFrame,
  encodeGetBlock,
  encodeGetBlocks,
  encodeGetHeaders,
  encodeGetPeers,
  encodeGetTransactions,
  encodeHandshake,
  encodeMempoolHashes,
  FrameDecoder,
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
import { loadVectors } from '../support/vectors.ts'

/** PAW_FUZZ_SCALE=10 (say) multiplies every run count, for a longer hunt by hand. */
const SCALE = Math.max(1, Number(process.env.PAW_FUZZ_SCALE ?? 1) || 1)
const DECODER_RUNS = 2_000 * SCALE
const HANDLER_RUNS = 100 * SCALE
/** Vector payloads larger than this are not used as mutation seeds (mutating them is slow). */
const MAX_SEED_BYTES = 16 * 1024

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

// --- seeds: every payload of the vectors that fits ------------------------------------------

type Spec = string | Spec[] | { hex?: unknown; repeat?: unknown }

/** A vector byte field (nested segment lists too), or undefined if it is not plain bytes or too big. */
function specBytes(spec: Spec): Uint8Array | undefined {
  if (typeof spec === 'string') return spec.length / 2 > MAX_SEED_BYTES ? undefined : Buffer.from(spec, 'hex')
  if (!Array.isArray(spec)) {
    const { hex, repeat } = spec
    if (typeof hex !== 'string' || typeof repeat !== 'number') return undefined
    if ((hex.length / 2) * repeat > MAX_SEED_BYTES) return undefined
    return Buffer.from(hex.repeat(repeat), 'hex')
  }
  const parts: Uint8Array[] = []
  for (const segment of spec) {
    const bytes = specBytes(segment)
    if (bytes === undefined) return undefined
    parts.push(bytes)
  }
  const out = Buffer.concat(parts)
  return out.length > MAX_SEED_BYTES ? undefined : new Uint8Array(out)
}

type Section = Record<string, Array<{ payload?: Spec; hex?: Spec }>>

/** Payloads of `file`'s sections (valid and invalid), keyed "section" → seeds. */
function seedsOf(file: string): Map<string, Uint8Array[]> {
  const vectors = loadVectors<Record<string, unknown>>(file)
  const out = new Map<string, Uint8Array[]>()
  for (const [name, section] of Object.entries(vectors)) {
    if (section === null || typeof section !== 'object') continue
    const lists = Array.isArray(section) ? { all: section } : (section as Section)
    const seeds: Uint8Array[] = []
    for (const list of Object.values(lists)) {
      if (!Array.isArray(list)) continue
      for (const entry of list) {
        const spec = entry?.payload ?? entry?.hex
        if (spec === undefined) continue
        const bytes = specBytes(spec)
        if (bytes !== undefined) seeds.push(bytes)
      }
    }
    if (seeds.length > 0) out.set(name, seeds)
  }
  return out
}

const blocksSeeds = seedsOf('blocks')
const mempoolSeeds = seedsOf('mempool')
const handshakeSeeds = seedsOf('handshake')
const peersSeeds = seedsOf('peers')

function seeds(map: Map<string, Uint8Array[]>, ...sections: string[]): Uint8Array[] {
  const out = sections.flatMap((section) => map.get(section) ?? [])
  if (out.length === 0) throw new Error(`no seeds in ${sections.join()}`)
  return out
}

const framingVectors = loadVectors<{ valid: Array<{ input: Spec }>; invalid: Array<{ input: Spec }> }>(
  'framing',
)
const frameSeeds = [...framingVectors.valid, ...framingVectors.invalid]
  .map((entry) => specBytes(entry.input))
  .filter((bytes): bytes is Uint8Array => bytes !== undefined)

const sampleBlock = specBytes(loadVectors<{ samples: { block: { hex: Spec } } }>('blocks').samples.block.hex)
const sampleHeader = specBytes(
  loadVectors<{ samples: { block: { header: Spec } } }>('blocks').samples.block.header,
)
const sampleTransactions = loadVectors<{ samples: { transactions: Array<{ hex: string }> } }>(
  'mempool',
).samples.transactions.map((tx) => Buffer.from(tx.hex, 'hex'))
const chainSeeds = [sampleBlock, sampleHeader, ...sampleTransactions].filter(
  (bytes): bytes is Uint8Array => bytes !== undefined,
)

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

function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))]
    .filter((c) => c > 0)
    .sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point))
    start = point
  }
  return chunks
}

// --- decoders -------------------------------------------------------------------------------

type Typed = (error: unknown) => boolean

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}`
  return `non-error ${String(error)}`
}

/** Runs `decode`; fails (with the input as hex) unless it returned or threw a `typed` error. */
function expectTyped(name: string, input: Uint8Array, typed: Typed, decode: () => unknown): void {
  try {
    decode()
  } catch (error) {
    if (!typed(error)) {
      throw new Error(`${name} threw ${describeError(error)} on input ${hexOf(input)}`, { cause: error })
    }
  }
}

interface Decoder {
  name: string
  typed: Typed
  seeds: readonly Uint8Array[]
  decode(input: ByteInput): unknown
}

const allSeeds = [
  ...[...blocksSeeds.values()].flat(),
  ...[...mempoolSeeds.values()].flat(),
  ...[...handshakeSeeds.values()].flat(),
  ...[...peersSeeds.values()].flat(),
  ...frameSeeds,
  ...chainSeeds,
]

/** Feeds `chunks` to a FrameDecoder as a peer's stream would; every item must be a frame or a PawError. */
function feedFrames(chunks: readonly Uint8Array[]): void {
  const decoder = new FrameDecoder()
  for (const chunk of chunks) {
    for (const item of decoder.decode(chunk)) {
      if (!('type' in item) && !isPawError(item)) throw new Error(`FrameDecoder yielded ${String(item)}`)
    }
    if (decoder.failed) return
  }
  decoder.end()
}

const DECODERS: Decoder[] = [
  {
    name: 'FrameDecoder',
    typed: isPawError,
    seeds: [...frameSeeds, ...seeds(blocksSeeds, 'frames'), ...seeds(mempoolSeeds, 'frames')],
    decode: (input) => feedFrames(input instanceof Uint8Array ? [input] : [...input]),
  },
  {
    name: 'decodeHandshake',
    typed: isPawError,
    seeds: seeds(handshakeSeeds, 'handshake'),
    decode: decodeHandshake,
  },
  { name: 'decodeReject', typed: isPawError, seeds: seeds(handshakeSeeds, 'reject'), decode: decodeReject },
  {
    name: 'decodeChainId',
    typed: isPawError,
    seeds: seeds(handshakeSeeds, 'handshake').map((payload) => payload.slice(1, 33)),
    decode: (input) => decodeChainId(input instanceof Uint8Array ? input : input.subarray()),
  },
  { name: 'decodeGetPeers', typed: isPawError, seeds: seeds(peersSeeds, 'request'), decode: decodeGetPeers },
  { name: 'decodePeerList', typed: isPawError, seeds: seeds(peersSeeds, 'response'), decode: decodePeerList },
  {
    name: 'decodeMempoolHashes',
    typed: isPawError,
    seeds: seeds(mempoolSeeds, 'mempoolHashes'),
    decode: decodeMempoolHashes,
  },
  {
    name: 'decodeGetTransactions',
    typed: isPawError,
    seeds: seeds(mempoolSeeds, 'getTransactions'),
    decode: decodeGetTransactions,
  },
  {
    name: 'decodeTransactions',
    typed: isPawError,
    seeds: seeds(mempoolSeeds, 'transactions'),
    decode: decodeTransactions,
  },
  {
    name: 'decodeGetBlock',
    typed: isPawError,
    seeds: seeds(blocksSeeds, 'getBlock'),
    decode: decodeGetBlock,
  },
  {
    name: 'decodeNotFound',
    typed: isPawError,
    seeds: seeds(blocksSeeds, 'notFound'),
    decode: decodeNotFound,
  },
  {
    name: 'decodeGetBlocks',
    typed: isPawError,
    seeds: seeds(blocksSeeds, 'getBlocks'),
    decode: decodeGetBlocks,
  },
  {
    name: 'decodeGetHeaders',
    typed: isPawError,
    seeds: seeds(blocksSeeds, 'getHeaders'),
    decode: decodeGetHeaders,
  },
  { name: 'decodeBlocks', typed: isPawError, seeds: seeds(blocksSeeds, 'blocks'), decode: decodeBlocks },
  { name: 'decodeHeaders', typed: isPawError, seeds: seeds(blocksSeeds, 'headers'), decode: decodeHeaders },
  { name: 'decodeBlock (chain)', typed: isChainError, seeds: chainSeeds, decode: decodeBlock },
  { name: 'decodeHeader (chain)', typed: isChainError, seeds: chainSeeds, decode: decodeHeader },
  { name: 'decodeTransaction (chain)', typed: isChainError, seeds: chainSeeds, decode: decodeTransaction },
]

/** One decoder call on `bytes`, whole or (with cuts) as a Uint8ArrayList of pieces. */
function runDecoder(decoder: Decoder, bytes: Uint8Array, cuts: readonly number[] | undefined): void {
  const input = cuts === undefined ? bytes : new Uint8ArrayList(...split(bytes, cuts))
  expectTyped(decoder.name, bytes, decoder.typed, () => decoder.decode(input))
}

describe('decoders fed random and mutated bytes', () => {
  for (const decoder of DECODERS) {
    it(`${decoder.name} returns or throws a typed error`, () => {
      // Own seeds twice as often as every other protocol's (a payload of one type is a
      // plausible wrong payload for another).
      const bytes = fc.oneof(
        { arbitrary: inputArb(decoder.seeds), weight: 2 },
        { arbitrary: mutatedArb(allSeeds), weight: 1 },
      )
      fc.assert(
        fc.property(bytes, fc.option(cutsArb, { nil: undefined }), (input, cuts) => {
          runDecoder(decoder, input, cuts)
        }),
        { numRuns: DECODER_RUNS },
      )
    })
  }

  it('decodeFrames (async) yields frames and typed errors only', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb(frameSeeds), cutsArb, async (input, cuts) => {
        const chunks = split(input, cuts)
        async function* source(): AsyncGenerator<Uint8Array> {
          yield* chunks
        }
        try {
          for await (const item of decodeFrames(source())) {
            if (!('type' in item) && !isPawError(item))
              throw new Error(`decodeFrames yielded ${String(item)}`)
          }
        } catch (error) {
          if (!isPawError(error)) {
            throw new Error(`decodeFrames threw ${describeError(error)} on input ${hexOf(input)}`)
          }
        }
      }),
      { numRuns: 500 * SCALE },
    )
  })
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

  it('every input, whole and split in three, through every decoder: returns or throws a typed error', () => {
    const failures: string[] = []
    for (const entry of corpus.inputs) {
      const bytes = new Uint8Array(Buffer.from(entry.hex, 'hex'))
      for (const decoder of DECODERS) {
        for (const cuts of [undefined, [1, Math.floor(bytes.length / 2)]]) {
          try {
            runDecoder(decoder, bytes, cuts)
          } catch (error) {
            failures.push(`${entry.name}: ${describeError(error)}`)
          }
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
    seeds: [...blocksSeeds.values()].flat(),
    honest: fc.oneof(
      hash32.map((hash) => encodeGetBlock(hash)),
      rangeArb.map((range) => encodeGetBlocks(range)),
      rangeArb.map((range) => encodeGetHeaders(range)),
    ),
  },
  {
    protocol: MEMPOOL_PROTOCOL,
    types: ['mempool_hashes', 'get_transactions', 'transactions'],
    seeds: [...mempoolSeeds.values()].flat(),
    honest: fc.oneof(
      distinctHashes(0).map((hashes) => encodeMempoolHashes(hashes)),
      distinctHashes(1).map((hashes) => encodeGetTransactions(hashes)),
    ),
  },
  {
    protocol: PEERS_PROTOCOL,
    types: ['get_peers', 'peers'],
    seeds: [...peersSeeds.values()].flat(),
    honest: fc.constant(encodeGetPeers()),
  },
  {
    protocol: HANDSHAKE_PROTOCOL,
    types: ['handshake', 'reject'],
    seeds: [...handshakeSeeds.values()].flat(),
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
  return fc.tuple(wire, cutsArb).map(([bytes, cuts]) => split(bytes, cuts).filter((c) => c.length > 0))
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Opens `protocol` on `connection`, sends `chunks`, gives the node a moment, then resets the stream. */
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
