/**
 * Keeps peers that have not completed /paw/handshake/1 out of every other /paw/*
 * protocol (DECISIONS.md "Handshake"): a stream middleware for their handlers.
 */
import type { Connection, StreamMiddleware } from '@libp2p/interface'
import { UnexpectedMessageError } from '../errors.ts'

export function requireHandshake(isComplete: (connection: Connection) => boolean): StreamMiddleware {
  return (stream, connection, next) => {
    if (!isComplete(connection)) {
      stream.abort(
        new UnexpectedMessageError('/paw/handshake/1 must complete before any other /paw/* protocol'),
      )
      return
    }
    next(stream, connection)
  }
}
