/** Amounts as operators type them: PAW with up to 8 decimals, held as base units (u64). */

import { formatPaw, PAW_DECIMALS } from '../chain/amount.ts'
import { MAX_U64 } from '../chain/encoding.ts'
import { BASE_UNITS_PER_PAW } from '../chain/params.ts'
import { UsageError } from './options.ts'

export { formatPaw, PAW_DECIMALS }

/** `text` PAW in base units; a malformed, negative, over-precise or over-u64 value is a UsageError. */
export function parsePaw(flag: string, text: string): bigint {
  const trimmed = text.trim()
  if (trimmed.startsWith('-'))
    throw new UsageError(`--${flag} must not be negative, got ${JSON.stringify(text)}`)
  const match = /^(\d+)(?:\.(\d+))?$/.exec(trimmed)
  if (match === null) {
    throw new UsageError(`--${flag} must be an amount of PAW such as 1.5, got ${JSON.stringify(text)}`)
  }
  const [, whole, fraction = ''] = match as unknown as [string, string, string | undefined]
  if (fraction.length > PAW_DECIMALS) {
    throw new UsageError(
      `--${flag} has more than ${PAW_DECIMALS} decimals (1 PAW = ${BASE_UNITS_PER_PAW} base units), got ${JSON.stringify(text)}`,
    )
  }
  const units = BigInt(whole) * BASE_UNITS_PER_PAW + BigInt(fraction.padEnd(PAW_DECIMALS, '0'))
  if (units > MAX_U64) throw new UsageError(`--${flag} is above the largest amount (2^64 - 1 base units)`)
  return units
}
