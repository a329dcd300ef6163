/**
 * The canonical encodings: lengths, field offsets (docs/chain.md "Byte layouts"), and
 * malformed input refused with MALFORMED.
 */

import { describe, expect, it } from 'vitest'
import {
  BLOCK_PREFIX_LENGTH,
  decodeBlock,
  decodeHeader,
  decodeTransaction,
  encodeBlock,
  encodedBlockLength,
  encodeHeader,
  encodeTransaction,
  HEADER_LENGTH,
  TRANSACTION_LENGTH,
  TRANSACTION_SIGNING_LENGTH,
  transactionSigningMessage,
} from '../../src/chain/encoding.ts'
import { isChainError } from '../../src/chain/errors.ts'
import type { Block, BlockHeader, Transaction } from '../../src/chain/types.ts'
import { hex } from '../support/vectors.ts'

const fill = (length: number, byte: number) => new Uint8Array(length).fill(byte)

const tx: Transaction = {
  from: fill(32, 0x11),
  to: fill(32, 0x22),
  amount: 0x0102030405060708n,
  fee: 0x090an,
  nonce: 7n,
  signature: fill(64, 0x33),
}

const header: BlockHeader = {
  version: 2,
  chainId: 'paw-devnet',
  height: 0x0102,
  previousHash: fill(32, 0xaa),
  timestamp: 1_767_225_600_000,
  txRoot: fill(32, 0xbb),
  stateRoot: fill(32, 0xdd),
  target: fill(32, 0xcc),
  nonce: 0xfedcba9876543210n,
}

function codeOf(run: () => unknown): string {
  try {
    run()
    return 'ok'
  } catch (error) {
    return isChainError(error) ? error.code : `threw ${String(error)}`
  }
}

describe('transaction', () => {
  it('is from, to, amount, fee, nonce, signature: 152 bytes', () => {
    const bytes = encodeTransaction(tx)
    expect(bytes.length).toBe(TRANSACTION_LENGTH)
    expect(TRANSACTION_LENGTH).toBe(152)
    expect(hex(bytes)).toBe(
      '11'.repeat(32) +
        '22'.repeat(32) +
        '0102030405060708' +
        '000000000000090a' +
        '0000000000000007' +
        '33'.repeat(64),
    )
    expect(decodeTransaction(bytes)).toEqual(tx)
  })

  it('signs "paw-tx-v1", the 32-byte chain ID field, then the body without the signature', () => {
    const message = transactionSigningMessage(tx, 'paw-devnet')
    expect(message.length).toBe(TRANSACTION_SIGNING_LENGTH)
    expect(TRANSACTION_SIGNING_LENGTH).toBe(129)
    const chainIdField = Buffer.alloc(32)
    chainIdField.write('paw-devnet')
    expect(hex(message)).toBe(
      Buffer.from('paw-tx-v1').toString('hex') +
        chainIdField.toString('hex') +
        hex(encodeTransaction(tx)).slice(0, 176),
    )
  })

  it('refuses another length, and fields that have no encoding', () => {
    expect(codeOf(() => decodeTransaction(new Uint8Array(151)))).toBe('MALFORMED')
    expect(codeOf(() => decodeTransaction(new Uint8Array(153)))).toBe('MALFORMED')
    expect(codeOf(() => encodeTransaction({ ...tx, amount: 1n << 64n }))).toBe('MALFORMED')
    expect(codeOf(() => encodeTransaction({ ...tx, fee: -1n }))).toBe('MALFORMED')
    expect(codeOf(() => encodeTransaction({ ...tx, signature: fill(65, 0) }))).toBe('MALFORMED')
    expect(codeOf(() => encodeTransaction({ ...tx, from: fill(31, 0) }))).toBe('MALFORMED')
    expect(codeOf(() => transactionSigningMessage(tx, ''))).toBe('MALFORMED')
    expect(codeOf(() => transactionSigningMessage(tx, 'x'.repeat(33)))).toBe('MALFORMED')
  })
})

describe('header', () => {
  const bytes = encodeHeader(header)

  it('is 185 bytes at the documented offsets', () => {
    expect(bytes.length).toBe(HEADER_LENGTH)
    expect(HEADER_LENGTH).toBe(185)
    const chainId = Buffer.alloc(32)
    chainId.write('paw-devnet')
    expect(hex(bytes)).toBe(
      '02' +
        chainId.toString('hex') +
        '0000000000000102' +
        'aa'.repeat(32) +
        '0000019b76daa800' +
        'bb'.repeat(32) +
        'dd'.repeat(32) +
        'cc'.repeat(32) +
        'fedcba9876543210',
    )
    expect(decodeHeader(bytes)).toEqual(header)
  })

  it('refuses a wrong length, an unknown version, a bad chain ID field, an unsafe height or timestamp', () => {
    expect(codeOf(() => decodeHeader(bytes.subarray(1)))).toBe('MALFORMED')
    expect(codeOf(() => decodeHeader(new Uint8Array([...bytes, 0])))).toBe('MALFORMED')
    const patched = (offset: number, values: number[]) => {
      const copy = bytes.slice()
      copy.set(values, offset)
      return copy
    }
    expect(codeOf(() => decodeHeader(patched(0, [1])))).toBe('MALFORMED')
    expect(codeOf(() => decodeHeader(patched(0, [3])))).toBe('MALFORMED')
    expect(codeOf(() => decodeHeader(patched(1, new Array(32).fill(0))))).toBe('MALFORMED')
    expect(codeOf(() => decodeHeader(patched(20, [0x41])))).toBe('MALFORMED')
    expect(codeOf(() => decodeHeader(patched(1, [0xff])))).toBe('MALFORMED')
    // 2^53 as a height or timestamp: one past Number.MAX_SAFE_INTEGER.
    expect(codeOf(() => decodeHeader(patched(33, [0, 0x20, 0, 0, 0, 0, 0, 0])))).toBe('MALFORMED')
    expect(codeOf(() => decodeHeader(patched(73, [0, 0x20, 0, 0, 0, 0, 0, 0])))).toBe('MALFORMED')
    expect(codeOf(() => decodeHeader(patched(33, [0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])))).toBe('ok')
  })

  it('refuses to encode a header with no canonical form', () => {
    expect(codeOf(() => encodeHeader({ ...header, version: 1 }))).toBe('MALFORMED')
    expect(codeOf(() => encodeHeader({ ...header, stateRoot: fill(31, 0) }))).toBe('MALFORMED')
    expect(codeOf(() => encodeHeader({ ...header, height: -1 }))).toBe('MALFORMED')
    expect(codeOf(() => encodeHeader({ ...header, height: 1.5 }))).toBe('MALFORMED')
    expect(codeOf(() => encodeHeader({ ...header, timestamp: 2 ** 53 }))).toBe('MALFORMED')
    expect(codeOf(() => encodeHeader({ ...header, chainId: 'a\u0000b' }))).toBe('MALFORMED')
    expect(codeOf(() => encodeHeader({ ...header, target: fill(31, 0) }))).toBe('MALFORMED')
    expect(codeOf(() => encodeHeader({ ...header, nonce: 1n << 64n }))).toBe('MALFORMED')
  })
})

describe('block', () => {
  const block: Block = { header, transactions: [tx, { ...tx, nonce: 8n }] }
  const bytes = encodeBlock(block)

  it('is the header, a u32 count, then the transactions', () => {
    expect(bytes.length).toBe(BLOCK_PREFIX_LENGTH + 2 * TRANSACTION_LENGTH)
    expect(encodedBlockLength(block)).toBe(bytes.length)
    expect(hex(bytes.subarray(0, HEADER_LENGTH))).toBe(hex(encodeHeader(header)))
    expect(hex(bytes.subarray(HEADER_LENGTH, BLOCK_PREFIX_LENGTH))).toBe('00000002')
    expect(hex(bytes.subarray(BLOCK_PREFIX_LENGTH, BLOCK_PREFIX_LENGTH + TRANSACTION_LENGTH))).toBe(
      hex(encodeTransaction(tx)),
    )
    expect(decodeBlock(bytes)).toEqual(block)
    expect(decodeBlock(encodeBlock({ header, transactions: [] }))).toEqual({ header, transactions: [] })
  })

  it('decodes copies, not views of the input', () => {
    const input = bytes.slice()
    const decoded = decodeBlock(input)
    input.fill(0)
    expect(decoded).toEqual(block)
  })

  it('refuses a count that disagrees with the length, trailing bytes, truncation', () => {
    const withCount = (count: number) => {
      const copy = bytes.slice()
      new DataView(copy.buffer).setUint32(HEADER_LENGTH, count)
      return copy
    }
    expect(codeOf(() => decodeBlock(withCount(1)))).toBe('MALFORMED')
    expect(codeOf(() => decodeBlock(withCount(3)))).toBe('MALFORMED')
    expect(codeOf(() => decodeBlock(withCount(0xffffffff)))).toBe('MALFORMED')
    expect(codeOf(() => decodeBlock(new Uint8Array([...bytes, 0])))).toBe('MALFORMED')
    expect(codeOf(() => decodeBlock(bytes.subarray(0, bytes.length - 1)))).toBe('MALFORMED')
    expect(codeOf(() => decodeBlock(bytes.subarray(0, BLOCK_PREFIX_LENGTH - 1)))).toBe('MALFORMED')
    expect(codeOf(() => decodeBlock(new Uint8Array(0)))).toBe('MALFORMED')
  })
})
