/**
 * Content-addressed gossipsub message IDs (DECISIONS.md "Propagation"; protocols/gossip.md
 * "Message IDs"). Blocks and transactions are self-authenticating, so messages are
 * unsigned (`StrictNoSign`) and a message's ID is the chain's own id of its content: two
 * peers publishing the same block or transaction produce the same ID, and gossipsub's
 * seen-cache deduplicates it whoever sent it. The chain reads its encodings (its port's
 * readBlock, readHeader, transactionId); nothing here decodes one. Browser-safe.
 *
 * The ID of a message on each topic (see topics.ts):
 *
 * | topic          | well-formed data                          | ID                          |
 * |----------------|-------------------------------------------|-----------------------------|
 * | blocks         | a block whose body is its header's        | the block hash              |
 * | transactions   | one transaction                           | the transaction id          |
 * | headers        | one header                                | 0x01 ‖ the block hash       |
 * | blocks/2       | anything (a compact block, or not)        | 0x02 ‖ SHA-256(data)        |
 * | any, malformed | anything else                             | 0xff ‖ kind ‖ SHA-256(data) |
 *
 * Why these choices:
 * - Malformed data still gets an ID (the SHA-256 of its raw bytes) so gossipsub can
 *   deduplicate it and hand it to the validator once, which then Rejects it and charges
 *   the sender; throwing from the ID function would drop it before scoring.
 * - The malformed form is tagged (0xff, then the topic kind) so that garbage can never
 *   take the ID of a real message: a reference-chain transaction's 152 bytes sent on the
 *   blocks topic would otherwise get the ID of that transaction and make every node that
 *   saw it first drop the real one as a duplicate.
 * - A block's ID is its header hash only if its body is the header's (readBlock checks it:
 *   on the reference chain, the transactions' Merkle root is txRoot and no transaction is
 *   there twice). A real header with a forged body (which costs no proof of work) would
 *   otherwise squat the block's ID: nodes that received the forgery first would Reject it
 *   and then drop the honest block as already seen.
 * - gossipsub's seen-cache and message cache are keyed by ID alone, not by topic. The
 *   header of a block therefore cannot have the block's own ID, or a full node that
 *   received the block first would drop (and never relay) the header light nodes need;
 *   the 0x01 prefix separates them while keeping the block hash readable in the ID.
 * - A compact block is named by all of its bytes (protocols/compact-blocks.md "Message
 *   IDs"): its short ids cannot be checked against the header until the receiver has
 *   rebuilt the block from its mempool, so an ID of the header alone could be squatted by a
 *   copy with forged short ids. Relays forward the message as they received it, so every
 *   node sees the same bytes and the same ID; the tag keeps it apart from header IDs.
 */
import type { Message } from '@libp2p/gossipsub'
import { sha256 } from '@noble/hashes/sha2.js'
import type { ChainPortBase } from '../ports/chain.ts'
import { COMPACT_BLOCK_TOPIC_VERSION, parseTopic, type TopicKind } from './topics.ts'

/** The first byte of a header message's ID. */
export const HEADER_ID_TAG = 0x01
/** The first byte of a compact block message's ID. */
export const COMPACT_ID_TAG = 0x02
/** The first byte of a malformed message's ID. */
export const MALFORMED_ID_TAG = 0xff

/** The bytes of a block or transaction id when the chain does not say (the reference chain's SHA-256). */
export const DEFAULT_HASH_BYTES = 32

/** The second byte of a malformed message's ID: which topic kind it arrived on. */
const KIND_BYTE: Record<TopicKind | 'unknown', number> = {
  blocks: 0,
  transactions: 1,
  headers: 2,
  unknown: 3,
}

/** What naming a message needs of a chain: its port, or just its readers. */
export type MessageIdReader = Pick<
  ChainPortBase<unknown, unknown, unknown>,
  'readBlock' | 'readHeader' | 'transactionId'
>

function tagged(tag: readonly number[], hash: Uint8Array): Uint8Array {
  const out = new Uint8Array(tag.length + hash.length)
  out.set(tag, 0)
  out.set(hash, tag.length)
  return out
}

/** The ID of data that is not what its topic carries. */
export function malformedMessageId(kind: TopicKind | undefined, data: Uint8Array): Uint8Array {
  return tagged([MALFORMED_ID_TAG, KIND_BYTE[kind ?? 'unknown']], sha256(data))
}

/** The chain's id of `data` as what `kind` carries, or undefined if it is not that (a reader's throw included). */
function contentId(reader: MessageIdReader, kind: TopicKind, data: Uint8Array): Uint8Array | undefined {
  try {
    if (kind === 'blocks') return reader.readBlock(data)?.header.hash
    if (kind === 'transactions') return reader.transactionId(data)
    return tagged([HEADER_ID_TAG], reader.readHeader(data).hash)
  } catch {
    return undefined
  }
}

/**
 * The `msgIdFn` option of `gossipsub({...})` for a chain read by `reader` (see the table
 * above). Never throws: anything the chain does not read as what its topic carries, and
 * everything when there is no reader (a node with no chain), gets the tagged SHA-256 of
 * its raw bytes.
 */
export function messageIdFunction(reader: MessageIdReader | undefined): (message: Message) => Uint8Array {
  return (message) => {
    const parsed = parseTopic(message.topic)
    if (parsed?.kind === 'blocks' && parsed.version === COMPACT_BLOCK_TOPIC_VERSION) {
      return tagged([COMPACT_ID_TAG], sha256(message.data))
    }
    const kind = parsed?.kind
    const id = reader === undefined || kind === undefined ? undefined : contentId(reader, kind, message.data)
    return id ?? malformedMessageId(kind, message.data)
  }
}

/** What a message ID says about its content. */
export type DecodedMessageId =
  | { kind: 'block' | 'transaction' | 'header'; hash: Uint8Array }
  | { kind: 'compact-block'; digest: Uint8Array }
  | { kind: 'malformed' }

/**
 * Reads an ID back, for a chain whose hashes are `hashBytes` long. Block and transaction
 * IDs are both a bare hash, so the topic the ID came from says which one it is.
 */
export function decodeMessageId(
  topic: string,
  id: Uint8Array,
  hashBytes = DEFAULT_HASH_BYTES,
): DecodedMessageId {
  const parsed = parseTopic(topic)
  const kind = parsed?.kind
  if (parsed?.version === COMPACT_BLOCK_TOPIC_VERSION && id.length === 33 && id[0] === COMPACT_ID_TAG) {
    return { kind: 'compact-block', digest: id.slice(1) }
  }
  if (parsed?.version === COMPACT_BLOCK_TOPIC_VERSION) return { kind: 'malformed' }
  if (id.length === hashBytes && kind === 'blocks') return { kind: 'block', hash: id.slice() }
  if (id.length === hashBytes && kind === 'transactions') return { kind: 'transaction', hash: id.slice() }
  if (id.length === hashBytes + 1 && id[0] === HEADER_ID_TAG && kind === 'headers') {
    return { kind: 'header', hash: id.slice(1) }
  }
  return { kind: 'malformed' }
}
