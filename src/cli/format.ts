/**
 * Text for operators: aligned tables and the units the operator commands print (short peer
 * ids, bytes, durations, ban expiries). Pure functions, so the commands' output is testable
 * without a terminal.
 */
import { formatDuration } from '../peers/ban-list.ts'

/**
 * `12D3…abcd`: enough to tell a handful of peers apart in a table. Every Ed25519 peer id
 * starts 12D3KooW, so the tail carries the difference; `--json` and `--full-ids` give the
 * whole id to paste into `ban` or `disconnect`.
 */
/** `count` and its noun, plural unless one: counted(1, 'group') → "1 group". */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`
}

export function shortPeerId(id: string): string {
  return id.length <= 12 ? id : `${id.slice(0, 4)}…${id.slice(-4)}`
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const

/** `512 B`, `1.5 KiB`, `23.0 MiB`: binary units, one decimal. */
export function formatBytes(bytes: number): string {
  if (!(bytes >= 1024)) return `${Math.max(0, Math.floor(bytes || 0))} B`
  let value = bytes
  let unit = ''
  for (const next of BYTE_UNITS) {
    value /= 1024
    unit = next
    if (value < 1024) break
  }
  return `${value.toFixed(1)} ${unit}`
}

/**
 * `1d 3h`, `45s`, whole seconds from a second up (milliseconds of an uptime are noise);
 * `-` for nothing to show.
 */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !(ms >= 0)) return '-'
  return formatDuration(ms >= 1000 ? Math.floor(ms / 1000) * 1000 : ms)
}

/** A peer's address without its trailing `/p2p/<id>`, which the table shows in its own column. */
export function withoutPeerId(address: string): string {
  return address.replace(/\/p2p\/[^/]+$/, '')
}

/** A round trip: `12 ms`, or `-` before the first ping answer. */
export function formatRtt(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : `${Math.round(ms)} ms`
}

/**
 * When a ban ends, relative to `now`: `in 23h 59m`, or `expired` for one that ended while
 * we looked. Rounded up to the minute above a minute, so a fresh 24h ban does not read
 * `in 23h 59m 59s` → `in 23h`.
 */
export function formatExpiry(until: number, now: number = Date.now()): string {
  const left = until - now
  if (left <= 0) return 'expired'
  const shown = left >= 60_000 ? Math.floor(left / 60_000) * 60_000 : Math.ceil(left / 1000) * 1000
  return `in ${formatDuration(shown)}`
}

export type Align = 'left' | 'right'

export interface Column {
  title: string
  /** @default 'left' */
  align?: Align
}

/**
 * Rows under a header, each column as wide as its widest cell, two spaces apart; trailing
 * spaces trimmed so the output diffs cleanly.
 */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, ...rows.map((row) => (row[i] ?? '').length)),
  )
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? ''
        const width = widths[i] ?? 0
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  return `${[line(columns.map((c) => c.title)), ...rows.map(line)].join('\n')}\n`
}
