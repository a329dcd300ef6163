/** Counters of /paw/blocks/1 since the node was created (BlocksProtocol.stats()). */
export interface BlocksStats {
  /** Requests we sent (get_block, get_blocks, get_headers). */
  requestsSent: number
  /** Requests we answered. */
  requestsServed: number
  /** Block encodings we sent in answers. */
  blocksServed: number
  /** Header encodings we sent in answers. */
  headersServed: number
  /** What peers did that we refused, by reason (each is logged at WARN). */
  refused: {
    /** 0x09: a request beyond the peer's rate limit (not answered, stream reset). */
    rateLimited: number
    /** 0x0A: an answer we did not ask for, or one that does not match our request. */
    unexpectedMessage: number
    /** 0x05: a malformed frame or payload, or a frame type /paw/blocks/1 does not define. */
    invalidMessage: number
    /** A stream from a peer whose /paw/handshake/1 had not completed (reset by the gate). */
    notHandshaken: number
  }
}

export function newBlocksStats(): BlocksStats {
  return {
    requestsSent: 0,
    requestsServed: 0,
    blocksServed: 0,
    headersServed: 0,
    refused: { rateLimited: 0, unexpectedMessage: 0, invalidMessage: 0, notHandshaken: 0 },
  }
}

export function copyBlocksStats(stats: BlocksStats): BlocksStats {
  return { ...stats, refused: { ...stats.refused } }
}
