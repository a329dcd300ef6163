/**
 * Amounts as people read them: PAW with up to 8 decimals (one PAW is 100,000,000 base
 * units, docs/chain.md). Chain errors quote amounts this way, so an operator who typed PAW
 * reads PAW back; the base units follow for those who count in them. Browser-safe.
 */
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
