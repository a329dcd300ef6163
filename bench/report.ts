/**
 * What every benchmark's command line and report share: integer flags, rounding, a text
 * table, and the machine a run was measured on (machines are shared and noisy, so the load
 * average at the start goes into every report).
 */
import { cpus, loadavg, totalmem } from 'node:os'

export function positiveInteger(text: string, flag: string, min = 1): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`${flag} must be ${min === 1 ? 'a positive integer' : `an integer >= ${min}`}`)
  }
  return value
}

export const round = (value: number, digits: number): number => Number(value.toFixed(digits))

/** Rows as aligned text: the first column left-aligned, the others right-aligned. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] as string).length))) ?? []
  return rows.map((row) =>
    row
      .map((cell, col) =>
        col === 0 ? cell.padEnd(widths[col] as number) : cell.padStart(widths[col] as number),
      )
      .join('  '),
  )
}

/** The machine and the moment, for a report's header and its JSON. */
export function machine() {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    loadAverageAtStart: round(loadavg()[0] ?? 0, 2),
    date: new Date().toISOString(),
  }
}
