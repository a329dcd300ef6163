/**
 * Content-addressed gossipsub message IDs (DECISIONS.md "Propagation"). Blocks and
 * transactions are self-authenticating, so messages are unsigned (`StrictNoSign`) and a
 * message's ID is the hash of its content: two peers publishing the same block or
 * transaction produce the same ID, and gossipsub's seen-cache deduplicates it whoever sent
 * it. Browser-safe.
 *
 * The ID of a message on each topic (see topics.ts):
 *
 * | topic          | well-formed data                         | ID                          |
 * |----------------|------------------------------------------|-----------------------------|
 * | blocks         | a block whose transactions match txRoot  | blockHash (32 bytes)        |
 * | transactions   | one 152-byte transaction                 | txHash (32 bytes)           |
 * | headers        | one 153-byte header                      | 0x01 ‖ blockHash (33 bytes) |
 * | any, malformed | anything else                            | 0xff ‖ kind ‖ SHA-256(data) |
 *
 * Why these choices:
 * - Malformed data still gets an ID (the SHA-256 of its raw bytes) so gossipsub can
 *   deduplicate it and hand it to the validator once, which then Rejects it and charges
 *   the sender; throwing from the ID function would drop it before scoring.
 * - The malformed form is tagged (0xff, then the topic kind) so that garbage can never
 *   take the ID of a real message: a transaction's 152 bytes sent on the blocks topic would
 *   otherwise get the ID of that transaction and make every node that saw it first drop
 *   the real one as a duplicate.
 * - A block's ID is its header hash only if the body matches the header's txRoot. A real
 *   header with a forged body (which costs no proof of work) would otherwise squat the
 *   block's ID: nodes that received the forgery first would Reject it and then drop the
 *   honest block as already seen. The check costs one Merkle root per received copy
 *   (about 1 MiB of SHA-256 for a full block).
 * - gossipsub's seen-cache and message cache are keyed by ID alone, not by topic. The
 *   header of a block therefore cannot have the block's own ID, or a full node that
 *   received the block first would drop (and never relay) the header light nodes need;
 *   the 0x01 prefix separates them while keeping the block hash readable in the ID.
 */
import type { Message } from '@libp2p/gossipsub'
import { sha256 } from '@noble/hashes/sha2.js'
import { decodeBlock, decodeHeader, decodeTransaction, HASH_LENGTH } from '../chain/encoding.ts'
import { blockHash, merkleRoot, txHash } from '../chain/hashing.ts'
import { toHex } from '../wire/bytes.ts'
import { parseTopic, type TopicKind } from './topics.ts'

/** The first byte of a header message's ID. */
export const HEADER_ID_TAG = 0x01
/** The first byte of a malformed message's ID. */
export const MALFORMED_ID_TAG = 0xff

/** The second byte of a malformed message's ID: which topic kind it arrived on. */
const KIND_BYTE: Record<TopicKind | 'unknown', number> = {
  blocks: 0,
  transactions: 1,
  headers: 2,
  unknown: 3,
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function tagged(tag: readonly number[], hash: Uint8Array): Uint8Array {
  const out = new Uint8Array(tag.length + hash.length)
  out.set(tag, 0)
  out.set(hash, tag.length)
  return out
}

/** The ID of data that does not decode as what its topic carries. */
export function malformedMessageId(kind: TopicKind | undefined, data: Uint8Array): Uint8Array {
  return tagged([MALFORMED_ID_TAG, KIND_BYTE[kind ?? 'unknown']], sha256(data))
}

/**
 * The block hash, or undefined if `data` is not a block whose body matches its header.
 * A body listing a transaction twice is refused here too: with an odd count, repeating the
 * last transaction keeps the Merkle root (docs/chain.md "Hashing", CVE-2012-2459), so such
 * a forgery would otherwise take the real block's ID and get the honest block dropped as a
 * duplicate — and its relayers charged — for the seen-cache's lifetime.
 */
function blockId(data: Uint8Array): Uint8Array | undefined {
  try {
    const block = decodeBlock(data)
    const hashes = block.transactions.map(txHash)
    if (new Set(hashes.map(toHex)).size !== hashes.length) return undefined
    if (!equalBytes(merkleRoot(hashes), block.header.txRoot)) return undefined
    return blockHash(block.header)
  } catch {
    return undefined
  }
}

function transactionId(data: Uint8Array): Uint8Array | undefined {
  try {
    return txHash(decodeTransaction(data))
  } catch {
    return undefined
  }
}

function headerId(data: Uint8Array): Uint8Array | undefined {
  try {
    return tagged([HEADER_ID_TAG], blockHash(decodeHeader(data)))
  } catch {
    return undefined
  }
}

/**
 * The gossipsub message ID of `data` published on `topic` (see the table above). Never
 * throws: anything that does not decode gets the tagged SHA-256 of its raw bytes.
 */
export function messageIdFor(topic: string, data: Uint8Array): Uint8Array {
  const kind = parseTopic(topic)?.kind
  let id: Uint8Array | undefined
  if (kind === 'blocks') id = blockId(data)
  else if (kind === 'transactions') id = transactionId(data)
  else if (kind === 'headers') id = headerId(data)
  return id ?? malformedMessageId(kind, data)
}

/** What a message ID says about its content. */
export type DecodedMessageId =
  | { kind: 'block' | 'transaction' | 'header'; hash: Uint8Array }
  | { kind: 'malformed' }

/**
 * Reads an ID back. Block and transaction IDs are both a bare 32-byte hash, so the topic
 * the ID came from says which one it is.
 */
export function decodeMessageId(topic: string, id: Uint8Array): DecodedMessageId {
  const kind = parseTopic(topic)?.kind
  if (id.length === HASH_LENGTH && kind === 'blocks') return { kind: 'block', hash: id.slice() }
  if (id.length === HASH_LENGTH && kind === 'transactions') return { kind: 'transaction', hash: id.slice() }
  if (id.length === HASH_LENGTH + 1 && id[0] === HEADER_ID_TAG && kind === 'headers') {
    return { kind: 'header', hash: id.slice(1) }
  }
  return { kind: 'malformed' }
}

/** The `msgIdFn` option of `gossipsub({...})`. */
export function pawMessageIdFn(message: Message): Uint8Array {
  return messageIdFor(message.topic, message.data)
}
