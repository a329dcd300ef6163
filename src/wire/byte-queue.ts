/**
 * A FIFO of received bytes for the frame decoder. Chunks are kept as they arrived and
 * handed out as views: nothing is copied, except as below.
 *
 * Small chunks are copied into shared slabs on arrival, so a peer that dribbles a frame
 * a byte at a time costs about one byte of memory per byte, not one Uint8Array object
 * per byte.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { allocUnsafe } from './bytes.ts'

/** Chunks shorter than this are coalesced into slabs. */
const SMALL_CHUNK_BYTES = 4096
const SLAB_BYTES = 16 * 1024

export class ByteQueue {
  #parts: Uint8Array[] = []
  #length = 0
  #slab: Uint8Array | undefined
  #slabUsed = 0
  /** Where, in `#slab`, the last part (a view of the slab) starts; -1 if it is not one. */
  #lastPartSlabStart = -1

  get length(): number {
    return this.#length
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.#length += chunk.length
    if (chunk.length >= SMALL_CHUNK_BYTES) {
      this.#parts.push(chunk)
      this.#lastPartSlabStart = -1
      return
    }
    this.#pushSmall(chunk)
  }

  #pushSmall(chunk: Uint8Array): void {
    const slab = this.#slab
    if (slab !== undefined && this.#lastPartSlabStart >= 0 && slab.length - this.#slabUsed >= chunk.length) {
      slab.set(chunk, this.#slabUsed)
      this.#slabUsed += chunk.length
      this.#parts[this.#parts.length - 1] = slab.subarray(this.#lastPartSlabStart, this.#slabUsed)
      return
    }
    const next =
      slab !== undefined && slab.length - this.#slabUsed >= chunk.length ? slab : allocUnsafe(SLAB_BYTES)
    if (next !== slab) {
      this.#slab = next
      this.#slabUsed = 0
    }
    next.set(chunk, this.#slabUsed)
    this.#lastPartSlabStart = this.#slabUsed
    this.#slabUsed += chunk.length
    this.#parts.push(next.subarray(this.#lastPartSlabStart, this.#slabUsed))
  }

  /** The byte at `index` (< length). Walks parts, so meant for the few header bytes. */
  byteAt(index: number): number {
    for (const part of this.#parts) {
      if (index < part.length) return part[index] as number
      index -= part.length
    }
    throw new RangeError(`byteAt(${index}) past the end of the queue`)
  }

  /** Big-endian u32 at `index`; the caller ensures index + 4 <= length. */
  readUint32(index: number): number {
    const first = this.#parts[0] as Uint8Array
    if (index + 4 <= first.length) {
      return (
        ((first[index] as number) * 0x1000000 +
          (((first[index + 1] as number) << 16) |
            ((first[index + 2] as number) << 8) |
            (first[index + 3] as number))) >>>
        0
      )
    }
    return (
      (this.byteAt(index) * 0x1000000 +
        ((this.byteAt(index + 1) << 16) | (this.byteAt(index + 2) << 8) | this.byteAt(index + 3))) >>>
      0
    )
  }

  /** Big-endian u16 at `index`; the caller ensures index + 2 <= length. */
  readUint16(index: number): number {
    const first = this.#parts[0] as Uint8Array
    if (index + 2 <= first.length) return ((first[index] as number) << 8) | (first[index + 1] as number)
    return (this.byteAt(index) << 8) | this.byteAt(index + 1)
  }

  /**
   * Removes the first `n` bytes (n <= length) and returns them as views of the chunks
   * they arrived in: no byte is copied.
   */
  takeList(n: number): Uint8ArrayList {
    const out = new Uint8ArrayList()
    let taken = 0
    while (taken < n) {
      const part = this.#parts[0] as Uint8Array
      const count = Math.min(part.length, n - taken)
      out.append(count === part.length ? part : part.subarray(0, count))
      taken += count
      this.#advance(count)
    }
    return out
  }

  /** Drops up to `n` bytes from the front; returns how many were dropped. */
  drop(n: number): number {
    let dropped = 0
    while (dropped < n && this.#parts.length > 0) {
      const part = this.#parts[0] as Uint8Array
      const count = Math.min(part.length, n - dropped)
      this.#advance(count)
      dropped += count
    }
    return dropped
  }

  clear(): void {
    this.#parts = []
    this.#length = 0
    this.#slab = undefined
    this.#slabUsed = 0
    this.#lastPartSlabStart = -1
  }

  /** Consumes `n` bytes of the first part (n <= its length). */
  #advance(n: number): void {
    const first = this.#parts[0] as Uint8Array
    this.#length -= n
    if (n === first.length) {
      this.#parts.shift()
      if (this.#parts.length === 0) this.#lastPartSlabStart = -1
    } else {
      this.#parts[0] = first.subarray(n)
      if (this.#parts.length === 1 && this.#lastPartSlabStart >= 0) this.#lastPartSlabStart += n
    }
    if (this.#length === 0) this.#lastPartSlabStart = -1
  }
}
