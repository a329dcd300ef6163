/**
 * What the crash writer (writer.ts) and its parent test share: the state key the writer
 * keeps equal to the tip height, and the height encoding it uses.
 */

/** The state key whose value the parent checks against the tip: same batch, same truth. */
export const TIP_HEIGHT_KEY = new TextEncoder().encode('tip-height')

export function u64(value: number): Uint8Array {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value))
  return bytes
}

export function readU64(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0))
}
