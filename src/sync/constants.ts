/** Defaults of the sync parts (resolved with `init.x ?? X`). Browser-safe. */

/** How often a running sync reports its progress (log line, onProgress). */
export const PROGRESS_EVERY_MS = 1_000

/** Headers per get_headers request: the most one answer holds (protocols/blocks.md). */
export const HEADERS_PER_REQUEST = 512

/** Heights per get_blocks request: the most one answer holds (protocols/blocks.md). */
export const BLOCKS_PER_REQUEST = 128

/** Body requests in flight per peer: with one, the link idles while the peer reads its store. */
export const REQUESTS_PER_PEER = 2

/**
 * Bytes of bodies fetched and not yet imported past which the body requests wait for the
 * imports: the next ranges arrive while the chain validates (a sync is bound by
 * validation, not the link), and what waits is bounded, not the rest of the chain. About
 * two full answers (an answer holds at most 10 MiB, protocols/blocks.md).
 */
export const IMPORT_BACKLOG_BYTES = 20 * 1024 * 1024

/** Failures of one range before a sync gives up (issue 6 "retries … with a budget"). */
export const MAX_RANGE_ATTEMPTS = 5

/** Pause before retrying a range that failed for the network or the peer's load. */
export const RETRY_PAUSE_MS = 1_000

/** While every range left is in flight, how often an idle request loop looks again. */
export const IDLE_POLL_MS = 20

/** Pause before a failed background sync is tried again. */
export const SYNC_RETRY_MS = 5_000
