/**
 * The text of `paw-node start`'s sync progress bar (issue 6: "progress is visible (height,
 * target, blocks/s) … a progress bar on a terminal"), e.g.
 *
 *   sync [##########----------]  50.0%  height 5,000 / 10,000  1,234 blocks/s  eta 4s
 *
 * Pure: the caller draws it (StatusLine).
 */
import type { SyncProgress } from '../sync/types.ts'

const BAR_CELLS = 24
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** `seconds` as 45s, 3m05s or 2h07m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3_600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3_600)}h${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')}m`
}

/** The bar for `progress`; the share done counts from where the sync started. */
export function formatSyncProgress(progress: SyncProgress): string {
  const { height, target, from, perSecond, kind } = progress
  const span = Math.max(1, target - from)
  const share = Math.min(1, Math.max(0, (height - from) / span))
  const filled = Math.round(share * BAR_CELLS)
  const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_CELLS - filled)}`
  const percent = `${(share * 100).toFixed(1)}%`.padStart(6)
  const left = target - height
  const eta = perSecond > 0 && left > 0 ? `  eta ${formatDuration(left / perSecond)}` : ''
  return (
    `sync [${bar}] ${percent}  height ${grouped.format(height)} / ${grouped.format(target)}  ` +
    `${grouped.format(perSecond)} ${kind}/s${eta}`
  )
}
