/**
 * The byte helpers every codec and key uses (src/wire/bytes.ts): hex both ways, on views
 * at any offset, with Node's native hex and without it (the browser path).
 */
import { describe, expect, it, vi } from 'vitest'
import { fromHex, toHex } from '../../src/wire/bytes.ts'

/** Lowercase hex, two digits a byte: what every id and key in the docs is written as. */
const expected = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

describe('hex', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i)

  it('encodes every byte value, lowercase, on a view at an offset, and decodes back', () => {
    const view = new Uint8Array(all.buffer, 3, 200)
    expect(toHex(all)).toBe(expected(all))
    expect(toHex(view)).toBe(expected(view))
    expect(toHex(new Uint8Array(0))).toBe('')
    expect(fromHex(toHex(view))).toEqual(view.slice())
    expect(fromHex('ABcd')).toEqual(Uint8Array.of(0xab, 0xcd))
    expect(() => fromHex('abc')).toThrow(TypeError)
    expect(() => fromHex('zz')).toThrow(TypeError)
  })

  it('gives the same without Node’s Buffer (the browser path)', async () => {
    const saved = globalThis.Buffer
    try {
      // A fresh copy of the module, loaded while there is no global Buffer.
      ;(globalThis as { Buffer?: unknown }).Buffer = undefined
      vi.resetModules()
      const browser = await import('../../src/wire/bytes.ts')
      expect(browser.toHex(all)).toBe(expected(all))
      expect(browser.toHex(new Uint8Array(all.buffer, 17, 32))).toBe(expected(all.subarray(17, 49)))
    } finally {
      globalThis.Buffer = saved
    }
  })
})
