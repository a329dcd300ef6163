/**
 * protocols/gossip.vectors.json against the code: topic names, gossipsub envelopes,
 * message IDs, and the limits, which must also be the ones protocols/gossip.md states.
 * test/protocols/header-vectors.ts builds the file (protocols/gossip.md "Test vectors"),
 * working message IDs out from gossip.md's rule; here each value meets the code again.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub, multicodec, StrictNoSign } from '@libp2p/gossipsub'
import { RPC } from '@libp2p/gossipsub/message'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import {
  BLOCK_PREFIX_LENGTH,
  decodeBlock,
  decodeHeader,
  decodeTransaction,
  encodeHeader,
  HASH_LENGTH,
  HEADER_LENGTH,
  TRANSACTION_LENGTH,
} from '../../src/chain/encoding.ts'
import { ChainErrorCode, isChainError } from '../../src/chain/errors.ts'
import { genesisBlock, genesisState } from '../../src/chain/genesis.ts'
import { blockHash, txRoot } from '../../src/chain/hashing.ts'
import { MAX_BLOCK_BYTES, PAW_DEVNET, PAW_MAINNET, PAW_TESTNET } from '../../src/chain/params.ts'
import {
  readReferenceBlock,
  readReferenceHeader,
  referenceTransactionId,
} from '../../src/chain/port/reader.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import { stateTreeOf, treeChanges } from '../../src/chain/state-commitment.ts'
import { checkBlockBody, validateBlock } from '../../src/chain/validation.ts'
import { MAX_GOSSIP_MESSAGE_BYTES, pawGossipsubOptions } from '../../src/gossip/gossipsub-options.ts'
import { DEFAULT_LANE_LIMITS } from '../../src/gossip/ingress-queue.ts'
import {
  DEFAULT_HASH_BYTES,
  decodeMessageId,
  HEADER_ID_TAG,
  MALFORMED_ID_TAG,
  type MessageIdReader,
  malformedMessageId,
  messageIdFunction,
} from '../../src/gossip/message-id.ts'
import {
  blockTopic,
  compactBlockTopic,
  headerTopic,
  parseTopic,
  pawTopics,
  TOPIC_KINDS,
  TOPIC_VERSION,
  type TopicKind,
  transactionTopic,
} from '../../src/gossip/topics.ts'
import { MAX_PARKED, MAX_PARKED_PER_SENDER, PARK_MS } from '../../src/gossip/waiting-room.ts'
import { RATE_LIMITS } from '../../src/peers/rate-limits.ts'
import { fromHex } from '../../src/wire/bytes.ts'
import { hex, loadVectors } from '../support/vectors.ts'

interface IdVector {
  name: string
  topic: string
  data: string
  id: string
  kind: 'block' | 'transaction' | 'header' | 'malformed'
  shows: string
}
interface GossipVectors {
  protocolIds: string[]
  limits: Record<string, number>
  idTags: { header: number; malformed: number; kinds: Record<TopicKind | 'unknown', number> }
  topicPattern: string
  topics: {
    valid: Array<{
      name: string
      chainId: string
      bytes: number
      blocks: string
      transactions: string
      headers: string
      utf8: string
    }>
    invalid: Array<{ name: string; topic: string }>
    encodeInvalid: Array<{ name: string; chainId: string }>
  }
  samples: {
    chainId: string
    genesisHash: string
    block: {
      header: string
      hash: string
      txRoot: string
      stateRoot: string
      nonce: number
      timestamp: number
      transactions: string[]
      hex: string
    }
  }
  envelopes: Array<{
    name: string
    topic: string
    data: string
    message: string
    rpc: string
    stream: string
  }>
  messageIds: IdVector[]
  twins: IdVector[]
}

const vectors = loadVectors<GossipVectors>('gossip')
const document = readFileSync(fileURLToPath(new URL('../../protocols/gossip.md', import.meta.url)), 'utf8')
const utf8 = new TextEncoder()

/** The reference chain's readers (src/chain/port/reader.ts): what its port names messages by. */
const reader: MessageIdReader = {
  readBlock: readReferenceBlock,
  readHeader: readReferenceHeader,
  transactionId: referenceTransactionId,
}
const pawMessageIdFn = messageIdFunction(reader)
const messageIdFor = (topic: string, data: Uint8Array): Uint8Array =>
  pawMessageIdFn({ type: 'unsigned', topic, data })

const gossipOptions = pawGossipsubOptions({
  chainId: 'paw-devnet',
  messageIds: reader,
  blockIntervalMs: PAW_DEVNET.targetBlockTimeMs,
  appSpecificScore: () => 0,
})

/** The limits in the code, under the vector file's names. */
const codeLimits: Record<string, number> = {
  transactionLength: TRANSACTION_LENGTH,
  headerLength: HEADER_LENGTH,
  blockPrefixLength: BLOCK_PREFIX_LENGTH,
  hashLength: HASH_LENGTH,
  headerIdLength: 1 + HASH_LENGTH,
  malformedIdLength: malformedMessageId('blocks', new Uint8Array()).length,
  maxBlockBytes: MAX_BLOCK_BYTES,
  maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
  maxOutboundBufferSize: gossipOptions.maxOutboundBufferSize as number,
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

/** Rows `| … | \`key\` | 1,234 | …` of the document's limits table. */
function documentLimits(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of document.split('\n')) {
    const match = /^\|[^|]*\|\s*`([A-Za-z]+)`\s*\|\s*([0-9,]+)\s*\|/.exec(line)
    if (match !== null) out[match[1] as string] = Number((match[2] as string).replaceAll(',', ''))
  }
  return out
}

function varint(n: number): Uint8Array {
  const out: number[] = []
  for (let rest = n; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) {
      out.push(rest)
      return Uint8Array.from(out)
    }
    out.push((rest % 128) | 0x80)
  }
}

/** The pattern and the byte rule of gossip.md "Topics", applied without parseTopic. */
function matchesTopicRule(topic: string): boolean {
  const match = new RegExp(vectors.topicPattern, 'u').exec(topic)
  if (match === null) return false
  const bytes = utf8.encode(match[1]).length
  return bytes >= 1 && bytes <= 32
}

describe('gossip.vectors.json', () => {
  it('is the file of gossip.md', () => {
    expect(vectors).toMatchObject({ spec: 'protocols/gossip.md', format: 'protocols/README.md#test-vectors' })
  })

  describe('gossipsub', () => {
    it('offers exactly the protocol IDs listed, newest first, and no floodsub', async () => {
      const privateKey = await generateKeyPair('Ed25519')
      const router = gossipsub(gossipOptions)({
        peerId: peerIdFromPrivateKey(privateKey),
        privateKey,
        logger: defaultLogger(),
      } as never) as unknown as { protocols: string[] }
      expect(router.protocols).toEqual(vectors.protocolIds)
      expect(multicodec).toBe(vectors.protocolIds[0])
    })

    it('is configured as gossip.md says: unsigned, content IDs, async validation, own topics only', () => {
      expect(gossipOptions).toMatchObject({
        globalSignaturePolicy: StrictNoSign,
        asyncValidation: true,
        emitSelf: false,
        allowPublishToZeroTopicPeers: true,
        fallbackToFloodsub: false,
        doPX: false,
        ignoreDuplicatePublishError: true,
        maxInboundDataLength: vectors.limits.maxInboundDataLength,
        maxOutboundBufferSize: vectors.limits.maxOutboundBufferSize,
      })
      // r2: the compact blocks' topic too (compact-blocks.md).
      expect(gossipOptions.allowedTopics).toEqual([
        ...Object.values(pawTopics('paw-devnet')),
        compactBlockTopic('paw-devnet'),
      ])
      const msgIdFn = gossipOptions.msgIdFn as (message: {
        type: 'unsigned'
        topic: string
        data: Uint8Array
      }) => Uint8Array
      for (const vector of [...vectors.messageIds, ...vectors.twins]) {
        expect(hex(msgIdFn({ type: 'unsigned', topic: vector.topic, data: fromHex(vector.data) }))).toBe(
          vector.id,
        )
      }
    })

    for (const vector of vectors.envelopes) {
      it(`envelope: ${vector.name}`, () => {
        const data = fromHex(vector.data)
        const message = { topic: vector.topic, data }
        expect(hex(RPC.Message.encode(message))).toBe(vector.message)
        expect(hex(RPC.encode({ subscriptions: [], messages: [message] }))).toBe(vector.rpc)
        const rpc = fromHex(vector.rpc)
        expect(hex(varint(rpc.length)) + vector.rpc).toBe(vector.stream)
        const decoded = RPC.decode(rpc).messages[0]
        expect(decoded?.topic).toBe(vector.topic)
        expect(hex(decoded?.data ?? new Uint8Array())).toBe(vector.data)
        // StrictNoSign: no author, sequence number, signature or key.
        for (const field of ['from', 'seqno', 'signature', 'key'] as const) {
          expect(decoded?.[field]).toBeUndefined()
        }
      })
    }
  })

  describe('limits', () => {
    it('are the constants of the code', () => {
      expect(vectors.limits).toEqual(codeLimits)
      for (const params of [PAW_DEVNET, PAW_TESTNET, PAW_MAINNET]) {
        expect(params.maxBlockBytes).toBe(vectors.limits.maxBlockBytes)
      }
      // The reference chain's port states the same sizes to the network layer.
      expect(REFERENCE_SHAPE).toMatchObject({
        headerBytes: vectors.limits.headerLength,
        transactionBytes: vectors.limits.transactionLength,
        hashBytes: vectors.limits.hashLength,
        maxBlockBytes: vectors.limits.maxBlockBytes,
      })
      expect(DEFAULT_HASH_BYTES).toBe(vectors.limits.hashLength)
    })

    it('are the values of the table in gossip.md', () => {
      expect(documentLimits()).toEqual(vectors.limits)
    })

    it('leave room for the largest block, on the longest block topic, in one gossipsub RPC', () => {
      const rpc = RPC.encode({
        subscriptions: [],
        messages: [{ topic: blockTopic('c'.repeat(32)), data: new Uint8Array(vectors.limits.maxBlockBytes) }],
      })
      expect(rpc.length).toBeLessThanOrEqual(vectors.limits.maxInboundDataLength)
    })

    it('tag IDs with the bytes listed', () => {
      expect(HEADER_ID_TAG).toBe(vectors.idTags.header)
      expect(MALFORMED_ID_TAG).toBe(vectors.idTags.malformed)
      for (const kind of [...TOPIC_KINDS, 'unknown'] as const) {
        const id = malformedMessageId(kind === 'unknown' ? undefined : kind, new Uint8Array())
        expect([id[0], id[1]]).toEqual([vectors.idTags.malformed, vectors.idTags.kinds[kind]])
      }
    })
  })

  describe('topics', () => {
    for (const vector of vectors.topics.valid) {
      it(`valid: ${vector.name}`, () => {
        const { chainId } = vector
        expect(utf8.encode(chainId).length).toBe(vector.bytes)
        expect(pawTopics(chainId)).toEqual({
          blocks: vector.blocks,
          transactions: vector.transactions,
          headers: vector.headers,
        })
        expect(blockTopic(chainId)).toBe(vector.blocks)
        expect(transactionTopic(chainId)).toBe(vector.transactions)
        expect(headerTopic(chainId)).toBe(vector.headers)
        expect(hex(utf8.encode(vector.transactions))).toBe(vector.utf8)
        for (const kind of TOPIC_KINDS) {
          expect(parseTopic(vector[kind])).toEqual({ chainId, kind, version: TOPIC_VERSION })
          expect(matchesTopicRule(vector[kind])).toBe(true)
        }
      })
    }

    for (const vector of vectors.topics.invalid) {
      it(`invalid: ${vector.name}`, () => {
        expect(parseTopic(vector.topic)).toBeUndefined()
        expect(matchesTopicRule(vector.topic)).toBe(false)
      })
    }

    for (const vector of vectors.topics.encodeInvalid) {
      it(`no topic for chain ID: ${vector.name}`, () => {
        expect(() => blockTopic(vector.chainId)).toThrow()
        expect(() => transactionTopic(vector.chainId)).toThrow()
        expect(() => headerTopic(vector.chainId)).toThrow()
      })
    }
  })

  describe('samples', () => {
    const { block: sample } = vectors.samples

    it('build on the devnet genesis', () => {
      expect(vectors.samples.chainId).toBe(PAW_DEVNET.chainId)
      expect(hex(blockHash(genesisBlock(PAW_DEVNET).header))).toBe(vectors.samples.genesisHash)
    })

    it('block: decodes to its parts, and is valid for paw-devnet, its stateRoot included', async () => {
      const block = decodeBlock(fromHex(sample.hex))
      expect(hex(encodeHeader(block.header))).toBe(sample.header)
      expect(hex(blockHash(block.header))).toBe(sample.hash)
      expect(hex(txRoot(block.transactions))).toBe(sample.txRoot)
      expect(hex(block.header.stateRoot)).toBe(sample.stateRoot)
      expect(block.header).toMatchObject({
        height: 1,
        timestamp: sample.timestamp,
        nonce: BigInt(sample.nonce),
      })
      expect(block.transactions).toHaveLength(sample.transactions.length)
      sample.transactions.forEach((encoded, i) => {
        expect(decodeTransaction(fromHex(encoded))).toEqual(block.transactions[i])
      })
      const genesis = genesisBlock(PAW_DEVNET)
      const state = genesisState(PAW_DEVNET)
      const tree = stateTreeOf(state)
      const validated = await validateBlock(
        block,
        genesis.header,
        state,
        {
          params: PAW_DEVNET,
          getHeaderAtHeight: (height) => (height === 0 ? genesis.header : undefined),
          now: sample.timestamp,
        },
        (view, touched) => tree.prepare(treeChanges(touched, view), { base: genesis.header.stateRoot }),
      )
      expect(hex(validated.stateRoot.root)).toBe(sample.stateRoot)
    })
  })

  describe('message IDs', () => {
    for (const vector of vectors.messageIds) {
      it(`${vector.name}: ${vector.shows}`, () => {
        const data = fromHex(vector.data)
        const id = messageIdFor(vector.topic, data)
        expect(hex(id)).toBe(vector.id)
        // A node with no chain reads nothing: every message gets the malformed ID.
        expect(messageIdFunction(undefined)({ type: 'unsigned', topic: vector.topic, data })).toEqual(
          malformedMessageId(parseTopic(vector.topic)?.kind, data),
        )
        const decoded = decodeMessageId(vector.topic, id, REFERENCE_SHAPE.hashBytes)
        expect(decoded.kind).toBe(vector.kind)
        if (decoded.kind === 'header') {
          expect(decoded.hash).toEqual(id.subarray(1))
          expect(decoded.hash).toEqual(blockHash(decodeHeader(data)))
        } else if (decoded.kind === 'block' || decoded.kind === 'transaction') {
          expect(decoded.hash).toEqual(id)
        } else {
          expect(id).toHaveLength(vectors.limits.malformedIdLength)
        }
      })
    }

    it('never give two vectors of different content or topic kind the same ID', () => {
      const byId = new Map<string, string>()
      for (const vector of vectors.messageIds) {
        const key = `${parseTopic(vector.topic)?.kind ?? 'unknown'} ${vector.data}`
        const seen = byId.get(vector.id)
        if (seen !== undefined) expect(seen).toBe(key)
        byId.set(vector.id, key)
      }
    })
  })

  describe('CVE-2012-2459 twins', () => {
    for (const vector of vectors.twins) {
      it(vector.name, async () => {
        const data = fromHex(vector.data)
        // Same header, same Merkle root as the real block, yet not the block's ID.
        expect(hex(messageIdFor(vector.topic, data))).toBe(vector.id)
        expect(hex(malformedMessageId('blocks', data))).toBe(vector.id)
        const twin = decodeBlock(data)
        expect(hex(blockHash(twin.header))).toBe(vectors.samples.block.hash)
        expect(hex(txRoot(twin.transactions))).toBe(vectors.samples.block.txRoot)
        let code: string | undefined
        try {
          checkBlockBody(twin, PAW_DEVNET)
        } catch (error) {
          code = isChainError(error) ? error.code : 'not a ChainError'
        }
        expect(code).toBe(ChainErrorCode.DuplicateTransaction)
      })
    }
  })
})
