/** The mempool: see mempool.ts. Browser-safe. */
export type { MempoolEntry } from './fee-order.ts'
export type { AddResult, MempoolStats, TipChange } from './mempool.ts'
export { Mempool } from './mempool.ts'
export type { MempoolInit, PendingView } from './options.ts'
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_COUNT } from './options.ts'
export type { SelectLimits } from './select.ts'
export { selectForBlock } from './select.ts'
