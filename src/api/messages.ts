/**
 * The messages of the 000 vocabulary as the API sees them, and the handlers they are
 * dispatched to (PawNode.onMessage). Imports nothing internal. Browser-safe.
 */
import type { PeerInfo } from './peers.ts'

/** A message of the 000 vocabulary as it travels: a frame on a /paw/* protocol. */
export interface PawMessage {
  /** The /paw/* protocol the frame belongs to. */
  protocol: string
  type: string
  payload: Uint8Array
}

export type MessageHandler = (message: PawMessage, peer: PeerInfo) => void | Promise<void>
