/**
 * The redial block (DECISIONS.md "Handshake": a wrong-chain address is not redialled for 24 h).
 */
import { describe, expect, it } from 'vitest'
import { addressKey, RedialBlock } from '../../src/peers/redial-block.ts'

const ID = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'

describe('RedialBlock', () => {
  it('blocks a key until its expiry, then not', () => {
    const block = new RedialBlock()
    block.block('a', 1_000, 10_000)
    expect(block.isBlocked('a', 10_000)).toBe(true)
    expect(block.isBlocked('a', 10_999)).toBe(true)
    expect(block.isBlocked('a', 11_000)).toBe(false)
    expect(block.isBlocked('b', 10_000)).toBe(false)
  })

  it('checking an expired key forgets it', () => {
    const block = new RedialBlock()
    block.block('a', 1_000, 0)
    expect(block.size).toBe(1)
    expect(block.isBlocked('a', 5_000)).toBe(false)
    expect(block.size).toBe(0)
  })

  it('blocking again extends the expiry', () => {
    const block = new RedialBlock()
    block.block('a', 1_000, 0)
    block.block('a', 1_000, 900)
    expect(block.isBlocked('a', 1_500)).toBe(true)
    expect(block.isBlocked('a', 1_900)).toBe(false)
  })

  it('uses the clock by default', () => {
    const block = new RedialBlock()
    block.block('now', 60_000)
    expect(block.isBlocked('now')).toBe(true)
    block.block('past', -1)
    expect(block.isBlocked('past')).toBe(false)
  })

  it('prune removes the expired entries and keeps the others', () => {
    const block = new RedialBlock()
    block.block('short', 100, 0)
    block.block('edge', 500, 0)
    block.block('long', 10_000, 0)
    block.prune(500)
    expect(block.size).toBe(1)
    expect(block.isBlocked('long', 500)).toBe(true)
    expect(block.isBlocked('short', 0)).toBe(false)
  })
})

describe('addressKey', () => {
  it('strips /p2p/<id>', () => {
    expect(addressKey(`/ip4/1.2.3.4/tcp/26656/p2p/${ID}`)).toBe('/ip4/1.2.3.4/tcp/26656')
    expect(addressKey(`/dns/seed.example.org/tcp/26656/ws/p2p/${ID}`)).toBe(
      '/dns/seed.example.org/tcp/26656/ws',
    )
  })

  it('keeps an address without /p2p/', () => {
    expect(addressKey('/ip4/1.2.3.4/tcp/26656')).toBe('/ip4/1.2.3.4/tcp/26656')
  })

  it('the same host and port under two ids give one key', () => {
    const other = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
    expect(addressKey(`/ip4/1.2.3.4/tcp/1/p2p/${ID}`)).toBe(addressKey(`/ip4/1.2.3.4/tcp/1/p2p/${other}`))
  })
})
