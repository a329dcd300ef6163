/**
 * Connecting bench/network's topology, and finding what of it was lost since: a node's
 * keep-alive drops a peer whose ping waited 30 s behind a flood it could not keep up with
 * (the fill at 30 and 50 nodes), and the bench's nodes dial nobody by themselves.
 */
import type { NodeProcess } from '../../test/support/node-process.ts'

export type Edge = [number, number]

/** The topology's connections missing at one moment, counted from each node's peers. */
export interface LostEdges {
  /** Nodes with fewer peers than their edges. */
  nodesShort: number
  /** Nodes with no peer at all. */
  isolated: number
  /** Connection ends missing (a lost edge counts at both of its nodes). */
  lostEnds: number
}

export class TopologyDialler {
  readonly #edges: readonly Edge[]
  /** Dials repeated after a failure, over every connectAll. */
  redials = 0

  constructor(edges: readonly Edge[]) {
    this.#edges = edges
  }

  /**
   * Connects every edge, 8 at a time; the edges that could not be connected. A dial can
   * time out while many freshly started processes share two cores; a node would dial
   * again, and so does this, twice at most, then leaves that edge out (and the floor with it).
   */
  async connectAll(connect: (from: number, to: number) => Promise<void>): Promise<Edge[]> {
    const edges = this.#edges
    const failed: Edge[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < edges.length) {
          const edge = edges[next++] as Edge
          for (let attempt = 1; ; attempt++) {
            try {
              await connect(...edge)
              break
            } catch (error) {
              if (attempt === 3) {
                console.error(
                  `bench/network: edge ${edge.join(' -> ')} left out: ${(error as Error).message}`,
                )
                failed.push(edge)
                break
              }
              this.redials++
            }
          }
        }
      }),
    )
    return failed
  }
}

/** What of `edges` the nodes' peer counts say is missing now. */
export async function lostEdges(nodes: readonly NodeProcess[], edges: readonly Edge[]): Promise<LostEdges> {
  const degree = new Array<number>(nodes.length).fill(0)
  for (const [a, b] of edges) {
    degree[a] = (degree[a] as number) + 1
    degree[b] = (degree[b] as number) + 1
  }
  const peers = (await Promise.all(nodes.map((n) => n.status()))).map((st) => st.peers)
  const short = peers.map((p, i) => Math.max(0, (degree[i] as number) - p))
  return {
    nodesShort: short.filter((n) => n > 0).length,
    isolated: peers.filter((p) => p === 0).length,
    lostEnds: short.reduce((a, b) => a + b, 0),
  }
}
