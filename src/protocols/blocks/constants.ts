/** protocols/blocks.md */
export const BLOCKS_PROTOCOL = '/paw/blocks/1'

/**
 * Streams our own requests to one peer may use at once, each lock-step (protocols/blocks.md
 * "Stream rules"). Two keep the link busy: the peer reads one answer from its store while
 * it writes the other.
 */
export const REQUEST_STREAMS_PER_PEER = 2

/**
 * /paw/blocks/1 streams one connection may have open per direction (protocols/blocks.md
 * "Stream rules"): the requester's REQUEST_STREAMS_PER_PEER, with room for as many that are
 * closing while the next open. libp2p refuses a peer that opens more.
 */
export const MAX_BLOCKS_STREAMS = 2 * REQUEST_STREAMS_PER_PEER

/**
 * The slowest link an answer is written for: a `blocks` answer of `bytes` may take
 * bytes / WRITE_BYTES_PER_SECOND seconds (1 MiB/s, about 8.4 Mbit/s), never less than the
 * node's write timeout. A full 10 MiB answer gets 10 s.
 */
export const WRITE_BYTES_PER_SECOND = 1024 * 1024

/** The write timeout for an answer of `bytes` (protocols/blocks.md "Stream rules"). */
export function writeTimeoutFor(bytes: number, writeMs: number): number {
  return Math.max(writeMs, Math.ceil((bytes / WRITE_BYTES_PER_SECOND) * 1000))
}

/** Largest slice of a block handed to the stream at once (a view, not a copy). */
export const WRITE_CHUNK_BYTES = 1024 * 1024
