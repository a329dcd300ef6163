/**
 * Gossipsub topic names (DECISIONS.md "Propagation"): one topic per message kind, named
 * with the chain ID so that nodes of different chains never share a mesh, and versioned so
 * that a future encoding gets a new topic instead of a flag day. Each message is one of
 * the chain's encodings (src/ports/chain.ts; the reference chain's sizes as the example).
 * Browser-safe.
 *
 *   /paw/<chainId>/blocks/1        full blocks (the reference chain: header, u32 count, transactions)
 *   /paw/<chainId>/transactions/1  one transaction per message (152 bytes on the reference chain)
 *   /paw/<chainId>/headers/1       one block header per message (185 bytes on the reference chain)
 *   /paw/<chainId>/blocks/2        compact blocks (protocols/compact-blocks.md): header, salted
 *                                  short ids, the transactions a receiver cannot have
 *
 * Why a header topic: light nodes store headers only (DECISIONS.md "Node types"). On the
 * blocks topic they would download every block (up to the chain's maxBlockBytes) only to
 * throw the body away, and gossipsub has no per-peer "send me only the prefix". A separate
 * topic that full nodes publish the header of each block they accept to costs them a
 * header per block (185 bytes on the reference chain: ~1/5,700 of a full 1 MiB block for
 * a light node following the tip), and keeps the header a self-authenticating message
 * (on the reference chain its hash is its proof of work), so light nodes can score and
 * reject header senders with the same machinery.
 */
import type { TopicKind } from '../api/stats.ts'
import { encodeChainId } from '../wire/handshake.ts'

export type { TopicKind }

export const TOPIC_KINDS: readonly TopicKind[] = Object.freeze(['blocks', 'transactions', 'headers'])

/** The version suffix of every topic this node speaks, but the compact blocks'. */
export const TOPIC_VERSION = 1

/**
 * The blocks topic's second version: compact blocks (protocols/compact-blocks.md). Whole
 * blocks keep version 1, so a node without compact relay still floods and hears them.
 */
export const COMPACT_BLOCK_TOPIC_VERSION = 2

const PREFIX = '/paw/'

function topicFor(chainId: string, kind: TopicKind): string {
  checkChainId(chainId)
  return `${PREFIX}${chainId}/${kind}/${TOPIC_VERSION}`
}

function checkChainId(chainId: string): void {
  // The same rule as the handshake's chain ID field: 1..32 bytes of UTF-8, no NUL.
  encodeChainId(chainId)
}

/** `/paw/<chainId>/blocks/1`: full blocks. */
export function blockTopic(chainId: string): string {
  return topicFor(chainId, 'blocks')
}

/** `/paw/<chainId>/blocks/2`: compact blocks. */
export function compactBlockTopic(chainId: string): string {
  checkChainId(chainId)
  return `${PREFIX}${chainId}/blocks/${COMPACT_BLOCK_TOPIC_VERSION}`
}

/** Every topic a node of `chainId` may hear: the three of pawTopics and the compact blocks'. */
export function allowedTopicsOf(chainId: string): string[] {
  return [...Object.values(pawTopics(chainId)), compactBlockTopic(chainId)]
}

/** `/paw/<chainId>/transactions/1`: single transactions. */
export function transactionTopic(chainId: string): string {
  return topicFor(chainId, 'transactions')
}

/** `/paw/<chainId>/headers/1`: block headers, for light nodes. */
export function headerTopic(chainId: string): string {
  return topicFor(chainId, 'headers')
}

/** The three topics of a chain. */
export function pawTopics(chainId: string): Record<TopicKind, string> {
  return {
    blocks: blockTopic(chainId),
    transactions: transactionTopic(chainId),
    headers: headerTopic(chainId),
  }
}

/** A topic name taken apart. */
export interface ParsedTopic {
  /** The chain ID between `/paw/` and the kind. */
  chainId: string
  /** What the topic carries. */
  kind: TopicKind
  /** The version suffix. */
  version: number
}

/**
 * Takes a PAW topic apart, or returns undefined for anything that is not one (another
 * application's topic, an unknown kind or version, an invalid chain ID). The kind and
 * version are read from the end, so a chain ID containing `/` still parses unambiguously.
 */
export function parseTopic(topic: string): ParsedTopic | undefined {
  // Every gossip message is named and routed by its topic: parse each topic once. Bounded
  // (gossipsub drops topics outside allowedTopics before they get here, but be sure).
  if (parsedTopics.has(topic)) return parsedTopics.get(topic)
  const parsed = parseTopicUncached(topic)
  if (parsedTopics.size < MAX_PARSED_TOPICS) parsedTopics.set(topic, parsed)
  return parsed
}

const parsedTopics = new Map<string, ParsedTopic | undefined>()
const MAX_PARSED_TOPICS = 256

function parseTopicUncached(topic: string): ParsedTopic | undefined {
  if (!topic.startsWith(PREFIX)) return undefined
  const versions: Array<[TopicKind, number]> = [
    ...TOPIC_KINDS.map((kind): [TopicKind, number] => [kind, TOPIC_VERSION]),
    ['blocks', COMPACT_BLOCK_TOPIC_VERSION],
  ]
  for (const [kind, version] of versions) {
    const suffix = `/${kind}/${version}`
    if (!topic.endsWith(suffix)) continue
    const chainId = topic.slice(PREFIX.length, topic.length - suffix.length)
    try {
      checkChainId(chainId)
    } catch {
      return undefined
    }
    return { chainId, kind, version }
  }
  return undefined
}

/** Why `topicKindFor` refused a topic. */
export class ForeignTopicError extends Error {
  readonly topic: string
  constructor(topic: string, message: string) {
    super(message)
    this.name = 'ForeignTopicError'
    this.topic = topic
  }
}

/**
 * The kind of `topic` if it is one of `chainId`'s topics.
 * @throws ForeignTopicError for a topic of another chain (recognised and refused) or one
 *   that is not a PAW topic at all
 */
export function topicKindFor(chainId: string, topic: string): TopicKind {
  const parsed = parseTopic(topic)
  if (parsed === undefined) throw new ForeignTopicError(topic, `${topic} is not a PAW topic`)
  if (parsed.chainId !== chainId) {
    throw new ForeignTopicError(topic, `${topic} belongs to chain ${parsed.chainId}, not ${chainId}`)
  }
  return parsed.kind
}
