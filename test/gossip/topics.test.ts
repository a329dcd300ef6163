import { describe, expect, it } from 'vitest'
import {
  blockTopic,
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
    for (const bad of ['/eth2/x/blocks/1', '/paw/x/blocks/2', '/paw/x/votes/1', '/paw//blocks/1']) {
      expect(parseTopic(bad)).toBeUndefined()
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
