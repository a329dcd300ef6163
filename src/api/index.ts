/**
 * The public types and statistics of paw-node (src/index.ts re-exports them all). Nothing
 * here imports the node's internals: the parts that build and count import these.
 */
export type * from './chain-events.ts'
export type * from './logger.ts'
export type * from './messages.ts'
export type * from './node.ts'
export type * from './peers.ts'
export type * from './state-reads.ts'
export type * from './stats.ts'
export type * from './stores.ts'
