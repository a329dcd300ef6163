/**
 * gossipsub's inbound streams wait for /paw/handshake/1 (src/protocols/shared/gate.ts
 * holdUntilHandshake): before it, a peer could otherwise make the node buffer a 10 MiB
 * gossip message on each connection, and its gossip would only be ignored afterwards
 * (protocols/handshake.md: nothing before the handshake). Browser-safe.
 */
import type { Connection, Libp2p, StreamHandler } from '@libp2p/interface'
import type { Logger } from '../logging.ts'
import { gateProtocols } from '../protocols/shared/gate.ts'
import type { PawPubSub } from './gossip-service.ts'

/**
 * Re-registers gossipsub's protocols behind the handshake gate. Call after libp2p has
 * started gossipsub. A gossipsub without the handler this reads is left ungated, with a
 * warning: the node still works, only without this bound.
 */
export async function gateGossipsubStreams(
  libp2p: Libp2p,
  pubsub: PawPubSub,
  gate: {
    whenComplete: (connection: Connection) => Promise<boolean>
    isComplete: (connection: Connection) => boolean
  },
  log: Logger,
): Promise<void> {
  // gossipsub 17 keeps these private; read as it declares them, checked at run time.
  const internals = pubsub as PawPubSub & {
    onIncomingStream?: StreamHandler
    maxInboundStreams?: number
    maxOutboundStreams?: number
  }
  const handler = internals.onIncomingStream?.bind(pubsub)
  if (typeof handler !== 'function' || !Array.isArray(pubsub.protocols)) {
    log.warn('gossipsub streams not gated by the handshake: this gossipsub has no onIncomingStream')
    return
  }
  await gateProtocols(
    libp2p,
    pubsub.protocols,
    handler,
    {
      ...(internals.maxInboundStreams === undefined
        ? {}
        : { maxInboundStreams: internals.maxInboundStreams }),
      ...(internals.maxOutboundStreams === undefined
        ? {}
        : { maxOutboundStreams: internals.maxOutboundStreams }),
    },
    gate,
  )
}
