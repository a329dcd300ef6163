/** Amounts as operators type them: PAW with up to 8 decimals, held as base units (u64). */

import { formatPaw, PAW_DECIMALS, parsePaw as parseAmount } from '../chain/amount.ts'
import { UsageError } from './options.ts'

export { formatPaw, PAW_DECIMALS }

/** `text` PAW in base units; a malformed, negative, over-precise or over-u64 value is a UsageError naming `--flag`. */
export function parsePaw(flag: string, text: string): bigint {
  try {
    return parseAmount(text, `--${flag}`)
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message)
    throw error
  }
}
