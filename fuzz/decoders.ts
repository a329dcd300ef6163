/**
 * The fuzz targets: every decoder test/reliability/fuzz.test.ts runs, with the same seeds
 * (protocols/*.vectors.json payloads up to 16 KiB, by section) and the same verdict: a
 * decoder may return or throw a typed error (a PawError for src/wire, a ChainError for the
 * chain encodings); anything else (TypeError, RangeError, a frame decoder yielding
 * something that is neither a frame nor a PawError) is a crash.
 *
 * One table for both fuzzers: fuzz/coverage.ts (coverage-guided) and
 * test/reliability/fuzz.test.ts (fast-check, in CI), which also feeds the /paw/* handlers
 * with PROTOCOL_SEEDS.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { decodeBlock, decodeHeader, decodeTransaction } from '../src/chain/encoding.ts'
import { isChainError } from '../src/chain/errors.ts'
import { REFERENCE_SHAPE } from '../src/chain/port/shape.ts'
import { isPawError } from '../src/errors.ts'
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
  FrameDecoder,
} from '../src/wire/index.ts'
import { type ByteSpec, bytesOf, loadVectors, splitAt } from '../test/support/vectors.ts'

/** Vector payloads larger than this are not seeds (as in fuzz.test.ts: mutating them is slow). */
const MAX_SEED_BYTES = 16 * 1024

/** One fuzz case: the bytes, and where to cut them (undefined: one Uint8Array). */
export interface FuzzInput {
  bytes: Uint8Array
  cuts: number[] | undefined
}

export interface DecoderTarget {
  name: string
  seeds: readonly Uint8Array[]
  /** Runs the decoder; resolves to the crash (an untyped failure), or undefined. */
  run(input: FuzzInput): Error | undefined | Promise<Error | undefined>
}

// --- seeds ------------------------------------------------------------------------------------

type Spec = ByteSpec | Spec[] | { hex?: unknown; repeat?: unknown }

/** A vector byte field, or undefined if it is not plain bytes or is too big to mutate. */
function specBytes(spec: Spec): Uint8Array | undefined {
  if (typeof spec === 'string') return spec.length / 2 > MAX_SEED_BYTES ? undefined : bytesOf(spec)
  if (!Array.isArray(spec)) {
    const { hex, repeat } = spec
    if (typeof hex !== 'string' || typeof repeat !== 'number') return undefined
    return (hex.length / 2) * repeat > MAX_SEED_BYTES ? undefined : bytesOf([{ hex, repeat }])
  }
  const parts = spec.map(specBytes)
  if (parts.some((part) => part === undefined)) return undefined
  const out = Buffer.concat(parts as Uint8Array[])
  return out.length > MAX_SEED_BYTES ? undefined : new Uint8Array(out)
}

type Entries = Array<{ payload?: Spec; hex?: Spec }>

/** The payloads of `file`'s sections (valid and invalid), keyed by section. */
function seedsOf(file: string): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>()
  for (const [name, section] of Object.entries(loadVectors<Record<string, unknown>>(file))) {
    if (section === null || typeof section !== 'object') continue
    const lists = Array.isArray(section) ? [section] : Object.values(section as Record<string, unknown>)
    const seeds: Uint8Array[] = []
    for (const list of lists) {
      if (!Array.isArray(list)) continue
      for (const entry of list as Entries) {
        const spec = entry?.payload ?? entry?.hex
        const bytes = spec === undefined ? undefined : specBytes(spec)
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
const framing = loadVectors<Record<'valid' | 'invalid', Array<{ input: Spec }>>>('framing')
/** Whole streams of frames, valid and invalid. */
const frameSeeds = [...framing.valid, ...framing.invalid]
  .map((entry) => specBytes(entry.input))
  .filter((bytes): bytes is Uint8Array => bytes !== undefined)

function seeds(map: Map<string, Uint8Array[]>, ...sections: string[]): Uint8Array[] {
  const out = sections.flatMap((section) => map.get(section) ?? [])
  if (out.length === 0) throw new Error(`no seeds in ${sections.join()}`)
  return out
}

const blockSamples = loadVectors<{ samples: { block: { hex: Spec; header: Spec } } }>('blocks').samples
const sampleTransactions = loadVectors<{ samples: { transactions: Array<{ hex: string }> } }>(
  'mempool',
).samples.transactions.map((tx) => bytesOf(tx.hex))
const chainSeeds = [specBytes(blockSamples.block.hex), specBytes(blockSamples.block.header)]
  .filter((bytes): bytes is Uint8Array => bytes !== undefined)
  .concat(sampleTransactions)

// --- verdicts ---------------------------------------------------------------------------------

type Typed = (error: unknown) => boolean

/** The crash `decode` makes on `input`: whatever it throws that `typed` does not accept. */
function untypedThrow(typed: Typed, decode: () => unknown): Error | undefined {
  try {
    decode()
    return undefined
  } catch (error) {
    if (typed(error)) return undefined
    return error instanceof Error ? error : new Error(`threw a non-error: ${String(error)}`)
  }
}

function asByteInput({ bytes, cuts }: FuzzInput): ByteInput {
  return cuts === undefined ? bytes : new Uint8ArrayList(...splitAt(bytes, cuts))
}

function chunksOf({ bytes, cuts }: FuzzInput): Uint8Array[] {
  return cuts === undefined ? [bytes] : splitAt(bytes, cuts)
}

/** Feeds the chunks to a FrameDecoder as a peer's stream would; every item must be a frame or a PawError. */
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

/** decodeFrames over the chunks: it may yield frames and PawErrors, and throw a PawError. */
async function streamFrames(chunks: readonly Uint8Array[]): Promise<Error | undefined> {
  async function* source(): AsyncGenerator<Uint8Array> {
    yield* chunks
  }
  try {
    for await (const item of decodeFrames(source())) {
      if (!('type' in item) && !isPawError(item)) return new Error(`decodeFrames yielded ${String(item)}`)
    }
    return undefined
  } catch (error) {
    if (isPawError(error)) return undefined
    return error instanceof Error ? error : new Error(`threw a non-error: ${String(error)}`)
  }
}

function syncTarget(
  name: string,
  typed: Typed,
  targetSeeds: readonly Uint8Array[],
  decode: (input: ByteInput) => unknown,
): DecoderTarget {
  return {
    name,
    seeds: targetSeeds,
    run: (input) => untypedThrow(typed, () => decode(asByteInput(input))),
  }
}

export const DECODER_TARGETS: readonly DecoderTarget[] = [
  {
    name: 'FrameDecoder',
    seeds: [...frameSeeds, ...seeds(blocksSeeds, 'frames'), ...seeds(mempoolSeeds, 'frames')],
    run: (input) => untypedThrow(isPawError, () => feedFrames(chunksOf(input))),
  },
  {
    name: 'decodeFrames',
    seeds: frameSeeds,
    run: (input) => streamFrames(chunksOf(input)),
  },
  syncTarget('decodeHandshake', isPawError, seeds(handshakeSeeds, 'handshake'), decodeHandshake),
  syncTarget('decodeReject', isPawError, seeds(handshakeSeeds, 'reject'), decodeReject),
  syncTarget(
    'decodeChainId',
    isPawError,
    seeds(handshakeSeeds, 'handshake').map((payload) => payload.slice(1, 33)),
    (input) => decodeChainId(input instanceof Uint8Array ? input : input.subarray()),
  ),
  syncTarget('decodeGetPeers', isPawError, seeds(peersSeeds, 'request'), decodeGetPeers),
  syncTarget('decodePeerList', isPawError, seeds(peersSeeds, 'response'), decodePeerList),
  syncTarget('decodeMempoolHashes', isPawError, seeds(mempoolSeeds, 'mempoolHashes'), decodeMempoolHashes),
  syncTarget(
    'decodeGetTransactions',
    isPawError,
    seeds(mempoolSeeds, 'getTransactions'),
    decodeGetTransactions,
  ),
  syncTarget('decodeTransactions', isPawError, seeds(mempoolSeeds, 'transactions'), (input) =>
    decodeTransactions(input, REFERENCE_SHAPE.transactionBytes),
  ),
  syncTarget('decodeGetBlock', isPawError, seeds(blocksSeeds, 'getBlock'), decodeGetBlock),
  syncTarget('decodeNotFound', isPawError, seeds(blocksSeeds, 'notFound'), decodeNotFound),
  syncTarget('decodeGetBlocks', isPawError, seeds(blocksSeeds, 'getBlocks'), decodeGetBlocks),
  syncTarget('decodeGetHeaders', isPawError, seeds(blocksSeeds, 'getHeaders'), decodeGetHeaders),
  syncTarget('decodeBlocks', isPawError, seeds(blocksSeeds, 'blocks'), (input) =>
    decodeBlocks(input, REFERENCE_SHAPE),
  ),
  syncTarget('decodeHeaders', isPawError, seeds(blocksSeeds, 'headers'), (input) =>
    decodeHeaders(input, REFERENCE_SHAPE.headerBytes),
  ),
  syncTarget('decodeBlock (chain)', isChainError, chainSeeds, decodeBlock),
  syncTarget('decodeHeader (chain)', isChainError, chainSeeds, decodeHeader),
  syncTarget('decodeTransaction (chain)', isChainError, chainSeeds, decodeTransaction),
]

/** Every payload of each protocol's vectors (up to MAX_SEED_BYTES), for the handler fuzzing. */
export const PROTOCOL_SEEDS = {
  blocks: [...blocksSeeds.values()].flat(),
  mempool: [...mempoolSeeds.values()].flat(),
  handshake: [...handshakeSeeds.values()].flat(),
  peers: [...peersSeeds.values()].flat(),
} as const

/** Every target's seeds: a payload of one type is a plausible wrong payload for another. */
export const ALL_SEEDS: readonly Uint8Array[] = DECODER_TARGETS.flatMap((target) => target.seeds)
