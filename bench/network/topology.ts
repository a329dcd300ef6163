/**
 * The random topology of bench/network and the physical floor it implies.
 */
import { hopDistances } from '../../test/support/node-process.ts'

/**
 * Each node dials `outbound` distinct others chosen at random among those it has no
 * connection with yet (either direction), as a node filling its outbound slots would:
 * [dialer, listener] pairs, deterministic per seed. Retries another seed stream until the
 * graph is connected.
 */
export function randomOutboundEdges(count: number, outbound: number, seed: number): Array<[number, number]> {
  if (outbound >= count) throw new RangeError('--outbound must be below --nodes')
  for (let attempt = 0; ; attempt++) {
    let state = (seed + attempt * 7919) >>> 0 || 1
    const random = () => {
      // xorshift32: enough for a topology, the same on every machine.
      state ^= state << 13
      state >>>= 0
      state ^= state >>> 17
      state ^= state << 5
      state >>>= 0
      return state / 2 ** 32
    }
    const linked = new Set<string>()
    const edges: Array<[number, number]> = []
    for (let i = 0; i < count; i++) {
      const free = Array.from({ length: count }, (_, j) => j).filter(
        (j) => j !== i && !linked.has(`${Math.min(i, j)}-${Math.max(i, j)}`),
      )
      for (let k = 0; k < outbound && free.length > 0; k++) {
        const j = free.splice(Math.floor(random() * free.length), 1)[0] as number
        linked.add(`${Math.min(i, j)}-${Math.max(i, j)}`)
        edges.push([i, j])
      }
    }
    if (hopDistances(count, edges, 0).every(Number.isFinite)) return edges
  }
}

export interface Floor {
  /** Per node: hops from the origin (0 for the origin). */
  hops: number[]
  /** Per node, ms: hops × (one-way delay + bytes × 8 / rate), store and forward. */
  ms: number[]
  /** Per node, ms: hops × one-way delay (nothing to serialise). */
  latencyOnlyMs: number[]
  /** Serialisation of the bytes at the rate, ms (one hop). */
  serialisationMs: number
}

/**
 * The physical floor of delivering `bytes` from `origin`: every link costs the same (one
 * one-way delay plus serialisation at the uplink rate), so the cheapest path is the one of
 * fewest hops. A lower bound: it ignores that a relay shares its uplink among the peers it
 * sends to, TCP's slow start, and the framing and encryption around the bytes.
 */
export function physicalFloor(
  count: number,
  edges: ReadonlyArray<[number, number]>,
  origin: number,
  bytes: number,
  delayMs: number,
  rateMbit: number,
): Floor {
  const hops = hopDistances(count, edges, origin)
  const serialisationMs = (bytes * 8) / (rateMbit * 1e6) / 1e-3
  return {
    hops,
    ms: hops.map((h) => h * (delayMs + serialisationMs)),
    latencyOnlyMs: hops.map((h) => h * delayMs),
    serialisationMs,
  }
}
