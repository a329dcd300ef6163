/**
 * Builds every vector that carries the reference chain's headers or blocks, or their sizes,
 * from the code (docs/chain.md "Byte layouts"; format protocols/README.md#test-vectors):
 * protocols/blocks.vectors.json and gossip.vectors.json whole, the two `headers`-answer
 * vectors of framing.vectors.json, and the blocks.* inputs of
 * test/reliability/corpus/decoders.json. Deterministic: fixed keys and timestamps, the
 * sample block mined from nonce 0. test/protocols/header-vectors.test.ts requires the files
 * to be what this builds. After a change to the header, run it, review the diff, and
 * rebuild protocols/inclusion-proof.vectors.json (test/chain/inclusion-proof-vectors.ts),
 * which holds the sample block's transaction ids.
 *
 *   ./node_modules/.bin/node test/protocols/header-vectors.ts   # rewrites the files
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  BLOCK_PREFIX_LENGTH,
  encodeTransaction,
  HASH_LENGTH,
  HEADER_LENGTH,
  HEADER_VERSION,
  TRANSACTION_LENGTH,
} from '../../src/chain/encoding.ts'
import { MAX_BLOCK_BYTES, PAW_DEVNET } from '../../src/chain/params.ts'
import {
  readReferenceBlock,
  readReferenceHeader,
  referenceTransactionId,
} from '../../src/chain/port/reader.ts'
import { accountFromPrivateKey, signTransaction } from '../../src/chain/signing.ts'
import { MAX_GOSSIP_MESSAGE_BYTES, pawGossipsubOptions } from '../../src/gossip/gossipsub-options.ts'
import { DEFAULT_LANE_LIMITS } from '../../src/gossip/ingress-queue.ts'
import {
  decodeMessageId,
  HEADER_ID_TAG,
  MALFORMED_ID_TAG,
  type MessageIdReader,
  malformedMessageId,
  messageIdFunction,
} from '../../src/gossip/message-id.ts'
import { parseTopic, pawTopics } from '../../src/gossip/topics.ts'
import { MAX_PARKED, MAX_PARKED_PER_SENDER, PARK_MS } from '../../src/gossip/waiting-room.ts'
import { RATE_LIMITS } from '../../src/peers/rate-limits.ts'
import {
  BLOCK_HASH_LENGTH,
  blocksThatFit,
  MAX_BLOCK_ANSWER_BYTES,
  MAX_BLOCK_ENCODING_BYTES,
  MAX_BLOCKS_PER_ANSWER,
  MAX_HEADERS_PER_ANSWER,
  rangeToServe,
} from '../../src/wire/blocks.ts'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import { buildBlocksVectors } from './header-vectors/blocks.ts'
import { withBlocksSeeds, withHeaderFraming } from './header-vectors/derived.ts'
import { buildGossipVectors } from './header-vectors/gossip.ts'
import { buildSampleBlock } from './header-vectors/sample-block.ts'

const at = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))
const readJson = <T>(path: string): T => JSON.parse(readFileSync(at(path), 'utf8')) as T

/** JSON as the vector files are written: two-space indent, a final newline. */
const jsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`
/** gossip.vectors.json has always escaped what is not ASCII (`\u00e9`): kept so. */
const asciiJsonText = (value: unknown): string =>
  jsonText(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

const reader: MessageIdReader = {
  readBlock: readReferenceBlock,
  readHeader: readReferenceHeader,
  transactionId: referenceTransactionId,
}

/** tx1 of protocols/mempool.md, signed again from its definition, and the file's copy of it. */
function mempoolTx1(): string {
  const alice = accountFromPrivateKey(new Uint8Array(32).fill(1))
  const bob = accountFromPrivateKey(new Uint8Array(32).fill(2))
  const unsigned = { from: alice.address, to: bob.address, amount: 100_000_000n, fee: 10_000n, nonce: 0n }
  const tx1 = toHex(encodeTransaction(signTransaction(unsigned, alice.privateKey, PAW_DEVNET.chainId)))
  const stored = readJson<{ samples: { transactions: Array<{ hex: string }> } }>(
    'protocols/mempool.vectors.json',
  )
  if (stored.samples.transactions[0]?.hex !== tx1) throw new Error('mempool.vectors.json holds another tx1')
  return tx1
}

/** The gossip limits of the code, under gossip.md's names (its "Limits" table). */
function gossipLimits(): Record<string, number> {
  const options = pawGossipsubOptions({
    chainId: PAW_DEVNET.chainId,
    messageIds: reader,
    blockIntervalMs: PAW_DEVNET.targetBlockTimeMs,
    appSpecificScore: () => 0,
  })
  return {
    transactionLength: TRANSACTION_LENGTH,
    headerLength: HEADER_LENGTH,
    blockPrefixLength: BLOCK_PREFIX_LENGTH,
    hashLength: HASH_LENGTH,
    headerIdLength: 1 + HASH_LENGTH,
    malformedIdLength: malformedMessageId('blocks', new Uint8Array()).length,
    maxBlockBytes: MAX_BLOCK_BYTES,
    maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
    maxOutboundBufferSize: options.maxOutboundBufferSize as number,
    blockLaneMaxItems: DEFAULT_LANE_LIMITS.blocks.maxItems,
    blockLaneMaxBytes: DEFAULT_LANE_LIMITS.blocks.maxBytes,
    transactionLaneMaxItems: DEFAULT_LANE_LIMITS.transactions.maxItems,
    transactionLaneMaxBytes: DEFAULT_LANE_LIMITS.transactions.maxBytes,
    gossipTransactionsPerSecond: RATE_LIMITS.gossipTransactions.ratePerSecond,
    gossipTransactionsBurst: RATE_LIMITS.gossipTransactions.burst,
    parkMs: PARK_MS,
    maxParked: MAX_PARKED,
    maxParkedPerSender: MAX_PARKED_PER_SENDER,
  }
}

/** The protocol ids a gossipsub router of the node's options offers, in order. */
async function gossipProtocolIds(): Promise<string[]> {
  const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(7))
  const options = pawGossipsubOptions({
    chainId: PAW_DEVNET.chainId,
    messageIds: reader,
    blockIntervalMs: PAW_DEVNET.targetBlockTimeMs,
    appSpecificScore: () => 0,
  })
  const router = gossipsub(options)({
    peerId: peerIdFromPrivateKey(privateKey),
    privateKey,
    logger: defaultLogger(),
  } as never) as unknown as { protocols: string[] }
  return [...router.protocols]
}

interface IdVector {
  name: string
  topic: string
  data: string
  id: string
  kind?: string
}

/** Each ID worked out by gossip.md's rule is the node's, and reads back as its kind. */
function checkMessageIds(vectors: IdVector[]): void {
  const idFor = messageIdFunction(reader)
  for (const vector of vectors) {
    const id = idFor({ type: 'unsigned', topic: vector.topic, data: fromHex(vector.data) })
    if (toHex(id) !== vector.id)
      throw new Error(`message ID of "${vector.name}": the node gives ${toHex(id)}`)
    const kind = vector.kind ?? 'malformed'
    const read = decodeMessageId(vector.topic, id, BLOCK_HASH_LENGTH).kind
    if (parseTopic(vector.topic) !== undefined && read !== kind) {
      throw new Error(`message ID of "${vector.name}" reads back as ${read}`)
    }
  }
}

/** Every file this generator writes, by path from the repository root, and its text. */
export async function buildHeaderVectors(): Promise<Map<string, string>> {
  const sample = await buildSampleBlock()
  const blocks = buildBlocksVectors(
    {
      hashLength: BLOCK_HASH_LENGTH,
      headerLength: HEADER_LENGTH,
      blockPrefixLength: BLOCK_PREFIX_LENGTH,
      transactionLength: TRANSACTION_LENGTH,
      maxBlockEncodingBytes: MAX_BLOCK_ENCODING_BYTES,
      maxBlocksPerAnswer: MAX_BLOCKS_PER_ANSWER,
      maxBlockAnswerBytes: MAX_BLOCK_ANSWER_BYTES,
      maxHeadersPerAnswer: MAX_HEADERS_PER_ANSWER,
    },
    {
      chainId: sample.chainId,
      genesisHash: sample.genesisHash,
      block: { hash: sample.hash, header: sample.header, hex: sample.hex },
    },
    { rangeToServe, blocksThatFit },
  )
  const gossip = buildGossipVectors({
    protocolIds: await gossipProtocolIds(),
    limits: gossipLimits(),
    idTags: {
      header: HEADER_ID_TAG,
      malformed: MALFORMED_ID_TAG,
      kinds: Object.fromEntries(
        (['blocks', 'transactions', 'headers', undefined] as const).map((kind) => [
          kind ?? 'unknown',
          malformedMessageId(kind, new Uint8Array())[1] as number,
        ]),
      ),
    },
    topics: pawTopics,
    headerVersion: HEADER_VERSION,
    tx1: mempoolTx1(),
    sample: {
      chainId: sample.chainId,
      genesisHash: sample.genesisHash,
      header: sample.header,
      hash: sample.hash,
      txRoot: sample.txRoot,
      stateRoot: sample.stateRoot,
      nonce: Number(sample.block.header.nonce),
      timestamp: sample.block.header.timestamp,
      transactions: sample.transactions,
      hex: sample.hex,
      coinbaseOnly: sample.coinbaseOnly,
      labels: ['t1', 't2'],
    },
  }) as { messageIds: IdVector[]; twins: IdVector[] }
  checkMessageIds([...gossip.messageIds, ...gossip.twins])

  const shape = { headerBytes: HEADER_LENGTH, maxBlockBytes: MAX_BLOCK_BYTES }
  const framing = withHeaderFraming(readJson('protocols/framing.vectors.json'), shape)
  const corpus = withBlocksSeeds(readJson('test/reliability/corpus/decoders.json'), blocks)
  return new Map([
    ['protocols/blocks.vectors.json', jsonText(blocks)],
    ['protocols/gossip.vectors.json', asciiJsonText(gossip)],
    ['protocols/framing.vectors.json', jsonText(framing)],
    ['test/reliability/corpus/decoders.json', jsonText(corpus)],
  ])
}

/** The text of a file as it is now. */
export const storedText = (path: string): string => readFileSync(at(path), 'utf8')

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [path, text] of await buildHeaderVectors()) {
    writeFileSync(at(path), text)
    console.log(`wrote ${path}`)
  }
}
