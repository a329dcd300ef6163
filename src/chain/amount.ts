/**
 * Amounts as people read them: PAW with up to 8 decimals (one PAW is 100,000,000 base
 * units, docs/chain.md). Chain errors quote amounts this way, so an operator who typed PAW
 * reads PAW back; the base units follow for those who count in them. Browser-safe.
 */
import { MAX_U64 } from './encoding.ts'
import { BASE_UNITS_PER_PAW } from './params.ts'

/** 8: one PAW is 100,000,000 base units. */
export const PAW_DECIMALS = BASE_UNITS_PER_PAW.toString().length - 1

/** Base units as PAW, without trailing zeros: 150000000n → "1.5". */
export function formatPaw(units: bigint): string {
  const whole = units / BASE_UNITS_PER_PAW
  const fraction = (units % BASE_UNITS_PER_PAW).toString().padStart(PAW_DECIMALS, '0').replace(/0+$/, '')
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`
}

/** An amount in a message: 150000000n → "1.5 PAW (150000000 base units)". */
export function describeAmount(units: bigint): string {
  return `${formatPaw(units)} PAW (${units} base units)`
}

/**
 * PAW as a person types it ("1.5", "0.00000001", "12") in base units: digits, at most 8
 * decimals, at most 2^64 − 1 base units. `name` starts the error message ("amount must not
 * be negative…"; the CLI passes "--amount").
 * @throws RangeError naming what is wrong (negative, not a number, too many decimals, too large)
 */
export function parsePaw(text: string, name = 'amount'): bigint {
  const trimmed = text.trim()
  if (trimmed.startsWith('-'))
    throw new RangeError(`${name} must not be negative, got ${JSON.stringify(text)}`)
  const match = /^(\d+)(?:\.(\d+))?$/.exec(trimmed)
  if (match === null) {
    throw new RangeError(`${name} must be an amount of PAW such as 1.5, got ${JSON.stringify(text)}`)
  }
  const [, whole, fraction = ''] = match as unknown as [string, string, string | undefined]
  if (fraction.length > PAW_DECIMALS) {
    throw new RangeError(
      `${name} has more than ${PAW_DECIMALS} decimals (1 PAW = ${BASE_UNITS_PER_PAW} base units), got ${JSON.stringify(text)}`,
    )
  }
  const units = BigInt(whole) * BASE_UNITS_PER_PAW + BigInt(fraction.padEnd(PAW_DECIMALS, '0'))
  if (units > MAX_U64) throw new RangeError(`${name} is above the largest amount (2^64 - 1 base units)`)
  return units
}
