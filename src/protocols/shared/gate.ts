/**
 * Keeps peers that have not completed /paw/handshake/1 out of every other /paw/*
 * protocol (DECISIONS.md "Handshake"), by wrapping their handlers.
 *
 * Not libp2p's stream middleware: in libp2p 3.3.11 the `middleware` option of `handle()`
 * is ignored, and middleware registered with `use()` gains one more copy of the handler
 * for every inbound stream (connection.js pushes onto the registrar's stored array).
 */
import type { Connection, StreamHandler } from '@libp2p/interface'
import { UnexpectedMessageError } from '../../errors.ts'

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
