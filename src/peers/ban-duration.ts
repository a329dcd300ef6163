/**
 * Ban durations as the CLI and the admin API take and print them (`30s`, `10m`, `24h`,
 * `1d 3h`). Browser-safe.
 */

const UNIT_MS = {
  w: 7 * 24 * 60 * 60_000,
  d: 24 * 60 * 60_000,
  h: 60 * 60_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
} as const
type DurationUnit = keyof typeof UNIT_MS
const DURATION_PART = /(\d+)(ms|[wdhms])/y

/**
 * A duration as the CLI takes it: `30s`, `10m`, `2h`, `7d`, `1w` (also `500ms`, and
 * combinations such as `1d 3h`, which is what formatDuration prints), or plain digits
 * meaning milliseconds.
 * @throws TypeError naming the accepted forms
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim()
  const invalid = () =>
    new TypeError(
      `invalid duration ${JSON.stringify(text)}: expected a number with a unit (30s, 10m, 2h, 7d, 1w, or combined as 1d 3h) or plain milliseconds`,
    )
  let total: number
  if (/^\d+$/.test(trimmed)) {
    total = Number(trimmed)
  } else {
    const compact = trimmed.replace(/\s+/g, '')
    // Spaces only between parts: "1 d" is refused, "1d 3h" accepted.
    if (compact === '' || /\d\s+[a-z]/.test(trimmed)) throw invalid()
    total = 0
    DURATION_PART.lastIndex = 0
    while (DURATION_PART.lastIndex < compact.length) {
      const match = DURATION_PART.exec(compact)
      if (match === null) throw invalid()
      total += Number(match[1]) * UNIT_MS[match[2] as DurationUnit]
    }
  }
  if (!Number.isSafeInteger(total)) throw new TypeError(`duration ${JSON.stringify(text)} is too long`)
  return total
}

/**
 * A duration for people: its largest unit and, if not zero, the next one down, truncated
 * ("2h", "1d 3h", "45s"). Units as parseDuration reads them, so the text parses back (to
 * at most the original).
 * @throws RangeError for a negative or non-finite duration
 */
export function formatDuration(ms: number): string {
  if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`not a duration: ${ms}`)
  let rest = Math.floor(ms)
  const units = Object.keys(UNIT_MS) as DurationUnit[]
  const parts: string[] = []
  for (const unit of units) {
    const count = Math.floor(rest / UNIT_MS[unit])
    rest -= count * UNIT_MS[unit]
    if (parts.length === 1) {
      if (count > 0) parts.push(`${count}${unit}`)
      break
    }
    if (count > 0) parts.push(`${count}${unit}`)
  }
  return parts.length === 0 ? '0s' : parts.join(' ')
}
