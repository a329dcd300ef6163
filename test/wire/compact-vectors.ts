/**
 * Builds protocols/compact-blocks.vectors.json (format: protocols/README.md#test-vectors):
 * SipHash-2-4 and short ids, the compact block of the sample block of gossip.vectors.json,
 * a pair of ids with one short id (found by a birthday search: about 2^24 hashes, a few
 * seconds), the get_block_transactions / block_transactions payloads, and malformed ones.
 * Every hash and short id is also computed by test/wire/short-id.py, an implementation of
 * the document's "Short ids" in Python, and the file is written only if both agree.
 * test/wire/compact-block.test.ts reads the file and fails if it is stale.
 *
 *   ./node_modules/.bin/node test/wire/compact-vectors.ts   # rewrites the file
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sha256 } from '@noble/hashes/sha2.js'
import { REFERENCE_BLOCK_PARTS } from '../../src/chain/port/block-parts.ts'
import { readReferenceBlock } from '../../src/chain/port/reader.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import { buildCompactBlock } from '../../src/gossip/compact-sender.ts'
import { COMPACT_ID_TAG, messageIdFunction } from '../../src/gossip/message-id.ts'
import { compactBlockTopic } from '../../src/gossip/topics.ts'
import { encodeBlockTransactions, encodeGetBlockTransactions } from '../../src/wire/block-transactions.ts'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import {
  COMPACT_FIXED_BYTES,
  COMPACT_NONCE_BYTES,
  maxTransactions,
  SHORT_ID_BYTES,
  shortId,
  shortIdKey,
  shortIdValue,
} from '../../src/wire/compact-block.ts'
import { sipHash24, sipKey } from '../../src/wire/siphash.ts'
import { loadVectors } from '../support/vectors.ts'

const OUT = fileURLToPath(new URL('../../protocols/compact-blocks.vectors.json', import.meta.url))
const PYTHON = fileURLToPath(new URL('./short-id.py', import.meta.url))

interface GossipSamples {
  samples: { chainId: string; block: { hex: string; hash: string } }
}

const range = (n: number) => Uint8Array.from({ length: n }, (_, i) => i)

/** Two 32-byte ids (SHA-256 of "paw-collision-" and a counter) with one short id under (blockId, nonce). */
function findCollision(blockId: Uint8Array, nonce: Uint8Array): [Uint8Array, Uint8Array] {
  const key = shortIdKey(blockId, nonce)
  const count = 24_000_000
  const idOf = (i: number) => sha256(new TextEncoder().encode(`paw-collision-${i}`))
  // Short id · 2^25 + counter sorts equal short ids together and keeps the counters (2^48 · 2^25 < 2^73: too
  // big for a double), so sort the short ids alone and find the counters again.
  const values = new Float64Array(count)
  for (let i = 0; i < count; i++) values[i] = shortIdValue(key, idOf(i))
  const sorted = Float64Array.from(values).sort()
  for (let i = 1; i < count; i++) {
    if (sorted[i] !== sorted[i - 1]) continue
    const wanted = sorted[i] as number
    const found: number[] = []
    for (let j = 0; j < count && found.length < 2; j++) if (values[j] === wanted) found.push(j)
    return [idOf(found[0] as number), idOf(found[1] as number)]
  }
  throw new Error('no collision in this many ids: try another nonce')
}

function python(requests: unknown): {
  siphash: Array<{ hash: string }>
  shortIds: Array<{ key: string; shortId: string }>
} {
  return JSON.parse(execFileSync('python3', [PYTHON], { input: JSON.stringify(requests) }).toString())
}

function main(): void {
  const { samples } = loadVectors<GossipSamples>('gossip')
  const block = fromHex(samples.block.hex)
  const summary = readReferenceBlock(block)
  const parts = REFERENCE_BLOCK_PARTS.split(block)
  if (summary === undefined || parts === undefined) throw new Error('the sample block does not read')
  const hash = summary.header.hash
  const nonce = fromHex('0102030405060708')
  const compact = buildCompactBlock(
    block,
    { parts: REFERENCE_BLOCK_PARTS, chain: { readBlock: readReferenceBlock }, shape: REFERENCE_SHAPE },
    nonce,
  )
  if (compact === undefined) throw new Error('no compact block')
  const key = shortIdKey(hash, nonce)
  const topic = compactBlockTopic(samples.chainId)
  const messageId = messageIdFunction(undefined)({ type: 'unsigned', topic, data: compact })

  const sipKeyBytes = range(16)
  const siphash = [0, 1, 7, 8, 15, 32, 63].map((n) => ({
    key: toHex(sipKeyBytes),
    message: toHex(range(n)),
    hash: toHex(sipHash24(sipKey(sipKeyBytes), range(n))),
  }))
  const shortIds = summary.transactionIds.map((id, index) => ({
    index,
    blockId: toHex(hash),
    nonce: toHex(nonce),
    transactionId: toHex(id),
    key: toHex(sha256(new Uint8Array([...hash, ...nonce])).subarray(0, 16)),
    shortId: toHex(shortId(key, id)),
  }))
  console.error('searching for two ids with one short id…')
  const [a, b] = findCollision(hash, nonce)
  const collision = {
    blockId: toHex(hash),
    nonce: toHex(nonce),
    ids: [toHex(a), toHex(b)],
    shortId: toHex(shortId(key, a)),
  }
  if (collision.shortId !== toHex(shortId(key, b))) throw new Error('the collision does not collide')

  // The independent implementation.
  const checked = python({
    siphash: siphash.map(({ key, message }) => ({ key, message })),
    shortIds: [
      ...shortIds.map(({ blockId, nonce, transactionId }) => ({ blockId, nonce, transactionId })),
      ...collision.ids.map((transactionId) => ({
        blockId: collision.blockId,
        nonce: collision.nonce,
        transactionId,
      })),
    ],
  })
  siphash.forEach((v, i) => {
    if (checked.siphash[i]?.hash !== v.hash)
      throw new Error(`siphash ${i}: Python says ${checked.siphash[i]?.hash}`)
  })
  shortIds.forEach((v, i) => {
    const py = checked.shortIds[i]
    if (py?.shortId !== v.shortId || py.key !== v.key)
      throw new Error(`short id ${i}: Python says ${JSON.stringify(py)}`)
  })
  for (const k of [0, 1]) {
    const py = checked.shortIds[shortIds.length + k]
    if (py?.shortId !== collision.shortId) throw new Error(`collision ${k}: Python says ${py?.shortId}`)
  }

  const shape = REFERENCE_SHAPE
  const t1 = parts.transactions[1] as Uint8Array
  const t2 = parts.transactions[2] as Uint8Array
  const vectors = {
    spec: 'protocols/compact-blocks.md',
    format: 'protocols/README.md#test-vectors',
    topic: { chainId: samples.chainId, compactBlocks: topic },
    limits: {
      headerLength: shape.headerBytes,
      transactionLength: shape.transactionBytes,
      nonceLength: COMPACT_NONCE_BYTES,
      fixedLength: COMPACT_FIXED_BYTES,
      shortIdLength: SHORT_ID_BYTES,
      maxTransactions: maxTransactions(shape),
      messageIdTag: COMPACT_ID_TAG,
      messageIdLength: 33,
    },
    siphash,
    sample: {
      block: samples.block.hex,
      blockId: toHex(hash),
      nonce: toHex(nonce),
      key: shortIds[0]?.key,
      shortIds,
      compact: toHex(compact),
      compactLength: compact.length,
      messageId: toHex(messageId),
    },
    collision,
    getBlockTransactions: [
      {
        name: 't1 and t2 of the sample block',
        hash: toHex(hash),
        indexes: [1, 2],
        payload: toHex(encodeGetBlockTransactions({ hash, indexes: [1, 2] }, shape)),
      },
      {
        name: 't2 alone',
        hash: toHex(hash),
        indexes: [2],
        payload: toHex(encodeGetBlockTransactions({ hash, indexes: [2] }, shape)),
      },
    ],
    blockTransactions: [
      {
        name: 't1 and t2',
        hash: toHex(hash),
        transactions: [toHex(t1), toHex(t2)],
        payload: toHex(encodeBlockTransactions({ hash, transactions: [t1, t2] }, shape)),
      },
      {
        name: 'none',
        hash: toHex(hash),
        transactions: [],
        payload: toHex(encodeBlockTransactions({ hash, transactions: [] }, shape)),
      },
    ],
    invalid: {
      compact: [
        { name: 'one byte short', data: toHex(compact.subarray(0, -1)) },
        { name: 'one byte over', data: `${toHex(compact)}00` },
        { name: 'the header alone', data: toHex(compact.subarray(0, shape.headerBytes)) },
        { name: 'p greater than n', data: toHex(withU32(compact, shape.headerBytes + 12, 4)) },
        {
          name: 'n over the chain’s most transactions',
          data: toHex(withU32(compact, shape.headerBytes + 8, maxTransactions(shape) + 1)),
        },
        { name: 'prefilled index equal to n', data: prefilledAt(compact, 3) },
      ],
      getBlockTransactions: [
        { name: 'no index', payload: `${toHex(hash)}00000000` },
        { name: 'indexes not increasing', payload: `${toHex(hash)}000000020000000200000001` },
        { name: 'an index repeated', payload: `${toHex(hash)}000000020000000100000001` },
        { name: 'count says 2, one index', payload: `${toHex(hash)}0000000200000001` },
        { name: 'a 31-byte hash', payload: `${toHex(hash.subarray(1))}0000000100000001` },
      ],
      blockTransactions: [
        { name: 'count says 2, one transaction', payload: `${toHex(hash)}00000002${toHex(t1)}` },
        { name: 'a transaction one byte short', payload: `${toHex(hash)}00000001${toHex(t1.subarray(1))}` },
      ],
    },
  }
  writeFileSync(OUT, `${JSON.stringify(vectors, null, 2)}\n`)
  console.error(`wrote ${OUT}`)
}

function withU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice()
  new DataView(out.buffer).setUint32(at, value)
  return out
}

/** The sample's compact block with its one prefilled index set to `index`. */
function prefilledAt(compact: Uint8Array, index: number): string {
  return toHex(withU32(compact, REFERENCE_SHAPE.headerBytes + COMPACT_FIXED_BYTES, index))
}

main()
