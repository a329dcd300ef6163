/**
 * Limits of the admin HTTP API. It serves one operator on loopback, so the bounds are
 * tight: they only have to keep a stray or hostile local client from holding the node's
 * memory or sockets.
 */

/** Request bodies: a transaction is 152 bytes (304 hex digits); 64 KiB leaves room for batches later. */
export const MAX_BODY_BYTES = 64 * 1024

/** Whole request, headers and body, from a client on the same machine. */
export const REQUEST_TIMEOUT_MS = 10_000

/** Headers alone (slowloris). */
export const HEADERS_TIMEOUT_MS = 5_000

/** Idle keep-alive connections are closed after this. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000

/** Connections at once: an operator's CLI and a dashboard or two. */
export const MAX_CONNECTIONS = 32

/** In <home>/data/: the bound `host:port` while the node runs (port 0 picks one). */
export const ADMIN_ADDR_FILE = 'admin.addr'

/**
 * Sent on every reply: the answering node's libp2p peer ID, so a client that meant another
 * node (a stale admin.addr, a port another node took) can tell. Peer IDs are public.
 */
export const PEER_ID_HEADER = 'Paw-Node-Peer-Id'

/**
 * Sent by a client that knows which node it means (the CLI reads it from the home's node
 * key): a node with another peer ID refuses the request, 409 WRONG_NODE, before routing it,
 * so a ban or a transaction never lands on the wrong node.
 */
export const EXPECT_PEER_ID_HEADER = 'Paw-Expect-Peer-Id'
