/**
 * A /paw/state/1 StateProtocol (and, with a verifier, a StateClient) on a running test
 * PawNode, wired by hand so that a test owns the reputation it charges, the rate limits and
 * the candidates: the node's libp2p, settings and handshake state (a peer is handshaken when
 * the node lists it connected). With a prover it takes over the node's own handler; without
 * one it only asks.
 */
import type { Connection } from '@libp2p/interface'
import type { PawNode, PeerInfo } from '../../src/api/index.ts'
import type { Logger } from '../../src/logging.ts'
import { Enforcer } from '../../src/peers/enforcer.ts'
import { PeerRateLimiter, type RateLimit, type RateLimitName } from '../../src/peers/rate-limits.ts'
import { Reputation } from '../../src/peers/reputation.ts'
import { PeerTraffic } from '../../src/peers/traffic.ts'
import type { StateProver, StateVerifier } from '../../src/ports/chain.ts'
import type { StreamPeers } from '../../src/protocols/shared/stream-peers.ts'
import { type StateCandidate, StateClient } from '../../src/protocols/state/state-client.ts'
import { STATE_PROTOCOL, StateProtocol } from '../../src/protocols/state/state-protocol.ts'

export interface WiredState {
  protocol: StateProtocol
  client: StateClient | undefined
  reputation: Reputation
  enforcer: Enforcer
  /** The local reputation of a peer (0 until charged). */
  scoreOf(peerId: string): number
}

/** The node's handshaken peers, as PeerManager.connected() lists them. */
function peersOf(node: PawNode): StreamPeers {
  const traffic = new Map<string, PeerTraffic>()
  const trafficOf = (connection: Connection): PeerTraffic => {
    let counter = traffic.get(connection.id)
    if (counter === undefined) {
      counter = new PeerTraffic()
      traffic.set(connection.id, counter)
    }
    return counter
  }
  return {
    connected: () =>
      node.libp2p.getConnections().flatMap((connection) => {
        const info: PeerInfo | undefined = node.peer(connection.remotePeer.toString())
        if (info?.state !== 'connected' || connection.status !== 'open') return []
        return [{ info, connection, traffic: trafficOf(connection) }]
      }),
    traffic: trafficOf,
  }
}

export async function wireState(
  node: PawNode,
  options: {
    prover?: StateProver
    verifier?: StateVerifier
    /** Who the client asks; default: the node's connected peers, by this reputation. */
    candidates?: () => readonly StateCandidate[]
    limits?: Partial<Record<RateLimitName, RateLimit>>
    timeoutMs?: number
    log?: Logger
  } = {},
): Promise<WiredState> {
  const log = options.log ?? node.log.child({ component: 'state' })
  const reputation = new Reputation()
  const limiter = new PeerRateLimiter({
    limits: options.limits,
    onViolation: ({ peerId }) => {
      reputation.penalize(peerId, 'rateLimited')
    },
  })
  const enforcer = new Enforcer({
    reputation,
    isBanned: () => false,
    disconnect: (peerId) => node.disconnectPeer(peerId),
    isConnected: (peerId) => node.peer(peerId)?.state === 'connected',
    log,
  })
  const peers = peersOf(node)
  const protocol = new StateProtocol({
    libp2p: node.libp2p,
    peers,
    settings: node.settings,
    log,
    isHandshaken: (connection) => node.peer(connection.remotePeer.toString())?.state === 'connected',
    limiter,
    enforcer,
    prover: options.prover,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  })
  if (options.prover !== undefined) await node.libp2p.unhandle(STATE_PROTOCOL)
  await protocol.start()
  const candidates =
    options.candidates ??
    (() =>
      peers
        .connected()
        .map(({ info }) => ({ peerId: info.peerId, score: reputation.score(info.peerId), serves: true })))
  const client =
    options.verifier === undefined
      ? undefined
      : new StateClient({ protocol, verifier: options.verifier, candidates, enforcer, log })
  return { protocol, client, reputation, enforcer, scoreOf: (peerId) => reputation.localScore(peerId) }
}
