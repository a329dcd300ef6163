/**
 * Which node answers: every reply states the node's peer ID, and a request that names
 * another (Paw-Expect-Peer-Id) is refused before any route runs. Two nodes on one machine
 * can otherwise swap admin addresses unnoticed (a stale admin.addr, an admin.listen that
 * another node holds), and a ban or a transaction meant for one would land on the other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { PeerId } from '@libp2p/interface'
import { EXPECT_PEER_ID_HEADER, PEER_ID_HEADER } from './constants.ts'
import { AdminError, AdminErrorCode } from './errors.ts'

/** Sets Paw-Node-Peer-Id; writeHead merges it into whatever reply follows, errors included. */
export function statePeerId(res: ServerResponse, self: PeerId): void {
  res.setHeader(PEER_ID_HEADER, self.toString())
}

/** @throws AdminError 409 WRONG_NODE when Paw-Expect-Peer-Id is present and not this node's. */
export function checkExpectedPeerId(req: IncomingMessage, self: PeerId): void {
  const expected = req.headers[EXPECT_PEER_ID_HEADER.toLowerCase()]
  if (expected === undefined) return
  const own = self.toString()
  const text = Array.isArray(expected) ? expected.join(', ') : expected.trim()
  if (text === own) return
  throw new AdminError(
    409,
    AdminErrorCode.WrongNode,
    `this node is ${own}, not ${text} (${EXPECT_PEER_ID_HEADER}); nothing was done`,
  )
}
