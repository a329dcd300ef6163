/**
 * Who brought each block or header the chain took, for the node's chain events (issue 18):
 * the chain port's `tip` and `reorg` events carry ids only, and any chain emits them, so
 * the origin is recorded on the way in. Gossip, sync and the node's API each import
 * through their own view of the port (`portFor`), which records what the chain took as
 * that source's, from the peer the caller names in `ImportOptions.from`. What the chain
 * took without passing through one (a miner adding to its chain, a block stored before
 * the node started) has no record: it is the node's own, `local`. Browser-safe.
 *
 * A header is cheap to read, so a header import records its origin before the chain sees
 * it (a header sync's batch moves the tip many times before it returns). A block's id
 * costs reading its whole body, so a block import records its origin when the chain
 * answers, and a question about a block the chain moved to while imports were running
 * waits for those imports to answer (`originOf`).
 */
import type { ChainSource } from '../api/index.ts'
import type {
  ChainPort,
  FullChainPort,
  HeaderChainPort,
  Imported,
  ImportOptions,
  Judgement,
} from '../ports/chain.ts'
import { toHex } from '../wire/bytes.ts'

/** Where a block or header came from. */
export interface Origin {
  source: ChainSource
  /** The peer that delivered it, or `'local'`. */
  from: string
}

/** An import under way, as a tip event finds it. */
export interface InFlight {
  readonly settled: Promise<void>
}

/**
 * Origins remembered, most recent first out last: a side branch's blocks keep theirs
 * until a reorg connects them (deeper than this, they are reported `local`). A light
 * node keeps each header's encoding with it (185 bytes on the reference chain).
 */
const REMEMBERED_ORIGINS = 4_096

/**
 * Decoded blocks held from their import until their event goes out: a block is decoded
 * once, by the chain. Bounded, so a chain that took a block without its tip event cannot
 * make this grow.
 */
const FRESH_LIMIT = 32

export const LOCAL: Origin = Object.freeze({ source: 'local', from: 'local' })

interface Remembered extends Origin {
  /** The header's encoding (header imports): decoded when its event goes out. */
  header?: Uint8Array
}

type Import = Judgement<Imported<unknown>>

export class ImportOrigins {
  readonly #remembered = new Map<string, Remembered>()
  readonly #inFlight = new Set<InFlight>()
  readonly #fresh = new Map<string, unknown>()
  /** Only while the events are followed: nothing would take the decoded blocks otherwise. */
  #holding = false

  /** Holds decoded blocks for the events from now on (ChainFeed.start). */
  start(): void {
    this.#holding = true
  }

  stop(): void {
    this.#holding = false
    this.#fresh.clear()
  }

  /** `port` as `source` imports through it: every other member is the port's own. */
  portFor<P extends ChainPort>(port: P, source: ChainSource): P {
    const imports: Record<string, unknown> =
      port.kind === 'full' ? this.#fullImports(port, source) : this.#headerImports(port, source)
    return new Proxy(port, {
      get(target, key) {
        if (typeof key === 'string' && Object.hasOwn(imports, key)) return imports[key]
        const value: unknown = Reflect.get(target, key, target)
        // Bound to the port itself: its methods may use private fields a proxy lacks.
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }

  /** The imports running now (a tip event keeps them, to wait for the one that moved it). */
  running(): InFlight[] {
    return [...this.#inFlight]
  }

  /**
   * Where `hash` (hex) came from, once every import in `running` that may have brought it
   * has answered; undefined if none did (the chain took it by itself: the node's own).
   */
  async originOf(hash: string, running: readonly InFlight[]): Promise<Origin | undefined> {
    let waiting = running
    for (;;) {
      const known = this.#remembered.get(hash)
      if (known !== undefined) return { source: known.source, from: known.from }
      if (waiting.length === 0) return undefined
      const done = await Promise.race(waiting.map((flight) => flight.settled.then(() => flight)))
      waiting = waiting.filter((flight) => flight !== done)
    }
  }

  /** The chain's decoded block `hash` (hex), once, if its import moved the tip while the events were followed. */
  takeDecoded(hash: string): unknown {
    const decoded = this.#fresh.get(hash)
    this.#fresh.delete(hash)
    return decoded
  }

  /** The encoding of header `hash` (hex) if a header import brought it recently. */
  headerEncoding(hash: string): Uint8Array | undefined {
    return this.#remembered.get(hash)?.header
  }

  #fullImports(port: FullChainPort, source: ChainSource): Pick<FullChainPort, 'importBlock'> {
    return {
      importBlock: async (encoded, options) => {
        let settle = (): void => {}
        const flight: InFlight = {
          settled: new Promise<void>((resolve) => {
            settle = resolve
          }),
        }
        this.#inFlight.add(flight)
        try {
          const judgement = await port.importBlock(encoded, options)
          this.#took(judgement, originOf(source, options))
          return judgement
        } finally {
          this.#inFlight.delete(flight)
          settle()
        }
      },
    }
  }

  #headerImports(
    port: HeaderChainPort,
    source: ChainSource,
  ): Pick<HeaderChainPort, 'importHeader' | 'importHeaders'> {
    return {
      importHeader: async (encoded, options) => {
        const noted = this.#noteHeader(port, encoded, originOf(source, options))
        const judgement = await port.importHeader(encoded, options)
        // A header refused, or held already, keeps the origin it had (unless another
        // delivery has been noted since).
        const kept = judgement.status === 'accepted' && judgement.value.outcome !== 'duplicate'
        if (noted !== undefined && !kept && this.#remembered.get(noted.hash) === noted.record) {
          if (noted.before === undefined) this.#remembered.delete(noted.hash)
          else this.#remembered.set(noted.hash, noted.before)
        }
        return judgement
      },
      importHeaders: (encoded, options) => {
        const origin = originOf(source, options)
        for (const header of encoded) this.#noteHeader(port, header, origin)
        return port.importHeaders(encoded, options)
      },
    }
  }

  /** Records a header's origin before its import; undefined if it is no header (the chain will say so). */
  #noteHeader(
    port: HeaderChainPort,
    encoded: Uint8Array,
    origin: Origin,
  ): { hash: string; record: Remembered; before: Remembered | undefined } | undefined {
    let hash: string
    try {
      hash = toHex(port.readHeader(encoded).hash)
    } catch {
      return undefined
    }
    const before = this.#remembered.get(hash)
    // A copy: the encoding may be a view of a whole answer frame, which this would keep.
    const record: Remembered = { ...origin, header: encoded.slice() }
    this.#remember(hash, record)
    return { hash, record, before }
  }

  #took(judgement: Import, origin: Origin): void {
    if (judgement.status !== 'accepted' || judgement.value.outcome === 'duplicate') return
    const { outcome, decoded } = judgement.value
    const hash = toHex(judgement.value.hash)
    this.#remember(hash, origin)
    if (!this.#holding || (outcome !== 'extended' && outcome !== 'reorg')) return
    this.#fresh.set(hash, decoded)
    if (this.#fresh.size > FRESH_LIMIT) this.#fresh.delete(this.#fresh.keys().next().value as string)
  }

  #remember(hash: string, record: Remembered): void {
    this.#remembered.delete(hash)
    this.#remembered.set(hash, record)
    if (this.#remembered.size > REMEMBERED_ORIGINS) {
      this.#remembered.delete(this.#remembered.keys().next().value as string)
    }
  }
}

function originOf(source: ChainSource, options: ImportOptions | undefined): Origin {
  return source === 'local' ? LOCAL : { source, from: options?.from ?? source }
}
