/**
 * Keeps peers that have not completed /paw/handshake/1 out of every other /paw/*
 * protocol (DECISIONS.md "Handshake"), by wrapping their handlers.
 *
 * Not libp2p's stream middleware: in libp2p 3.3.11 the `middleware` option of `handle()`
 * is ignored, and middleware registered with `use()` gains one more copy of the handler
 * for every inbound stream (connection.js pushes onto the registrar's stored array).
 */
import type { Connection, Libp2p, StreamHandler } from '@libp2p/interface'
import { NetworkError, UnexpectedMessageError } from '../../errors.ts'

export function requireHandshake(
  isComplete: (connection: Connection) => boolean,
  handler: StreamHandler,
): StreamHandler {
  return (stream, connection) => {
    if (!isComplete(connection)) {
      stream.abort(
        new UnexpectedMessageError('/paw/handshake/1 must complete before any other /paw/* protocol'),
      )
      return
    }
    return handler(stream, connection)
  }
}

/**
 * Holds a stream of a protocol that is not PAW's own (gossipsub) until the connection's
 * /paw/handshake/1 completes, then hands it to `handler`: paused, it is not read, and its
 * yamux window is not replenished, so before the handshake a peer can make the node hold at
 * most that window (256 KiB) on it, not one of the protocol's messages (gossipsub's are up
 * to 10 MiB). A stream whose connection fails its handshake is aborted.
 */
export function holdUntilHandshake(
  whenComplete: (connection: Connection) => Promise<boolean>,
  isComplete: (connection: Connection) => boolean,
  handler: StreamHandler,
): StreamHandler {
  return (stream, connection) => {
    if (isComplete(connection)) return handler(stream, connection)
    stream.pause()
    void whenComplete(connection).then((done) => {
      if (!done || stream.status !== 'open') {
        stream.abort(new NetworkError('/paw/handshake/1 did not complete'))
        return
      }
      handler(stream, connection)
      stream.resume()
    })
  }
}

/**
 * Re-registers the handlers of `protocols` (already registered by a service such as
 * gossipsub, whose handler is `handler`) so that their inbound streams wait for the
 * handshake (holdUntilHandshake). Call after libp2p has started the service.
 */
export async function gateProtocols(
  libp2p: Libp2p,
  protocols: readonly string[],
  handler: StreamHandler,
  options: { maxInboundStreams?: number; maxOutboundStreams?: number },
  gate: {
    whenComplete: (connection: Connection) => Promise<boolean>
    isComplete: (connection: Connection) => boolean
  },
): Promise<void> {
  const held = holdUntilHandshake(gate.whenComplete, gate.isComplete, handler)
  for (const protocol of protocols) {
    await libp2p.handle(protocol, held, { ...options, force: true })
  }
}
