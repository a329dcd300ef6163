/**
 * What `paw-node devnet` prints while the nodes run: a table redrawn in place on a terminal,
 * plain lines (one per node) in a pipe or a file, or JSON lines for scripts. Formatting is
 * pure so that it is testable without a terminal; LiveTable only moves the cursor.
 */
import type { StatusStream } from '../status-line.ts'
import type { NodeView } from './devnet-observer.ts'

export const FOOTER = 'Ctrl-C stops all nodes'

const dash = (value: number | undefined, unit = ''): string => (value === undefined ? '-' : `${value}${unit}`)

function state(view: NodeView): string {
  if (view.exited !== undefined) return view.exited
  return view.up ? 'up' : 'not answering'
}

const COLUMNS = ['node', 'type', 'height', 'peers in/out', 'mempool', 'latency', 'state'] as const

function cells(view: NodeView): string[] {
  const peers = view.peersIn === undefined ? '-' : `${view.peersIn}/${view.peersOut ?? 0}`
  return [
    view.name,
    view.type,
    dash(view.height),
    peers,
    dash(view.mempool),
    dash(view.latencyMs, ' ms'),
    state(view),
  ]
}

/** The table's lines: a header, one row per node, then the footer. */
export function tableLines(views: readonly NodeView[], now = new Date()): string[] {
  const rows = [[...COLUMNS], ...views.map(cells)]
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) =>
        i === 0 || i === 1 || i === row.length - 1
          ? cell.padEnd(widths[i] ?? 0)
          : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd()
  return [
    `paw devnet  ${now.toISOString().slice(11, 19)}`,
    ...rows.map(line),
    '',
    'latency: ms after the first node reached the same height (250 ms samples)',
    FOOTER,
  ]
}

/** One line per node for a pipe or a log file: `<time> node1 full height 12 peers 1 in / 2 out …`. */
export function plainLines(views: readonly NodeView[], now = new Date()): string[] {
  const time = now.toISOString()
  return views.map(
    (v) =>
      `${time} ${v.name} ${v.type} height ${dash(v.height)} peers ${dash(v.peersIn)} in / ${dash(v.peersOut)} out` +
      ` mempool ${dash(v.mempool)} latency ${dash(v.latencyMs, ' ms')} ${state(v)}`,
  )
}

/** One JSON object for all nodes (a line of `--json` output). */
export function jsonLine(views: readonly NodeView[], now = new Date()): string {
  return JSON.stringify({
    event: 'status',
    time: now.toISOString(),
    nodes: views.map((v) => ({
      name: v.name,
      type: v.type,
      up: v.up,
      ...(v.exited === undefined ? {} : { exited: v.exited }),
      height: v.height ?? null,
      tip: v.tipHash ?? null,
      peersIn: v.peersIn ?? null,
      peersOut: v.peersOut ?? null,
      mempool: v.mempool ?? null,
      latencyMs: v.latencyMs ?? null,
    })),
  })
}

/** Erase the line (ANSI EL2) and move up one line (CUU). */
const ERASE_LINE = '\x1b[2K'
const UP = (n: number) => `\x1b[${n}A`

/**
 * A block of lines redrawn in place: each draw moves the cursor back to the block's first
 * line and overwrites it, line by line, cut to the terminal width so that no line wraps
 * (a wrapped line would make the next move-up land in the wrong place).
 */
export class LiveTable {
  readonly #stream: StatusStream
  #drawn = 0

  constructor(stream: StatusStream) {
    this.#stream = stream
  }

  draw(lines: readonly string[]): void {
    const columns = (this.#stream.columns ?? 0) > 0 ? (this.#stream.columns as number) : 80
    let text = this.#drawn > 0 ? `\r${UP(this.#drawn)}` : ''
    for (const line of lines)
      text += `${ERASE_LINE}${line.length >= columns ? line.slice(0, columns - 1) : line}\n`
    // A shorter table than last time: blank what is left of the old one.
    for (let i = lines.length; i < this.#drawn; i++) text += `${ERASE_LINE}\n`
    const extra = Math.max(0, this.#drawn - lines.length)
    if (extra > 0) text += UP(extra)
    this.#stream.write(text)
    this.#drawn = lines.length
  }

  /** Forget the drawn block: what is written next goes below it. */
  release(): void {
    this.#drawn = 0
  }
}
