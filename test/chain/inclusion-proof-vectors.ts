/**
 * Builds protocols/inclusion-proof.vectors.json (docs/chain.md "Inclusion proofs"; format
 * protocols/README.md#test-vectors) from the code, checking every root against merkleRoot
 * and the gossip sample block's against its header's txRoot. test/chain/inclusion-proof.test.ts
 * rebuilds it and requires the file unchanged, then checks each vector both ways.
 *
 *   ./node_modules/.bin/node test/chain/inclusion-proof-vectors.ts   # rewrites the file
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sha256 } from '@noble/hashes/sha2.js'
import { merkleRoot } from '../../src/chain/hashing.ts'
import {
  decodeInclusionProof,
  encodeInclusionProof,
  MAX_BLOCK_TRANSACTIONS,
  MAX_INCLUSION_DEPTH,
  MAX_INCLUSION_PROOF_BYTES,
  proveInclusion,
} from '../../src/chain/inclusion-proof.ts'
import { InclusionProofErrorCode } from '../../src/chain/inclusion-proof-errors.ts'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import type { ByteSpec } from '../support/vectors.ts'

export const VECTORS_PATH = fileURLToPath(
  new URL('../../protocols/inclusion-proof.vectors.json', import.meta.url),
)

export interface InclusionVectors {
  spec: string
  format: string
  limits: { hashLength: number; maxTransactions: number; maxDepth: number; maxProofBytes: number }
  blocks: Array<{ name: string; txIds: string[]; root: string }>
  proofs: Array<{ name: string; block: string; index: number; count: number; txId: string; encoding: string }>
  bad: Array<{ name: string; block: string; txId: string; input: string; error: string }>
  malformed: Array<{ name: string; input: ByteSpec; error: string }>
}

/** Transaction id i of the made-up blocks: SHA-256 of i as u32 BE. */
const madeUpId = (i: number): Uint8Array =>
  sha256(Uint8Array.of(i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255))

const u32 = (n: number): string => n.toString(16).padStart(8, '0')

function gossipSampleIds(): { ids: Uint8Array[]; txRoot: string } {
  const path = fileURLToPath(new URL('../../protocols/gossip.vectors.json', import.meta.url))
  const block = (
    JSON.parse(readFileSync(path, 'utf8')) as {
      samples: { block: { transactions: string[]; txRoot: string } }
    }
  ).samples.block
  return { ids: block.transactions.map((tx) => sha256(fromHex(tx))), txRoot: block.txRoot }
}

export function buildInclusionVectors(): InclusionVectors {
  const blocks = new Map<string, Uint8Array[]>()
  for (const [name, count] of [
    ['one transaction', 1],
    ['two transactions', 2],
    ['three transactions', 3],
    ['five transactions', 5],
    ['eleven transactions', 11],
  ] as const) {
    blocks.set(
      name,
      Array.from({ length: count }, (_, i) => madeUpId(i)),
    )
  }
  const sample = gossipSampleIds()
  if (toHex(merkleRoot(sample.ids)) !== sample.txRoot)
    throw new Error('the gossip sample block has another txRoot')
  blocks.set('gossip sample block', sample.ids)

  const ids = (name: string) => blocks.get(name) as Uint8Array[]
  const id = (name: string, index: number) => toHex(ids(name)[index] as Uint8Array)
  const prove = (name: string, index: number) => proveInclusion(ids(name), index)

  const proofs: InclusionVectors['proofs'] = []
  const proofAt = (name: string, index: number, what: string) =>
    proofs.push({
      name: `${name}, index ${index}: ${what}`,
      block: name,
      index,
      count: ids(name).length,
      txId: id(name, index),
      encoding: toHex(prove(name, index)),
    })
  proofAt('one transaction', 0, 'no siblings, the id is the root')
  proofAt('two transactions', 0, 'one sibling, on the right')
  proofAt('two transactions', 1, 'one sibling, on the left')
  proofAt('three transactions', 0, 'two siblings')
  proofAt('three transactions', 2, 'the last of an odd level: paired with itself, one sibling')
  proofAt('five transactions', 3, 'three siblings')
  proofAt('five transactions', 4, 'paired with itself at levels 0 and 1, one sibling')
  proofAt('eleven transactions', 10, 'paired with itself at levels 0 and 2, two siblings')
  proofAt('eleven transactions', 5, 'four siblings')
  for (const index of [0, 1, 2]) proofAt('gossip sample block', index, 'its header’s txRoot')

  const five = ids('five transactions')
  const three = ids('three transactions')
  const withCountAndIndex = (proof: Uint8Array, count: number, index: number) =>
    toHex(encodeInclusionProof({ ...decodeInclusionProof(proof), count, index }))
  const flipped = prove('five transactions', 3)
  flipped[flipped.length - 1] ^= 0x01
  const pairHash = (a: Uint8Array, b: Uint8Array) => sha256(Uint8Array.from([...a, ...b]))
  const BAD = InclusionProofErrorCode.BadProof
  const bad: InclusionVectors['bad'] = [
    {
      name: 'index 1’s proof, asked for the transaction at index 2',
      block: 'five transactions',
      txId: id('five transactions', 2),
      input: toHex(prove('five transactions', 1)),
      error: BAD,
    },
    {
      name: 'a transaction not in the block, with index 0’s proof',
      block: 'five transactions',
      txId: toHex(madeUpId(99)),
      input: toHex(prove('five transactions', 0)),
      error: BAD,
    },
    {
      name: 'a proof from the eleven-transaction block, against the five’s root',
      block: 'five transactions',
      txId: id('eleven transactions', 3),
      input: toHex(prove('eleven transactions', 3)),
      error: BAD,
    },
    {
      name: 'the last bit of the last sibling flipped',
      block: 'five transactions',
      txId: id('five transactions', 3),
      input: toHex(flipped),
      error: BAD,
    },
    {
      name: 'index 0’s siblings with index 1: left and right swapped at level 0',
      block: 'five transactions',
      txId: id('five transactions', 0),
      input: withCountAndIndex(prove('five transactions', 0), 5, 1),
      error: BAD,
    },
    {
      name: 'the one transaction’s proof for another id',
      block: 'one transaction',
      txId: id('two transactions', 1),
      input: toHex(prove('one transaction', 0)),
      error: BAD,
    },
    {
      name: 'CVE-2012-2459 twin: the last of three as index 3 of 4, its sibling itself',
      block: 'three transactions',
      txId: id('three transactions', 2),
      input: toHex(
        encodeInclusionProof({
          count: 4,
          index: 3,
          siblings: [three[2] as Uint8Array, pairHash(three[0] as Uint8Array, three[1] as Uint8Array)],
        }),
      ),
      error: BAD,
    },
    {
      name: 'CVE-2012-2459 twin: the last of five as index 5 of 6, its sibling itself',
      block: 'five transactions',
      txId: id('five transactions', 4),
      input: toHex(
        encodeInclusionProof({
          count: 6,
          index: 5,
          siblings: [
            five[4] as Uint8Array,
            pairHash(
              pairHash(five[0] as Uint8Array, five[1] as Uint8Array),
              pairHash(five[2] as Uint8Array, five[3] as Uint8Array),
            ),
          ],
        }),
      ),
      error: BAD,
    },
  ]

  const MALFORMED = InclusionProofErrorCode.MalformedProof
  const sibling = '5a'.repeat(32)
  const malformed: InclusionVectors['malformed'] = [
    { name: 'no bytes', input: '', error: MALFORMED },
    { name: '7 bytes: ends inside the index', input: '00000001000000', error: MALFORMED },
    { name: 'count 0', input: u32(0) + u32(0), error: MALFORMED },
    { name: 'index equal to count', input: u32(1) + u32(1), error: MALFORMED },
    { name: 'index over count', input: u32(5) + u32(9) + sibling.repeat(3), error: MALFORMED },
    {
      name: `count ${MAX_BLOCK_TRANSACTIONS + 1}, one over the largest block's`,
      input: [u32(MAX_BLOCK_TRANSACTIONS + 1) + u32(0), { hex: sibling, repeat: MAX_INCLUSION_DEPTH }],
      error: MALFORMED,
    },
    { name: 'count 2^32 − 1', input: u32(0xffffffff) + u32(0), error: MALFORMED },
    { name: 'index 0 of 2 with no sibling', input: u32(2) + u32(0), error: MALFORMED },
    { name: 'one transaction with a sibling', input: u32(1) + u32(0) + sibling, error: MALFORMED },
    {
      name: 'index 2 of 3 with a sibling for the level where it pairs with itself',
      input: u32(3) + u32(2) + sibling.repeat(2),
      error: MALFORMED,
    },
    {
      name: 'index 3 of 5, one byte short',
      input: u32(5) + u32(3) + sibling.repeat(3).slice(0, -2),
      error: MALFORMED,
    },
    {
      name: 'index 3 of 5, one byte over',
      input: `${u32(5)}${u32(3)}${sibling.repeat(3)}00`,
      error: MALFORMED,
    },
    {
      name: `the largest proof and one byte more: ${MAX_INCLUSION_PROOF_BYTES + 1} bytes`,
      input: [u32(MAX_BLOCK_TRANSACTIONS) + u32(0), { hex: sibling, repeat: MAX_INCLUSION_DEPTH }, '00'],
      error: MALFORMED,
    },
  ]

  return {
    spec: 'docs/chain.md#inclusion-proofs',
    format: 'protocols/README.md#test-vectors',
    limits: {
      hashLength: 32,
      maxTransactions: MAX_BLOCK_TRANSACTIONS,
      maxDepth: MAX_INCLUSION_DEPTH,
      maxProofBytes: MAX_INCLUSION_PROOF_BYTES,
    },
    blocks: [...blocks].map(([name, list]) => ({
      name,
      txIds: list.map(toHex),
      root: toHex(merkleRoot(list)),
    })),
    proofs,
    bad,
    malformed,
  }
}

export const vectorsText = (vectors: InclusionVectors): string => `${JSON.stringify(vectors, null, 2)}\n`

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(VECTORS_PATH, vectorsText(buildInclusionVectors()))
  console.log(`wrote ${VECTORS_PATH}`)
}
