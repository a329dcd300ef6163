import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  AUTHORITY_SHAPE,
  AuthorityFullChain,
  authorityDevnet,
  BLOCK_PREFIX_BYTES,
  decodeBlock,
  decodeHeader,
  decodeTransaction,
  encodeBlock,
  encodeHeader,
  encodeTransaction,
  genesisBlock,
  genesisCommitment,
  HEADER_BYTES,
  headerSigningMessage,
  isAuthorityChainError,
  MAX_BLOCK_BYTES,
  TRANSACTION_BYTES,
  transactionSigningMessage,
} from '../../src/authority-chain/index.ts'
import { verifyHeaderSignature, verifyTransactionSignature } from '../../src/authority-chain/keys.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { nextBlock, transfer } from './builder.ts'

const devnet = authorityDevnet({ timestamp: 1_700_000_000_000 })

function malformed(decode: () => unknown): string | undefined {
  try {
    decode()
    return undefined
  } catch (error) {
    return isAuthorityChainError(error) ? `${error.status} ${error.code}` : String(error)
  }
}

describe('authority chain encodings', () => {
  it('fixes the sizes the wire packs: 143-byte headers, 156-byte transactions, 147 + 156·n blocks', () => {
    expect(AUTHORITY_SHAPE).toMatchObject({ headerBytes: 143, transactionBytes: 156, hashBytes: 32 })
    expect(AUTHORITY_SHAPE.maxBlockBytes).toBe(MAX_BLOCK_BYTES)
    expect(AUTHORITY_SHAPE.isBlockLength(BLOCK_PREFIX_BYTES)).toBe(true)
    expect(AUTHORITY_SHAPE.isBlockLength(BLOCK_PREFIX_BYTES + 3 * TRANSACTION_BYTES)).toBe(true)
    expect(AUTHORITY_SHAPE.isBlockLength(BLOCK_PREFIX_BYTES + 155)).toBe(false)
    expect(AUTHORITY_SHAPE.isBlockLength(BLOCK_PREFIX_BYTES - 1)).toBe(false)
    const largest = BLOCK_PREFIX_BYTES + Math.floor((MAX_BLOCK_BYTES - BLOCK_PREFIX_BYTES) / 156) * 156
    expect(AUTHORITY_SHAPE.isBlockLength(largest)).toBe(true)
    expect(AUTHORITY_SHAPE.isBlockLength(largest + 156)).toBe(false)
  })

  it('round-trips a signed header, transaction and block byte for byte', () => {
    const chain = new AuthorityFullChain({ genesis: devnet.genesis })
    const { transaction, encoded } = transfer(devnet, 0, 1, { amount: 5n })
    expect(encoded).toHaveLength(TRANSACTION_BYTES)
    expect(decodeTransaction(encoded)).toEqual(transaction)
    expect(chain.pool.admit(encoded).status).toBe('accepted')
    const { block, encoded: blockBytes } = nextBlock(devnet, chain)
    expect(blockBytes).toHaveLength(BLOCK_PREFIX_BYTES + TRANSACTION_BYTES)
    expect(decodeBlock(blockBytes)).toEqual(block)
    expect(encodeBlock(decodeBlock(blockBytes))).toEqual(blockBytes)
    const header = encodeHeader(block.header)
    expect(header).toEqual(blockBytes.subarray(0, HEADER_BYTES))
    expect(decodeHeader(header)).toEqual(block.header)
    expect(encodeTransaction(decodeTransaction(encoded))).toEqual(encoded)
  })

  it('lays the header out as documented: version, height, parent, timestamp, txRoot, proposer, signature', () => {
    const { header } = genesisBlock(devnet.genesis)
    const bytes = encodeHeader({ ...header, height: 0x01020304, proposer: 0x0a0b, timestamp: 0x0102030405 })
    expect(bytes[0]).toBe(1)
    expect(toHex(bytes.subarray(1, 5))).toBe('01020304')
    expect(toHex(bytes.subarray(37, 45))).toBe('0000000102030405')
    expect(toHex(bytes.subarray(45, 77))).toBe(toHex(genesisCommitment(devnet.genesis)))
    expect(toHex(bytes.subarray(77, 79))).toBe('0a0b')
  })

  it('refuses bytes that are no encoding as MALFORMED, never another exception', () => {
    const { header } = genesisBlock(devnet.genesis)
    const bytes = encodeHeader(header)
    expect(malformed(() => decodeHeader(bytes.subarray(1)))).toBe('invalid MALFORMED')
    expect(malformed(() => decodeHeader(Uint8Array.of(2, ...bytes.subarray(1))))).toBe('invalid MALFORMED')
    const tooLate = bytes.slice()
    tooLate.fill(0xff, 37, 45)
    expect(malformed(() => decodeHeader(tooLate))).toBe('invalid MALFORMED')
    expect(malformed(() => decodeTransaction(new Uint8Array(155)))).toBe('invalid MALFORMED')
    const block = encodeBlock({ header, transactions: [] })
    block[HEADER_BYTES + 3] = 1
    expect(malformed(() => decodeBlock(block))).toBe('invalid MALFORMED')
    expect(malformed(() => encodeHeader({ ...header, height: -1 }))).toBe('invalid MALFORMED')
  })

  it('signs over a tagged message naming the chain: no signature is valid on another chain', () => {
    const other = authorityDevnet({ chainId: 'paw-authority-other', timestamp: devnet.genesis.timestamp })
    const chain = new AuthorityFullChain({ genesis: devnet.genesis })
    const { block } = nextBlock(devnet, chain)
    const validator = devnet.genesis.validators[1] as Uint8Array
    expect(verifyHeaderSignature(block.header, validator, devnet.genesis.chainId)).toBe(true)
    expect(verifyHeaderSignature(block.header, validator, other.genesis.chainId)).toBe(false)
    const { transaction } = transfer(devnet, 0, 1)
    expect(verifyTransactionSignature(transaction, devnet.genesis.chainId)).toBe(true)
    expect(verifyTransactionSignature(transaction, other.genesis.chainId)).toBe(false)
    // A header's signed bytes never read as a transaction's: the tags differ.
    expect(toHex(headerSigningMessage(block.header, 'x')).slice(0, 32)).not.toBe(
      toHex(transactionSigningMessage(transaction, 'x')).slice(0, 32),
    )
  })

  it('commits genesis to the whole definition', () => {
    const base = genesisCommitment(devnet.genesis)
    const fewer = { ...devnet.genesis, allocations: devnet.genesis.allocations.slice(1) }
    const reordered = { ...devnet.genesis, validators: [...devnet.genesis.validators].reverse() }
    expect(toHex(genesisCommitment(fewer))).not.toBe(toHex(base))
    expect(toHex(genesisCommitment(reordered))).not.toBe(toHex(base))
    expect(toHex(genesisCommitment({ ...devnet.genesis, chainId: 'paw-x' }))).not.toBe(toHex(base))
  })

  it('any bytes either decode to a value that re-encodes to them, or are MALFORMED', () => {
    const cases: Array<[number, (bytes: Uint8Array) => unknown, (value: never) => Uint8Array]> = [
      [HEADER_BYTES, decodeHeader, encodeHeader],
      [TRANSACTION_BYTES, decodeTransaction, encodeTransaction],
      [BLOCK_PREFIX_BYTES + TRANSACTION_BYTES, decodeBlock, encodeBlock],
    ]
    for (const [length, decode, encode] of cases) {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: length - 2, maxLength: length + 2 }),
          fc.boolean(),
          (bytes, v1) => {
            // Half the headers and blocks get version 1 and a matching count, to reach past the first checks.
            if (v1 && length !== TRANSACTION_BYTES && bytes.length > 0) bytes[0] = 1
            if (v1 && length === BLOCK_PREFIX_BYTES + TRANSACTION_BYTES && bytes.length === length) {
              bytes.set([0, 0, 0, 1], HEADER_BYTES)
            }
            let value: unknown
            try {
              value = decode(bytes)
            } catch (error) {
              expect(isAuthorityChainError(error) && error.code).toBe('MALFORMED')
              return
            }
            expect(encode(value as never)).toEqual(bytes)
          },
        ),
        { numRuns: 300 },
      )
    }
  })
})
