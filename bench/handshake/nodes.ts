/**
 * The dialling side of bench/handshake: a paw-node client, a plain libp2p node with the
 * same transport, encryption, muxer and services but no PAW code (the baseline), and one
 * timed connection of each kind.
 */
import { identify } from '@libp2p/identify'
import type { Libp2p, PeerId } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { PawNode } from '../../src/api/index.ts'
import { libp2pLogger } from '../../src/logging.ts'
import { createPawNode } from '../../src/node/index.ts'

/**
 * Room for every connection the bench makes; its churn all comes from one host. The
 * clients keep no minimum of outbound peers: their maintenance loop must not redial the
 * server between two measured connections.
 */
export const BENCH_LIMITS = { maxPeers: 1000, maxInbound: 1000, maxOutbound: 100, minOutbound: 0 }
export const BENCH_INBOUND = { perHostPerSecond: 10_000, maxPending: 1000 }

const DIAL_TIMEOUT_MS = 5_000
const CLOSE_TIMEOUT_MS = 2_000

/** A dial-only paw-node. */
export async function createClient(chainId: string): Promise<PawNode> {
  const node = await createPawNode({
    chainId,
    tcpPort: null,
    wsPort: null,
    limits: BENCH_LIMITS,
    inbound: BENCH_INBOUND,
    logLevel: 'error',
  })
  await node.start()
  return node
}

/**
 * The baseline: what a paw-node client does up to the PAW handshake. Same transport,
 * Noise, yamux, identify and ping (identify runs on every new connection for both), and
 * the connection monitor off as in a paw-node. libp2p's default logger, unless
 * `pawLogger`: then the one a paw-node gives libp2p (src/logging.ts libp2pLogger), to show
 * what of the difference is that logger alone.
 */
export async function createPlain(pawLogger = false): Promise<Libp2p> {
  const node = await createLibp2p({
    ...(pawLogger ? { logger: libp2pLogger } : {}),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    services: { identify: identify(), ping: ping() },
  })
  await node.start()
  return node
}

/** Closes every connection to `peer`; aborts what does not close. Never rejects. */
export async function hangUp(libp2p: Libp2p, peer: PeerId): Promise<void> {
  try {
    await libp2p.hangUp(peer, { signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) })
  } catch {
    // Under churn close() can reject; the connection still has to go.
  }
  for (const connection of libp2p.getConnections(peer)) {
    connection.abort(new Error('bench: hang up'))
  }
}

async function until(what: string, check: () => boolean, timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

export interface Target {
  address: string
  peerId: PeerId
  chainId: string
}

/**
 * One PAW connection: dial + Noise + yamux + /paw/handshake/1, timed until connectToPeer
 * resolves (the handshake completed both ways). Then hangs up, untimed, and waits until
 * the client no longer lists the server as connected, so the next call dials anew.
 */
export async function pawConnection(client: PawNode, server: Target): Promise<number> {
  const t0 = performance.now()
  const info = await client.connectToPeer(server.address, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
  const ms = performance.now() - t0
  if (info.state !== 'connected' || info.chainId !== server.chainId) {
    throw new Error(`connectToPeer resolved with state ${info.state}, chain ${info.chainId}`)
  }
  await hangUp(client.libp2p, server.peerId)
  const id = server.peerId.toString()
  await until('the client to drop the server', () => client.peer(id)?.state !== 'connected')
  return ms
}

/** One baseline connection: dial + Noise + yamux, timed until the connection is usable. */
export async function plainConnection(plain: Libp2p, server: Target): Promise<number> {
  const t0 = performance.now()
  const connection = await plain.dial(multiaddr(server.address), {
    signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
  })
  const ms = performance.now() - t0
  if (!connection.remotePeer.equals(server.peerId) || connection.status !== 'open') {
    throw new Error(`dial returned a ${connection.status} connection to ${connection.remotePeer}`)
  }
  await hangUp(plain, server.peerId)
  await until('the plain node to drop the server', () => plain.getConnections(server.peerId).length === 0)
  return ms
}
