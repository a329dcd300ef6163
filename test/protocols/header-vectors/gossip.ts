/**
 * Builds protocols/gossip.vectors.json (protocols/gossip.md; format
 * protocols/README.md#test-vectors) around the sample block. Message IDs are worked out
 * from the rule of gossip.md "Message IDs" (SHA-256 and tag bytes only); the entry point
 * then checks each against the node's messageIdFunction. Envelopes are gossipsub's own
 * protobuf encoding (`RPC` of @libp2p/gossipsub).
 */
import { RPC } from '@libp2p/gossipsub/message'
import { sha256 } from '@noble/hashes/sha2.js'
import { fromHex, toHex, utf8Encode } from '../../../src/wire/bytes.ts'

/** What the file shows of the sample block (hex, and the two numbers). */
export interface GossipSample {
  chainId: string
  genesisHash: string
  header: string
  hash: string
  txRoot: string
  /** Absent for a header version without one. */
  stateRoot?: string
  nonce: number
  timestamp: number
  /** The coinbase, then the two transfers. */
  transactions: string[]
  hex: string
  /** The sample's coinbase-only sibling, not mined. */
  coinbaseOnly: string
  /** What the two transfers are called in vector names. */
  labels: [string, string]
}

export interface GossipInput {
  protocolIds: string[]
  limits: Record<string, number>
  idTags: { header: number; malformed: number; kinds: Record<string, number> }
  /** Which chain IDs get topic vectors, and the topics the code builds for them. */
  topics: (chainId: string) => { blocks: string; transactions: string; headers: string }
  headerVersion: number
  sample: GossipSample
  /** tx1 of protocols/mempool.vectors.json. */
  tx1: string
}

type Kind = 'block' | 'transaction' | 'header' | 'malformed'
type TopicKind = 'blocks' | 'transactions' | 'headers' | 'unknown'

const sha = (hex: string): string => toHex(sha256(fromHex(hex)))
const u32 = (n: number): string => n.toString(16).padStart(8, '0')

function varint(n: number): string {
  const out: number[] = []
  for (let rest = n; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) return toHex(Uint8Array.from([...out, rest]))
    out.push((rest % 128) | 0x80)
  }
}

export function buildGossipVectors(input: GossipInput): object {
  const { sample, tx1, idTags } = input
  const H = sample.header.length / 2
  const T = tx1.length / 2
  const P = H + 4
  const [a, b] = sample.labels
  const devnet = input.topics(sample.chainId)
  const topicOf = (kind: TopicKind) => (kind === 'unknown' ? '/meshsub/test' : devnet[kind])
  const tag = (n: number) => n.toString(16).padStart(2, '0')

  /** gossip.md "Message IDs": the ID of `data` on a topic of `topicKind`, read as `kind`. */
  const idOf = (topicKind: TopicKind, data: string, kind: Kind): string => {
    switch (kind) {
      case 'block':
        return sha(data.slice(0, 2 * H))
      case 'header':
        return tag(idTags.header) + sha(data)
      case 'transaction':
        return sha(data)
      case 'malformed':
        return tag(idTags.malformed) + tag(idTags.kinds[topicKind] as number) + sha(data)
    }
  }
  const vector = (
    name: string,
    topicKind: TopicKind,
    data: string,
    kind: Kind,
    shows: string,
    topic?: string,
  ) => ({
    name,
    topic: topic ?? topicOf(topicKind),
    data,
    id: idOf(topicKind, data, kind),
    kind,
    shows,
  })

  const [coinbase, t1, t2] = sample.transactions as [string, string, string]
  const body = (...txs: string[]) => sample.header + u32(txs.length) + txs.join('')
  const withByte = (hex: string, offset: number, bytes: string) =>
    hex.slice(0, 2 * offset) + bytes + hex.slice(2 * offset + bytes.length)
  const version = (v: number) => withByte(sample.header, 0, tag(v))
  const v = input.headerVersion

  const messageIds = [
    vector(
      'transaction tx1 (mempool.vectors.json sample)',
      'transactions',
      tx1,
      'transaction',
      `a transaction's ID is its transaction hash, SHA-256 of the ${T} bytes`,
    ),
    vector(
      'header of the sample block',
      'headers',
      sample.header,
      'header',
      "a header's ID is 0x01 then the block hash: 33 bytes, never equal to the block's own ID",
    ),
    vector(
      `sample block: height 1, coinbase + ${a} + ${b}`,
      'blocks',
      sample.hex,
      'block',
      'a block whose body matches its txRoot has the block hash (SHA-256 of the header) as its ID',
    ),
    vector(
      'block of one transaction (coinbase only), not mined',
      'blocks',
      sample.coinbaseOnly,
      'block',
      "a one-transaction body matches a txRoot equal to that transaction's hash; the ID does not depend on proof of work (validation judges that)",
    ),
    vector(
      `sample header, body in another order (${b} before ${a})`,
      'blocks',
      body(coinbase, t2, t1),
      'malformed',
      "a body that does not match txRoot gets the malformed ID, not the block hash: a forged body cannot squat the block's ID",
    ),
    vector(
      'sample header with an empty body (count 0)',
      'blocks',
      body(),
      'malformed',
      'a header alone with count 0 does not match a non-zero txRoot: malformed ID',
    ),
    vector(
      'sample block with one trailing byte',
      'blocks',
      `${sample.hex}00`,
      'malformed',
      'bytes that do not decode as a block (the count disagrees with the length): malformed ID, kind byte 0',
    ),
    vector(
      'tx1 on the blocks topic',
      'blocks',
      tx1,
      'malformed',
      "a transaction's bytes on the blocks topic get 0xff 0x00 ‖ SHA-256(data), never the transaction's own ID",
    ),
    vector(
      'header on the blocks topic',
      'blocks',
      sample.header,
      'malformed',
      `${H} bytes are shorter than any block (${P}): malformed ID, kind byte 0`,
    ),
    vector(
      'block on the headers topic',
      'headers',
      sample.hex,
      'malformed',
      `anything but exactly ${H} bytes on the headers topic: malformed ID, kind byte 2`,
    ),
    vector('tx1 on the headers topic', 'headers', tx1, 'malformed', 'malformed ID, kind byte 2'),
    vector(
      `header with version ${v + 1}`,
      'headers',
      version(v + 1),
      'malformed',
      'an unknown header version does not decode: malformed ID (not 0x01 ‖ hash)',
    ),
    ...(v > 1
      ? [
          vector(
            `header with version ${v - 1}`,
            'headers',
            version(v - 1),
            'malformed',
            `the previous version, ${v - 1}, does not decode either: a node reads version ${v} only (malformed ID)`,
          ),
        ]
      : []),
    vector(
      'header with height 2^53',
      'headers',
      withByte(sample.header, 33, '0020000000000000'),
      'malformed',
      'a height over 2^53 − 1 does not decode: malformed ID',
    ),
    vector(
      'header on the transactions topic',
      'transactions',
      sample.header,
      'malformed',
      `anything but exactly ${T} bytes on the transactions topic: malformed ID, kind byte 1`,
    ),
    vector(
      'tx1 with its last byte cut',
      'transactions',
      tx1.slice(0, -2),
      'malformed',
      `${T - 1} bytes: malformed ID, kind byte 1`,
    ),
    vector(
      `${T} zero bytes on the transactions topic`,
      'transactions',
      '00'.repeat(T),
      'transaction',
      `decoding checks the length only: an invalid transaction of ${T} bytes still has its hash as ID (validation then Rejects it)`,
    ),
    vector(
      'empty data on the blocks topic',
      'blocks',
      '',
      'malformed',
      'garbage: 0xff 0x00 ‖ SHA-256 of zero bytes',
    ),
    vector(
      'empty data on the transactions topic',
      'transactions',
      '',
      'malformed',
      'garbage: 0xff 0x01 ‖ SHA-256 of zero bytes',
    ),
    vector(
      'empty data on the headers topic',
      'headers',
      '',
      'malformed',
      'garbage: 0xff 0x02 ‖ SHA-256 of zero bytes',
    ),
    vector(
      '"hello" on the blocks topic',
      'blocks',
      '68656c6c6f',
      'malformed',
      'garbage: 0xff 0x00 ‖ SHA-256("hello")',
    ),
    vector(
      '"hello" on the transactions topic',
      'transactions',
      '68656c6c6f',
      'malformed',
      'the same bytes get another ID on another topic (kind byte 1)',
    ),
    vector('"hello" on the headers topic', 'headers', '68656c6c6f', 'malformed', 'kind byte 2'),
    vector(
      "tx1 on paw-mainnet's transactions topic",
      'transactions',
      tx1,
      'transaction',
      "the ID depends on the topic's kind, not its chain (a node never receives another chain's topics: allowedTopics)",
      input.topics('paw-mainnet').transactions,
    ),
    vector(
      "tx1 on a topic that is not PAW's",
      'unknown',
      tx1,
      'malformed',
      'an unknown topic: malformed ID, kind byte 3',
    ),
  ]
  const { kind: _, ...twin } = vector(
    `CVE-2012-2459 twin: sample block with ${b} repeated at the end`,
    'blocks',
    body(coinbase, t1, t2, t2),
    'malformed',
    'a body that repeats its last transaction keeps the Merkle root (CVE-2012-2459); its ID is the malformed form (ff 00 ‖ SHA-256(data)), never the real block hash',
  )

  const envelope = (name: string, topic: string, data: string) => {
    const message = { topic, data: fromHex(data) }
    const rpc = RPC.encode({ subscriptions: [], messages: [message] })
    return {
      name,
      topic,
      data,
      message: toHex(RPC.Message.encode(message)),
      rpc: toHex(rpc),
      stream: varint(rpc.length) + toHex(rpc),
    }
  }

  const { labels: _labels, coinbaseOnly: _only, chainId, genesisHash, ...block } = sample
  return {
    spec: 'protocols/gossip.md',
    format: 'protocols/README.md#test-vectors',
    protocolIds: input.protocolIds,
    limits: input.limits,
    idTags,
    topicPattern: '^/paw/([^\\u0000]+)/((blocks|transactions|headers)/1|blocks/2)$',
    topics: buildTopics(input.topics),
    samples: {
      chainId,
      genesisHash,
      block: {
        header: block.header,
        hash: block.hash,
        txRoot: block.txRoot,
        ...(block.stateRoot === undefined ? {} : { stateRoot: block.stateRoot }),
        nonce: block.nonce,
        timestamp: block.timestamp,
        transactions: block.transactions,
        hex: block.hex,
      },
    },
    envelopes: [
      envelope('tx1 on the devnet transactions topic', devnet.transactions, tx1),
      envelope('the sample header on the devnet headers topic', devnet.headers, sample.header),
    ],
    messageIds,
    twins: [twin],
  }
}

function buildTopics(topics: GossipInput['topics']): object {
  const e16 = 'é'.repeat(16)
  const valid: Array<[string, string]> = [
    ['devnet', 'paw-devnet'],
    ['testnet', 'paw-testnet'],
    ['mainnet', 'paw-mainnet'],
    ['one byte', 'x'],
    ['32 bytes, the longest', 'c'.repeat(32)],
    ['a slash inside the chain ID', 'a/b'],
    ['a chain ID that looks like a topic suffix', 'x/blocks/1'],
    ['16 × "é": 16 characters, 32 bytes of UTF-8', e16],
  ]
  const invalid: Array<[string, string]> = [
    ['empty chain ID', '/paw//blocks/1'],
    ['33-byte chain ID', `/paw/${'c'.repeat(33)}/blocks/1`],
    ['17 × "é": 17 characters but 34 bytes', `/paw/${e16}a/headers/1`],
    ['NUL in the chain ID', '/paw/paw\u0000devnet/transactions/1'],
    ['version 3', '/paw/paw-devnet/blocks/3'],
    ['version 2 of another kind', '/paw/paw-devnet/headers/2'],
    ['version 01', '/paw/paw-devnet/blocks/01'],
    ['no version', '/paw/paw-devnet/blocks'],
    ['trailing slash', '/paw/paw-devnet/blocks/1/'],
    ['unknown kind', '/paw/paw-devnet/votes/1'],
    ['kind in another case', '/paw/paw-devnet/Blocks/1'],
    ['singular kind', '/paw/paw-devnet/block/1'],
    ['another prefix', '/eth2/paw-devnet/blocks/1'],
    ['no leading slash', 'paw/paw-devnet/blocks/1'],
    ['no chain ID segment', '/paw/blocks/1'],
    ['a gossipsub protocol id, not a topic', '/meshsub/1.2.0'],
  ]
  const encodeInvalid: Array<[string, string]> = [
    ['empty', ''],
    ['33 bytes', 'c'.repeat(33)],
    ['17 × "é" (34 bytes)', 'é'.repeat(17)],
    ['NUL', 'paw\u0000devnet'],
  ]
  return {
    valid: valid.map(([name, chainId]) => {
      const built = topics(chainId)
      return {
        name,
        chainId,
        bytes: utf8Encode(chainId).length,
        ...built,
        utf8: toHex(utf8Encode(built.transactions)),
      }
    }),
    invalid: invalid.map(([name, topic]) => ({ name, topic })),
    encodeInvalid: encodeInvalid.map(([name, chainId]) => ({ name, chainId })),
  }
}
