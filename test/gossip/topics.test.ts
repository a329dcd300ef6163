import { describe, expect, it } from 'vitest'
import {
  blockTopic,
  compactBlockTopic,
  ForeignTopicError,
  headerTopic,
  parseTopic,
  topicKindFor,
  transactionTopic,
} from '../../src/gossip/topics.ts'

describe('gossip topics', () => {
  it('are named with the chain ID and versioned', () => {
    expect(blockTopic('paw-devnet')).toBe('/paw/paw-devnet/blocks/1')
    expect(transactionTopic('paw-mainnet')).toBe('/paw/paw-mainnet/transactions/1')
    expect(headerTopic('paw-testnet')).toBe('/paw/paw-testnet/headers/1')
    expect(() => blockTopic('')).toThrow()
  })
  it('parse back, including a chain ID with a slash', () => {
    expect(parseTopic('/paw/paw-devnet/headers/1')).toEqual({
      chainId: 'paw-devnet',
      kind: 'headers',
      version: 1,
    })
    expect(parseTopic(blockTopic('a/b'))).toEqual({ chainId: 'a/b', kind: 'blocks', version: 1 })
    // r2: blocks/2 is the compact blocks' topic; no other version is.
    expect(parseTopic(compactBlockTopic('a/b'))).toEqual({ chainId: 'a/b', kind: 'blocks', version: 2 })
    expect(parseTopic('/paw/x/blocks/1/blocks/2')).toEqual({
      chainId: 'x/blocks/1',
      kind: 'blocks',
      version: 2,
    })
    const bad = ['/eth2/x/blocks/1', '/paw/x/blocks/3', '/paw/x/transactions/2', '/paw/x/headers/2']
    for (const topic of [...bad, '/paw/x/votes/1', '/paw//blocks/1', '/paw//blocks/2']) {
      expect(parseTopic(topic)).toBeUndefined()
    }
  })
  it('recognise and refuse a topic of another chain', () => {
    expect(topicKindFor('paw-devnet', '/paw/paw-devnet/transactions/1')).toBe('transactions')
    expect(() => topicKindFor('paw-devnet', blockTopic('paw-mainnet'))).toThrow(
      /belongs to chain paw-mainnet/,
    )
    expect(() => topicKindFor('paw-devnet', '/meshsub/x')).toThrow(ForeignTopicError)
  })
})
