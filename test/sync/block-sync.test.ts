/**
 * BlockSync through the chain port (src/ports/chain.ts): headers first, checked by the
 * chain; fork choice by weight beyond the common ancestor; bodies matched to their headers
 * and imported in order; what peers are charged through the enforcer (verdict-actions.ts).
 */
import { describe, expect, it } from 'vitest'
import { encodeBlock } from '../../src/chain/encoding.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import { bigIntToTarget, MAX_TARGET_VALUE } from '../../src/chain/pow.ts'
import type { Block } from '../../src/chain/types.ts'
import { silentLogger } from '../../src/logging.ts'
import type { FullChainPort, HeaderSummary } from '../../src/ports/chain.ts'
import { BlockSync, type BlockSyncInit } from '../../src/sync/block-sync.ts'
import { isSyncError, SyncErrorCode } from '../../src/sync/errors.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { coinbase, TestChain } from '../support/chain-builder.ts'
import { until } from '../support/until.ts'
import { FakePeers, grow, ourFullChain, params, recordingEnforcer } from './sync-fixtures.ts'

function blockSync(chain: FullChainPort, peers: FakePeers, init: Partial<BlockSyncInit> = {}) {
  const enforcer = recordingEnforcer()
  const sync = new BlockSync({
    chain,
    fetcher: peers,
    peers: () => peers.peers,
    enforcer,
    log: silentLogger,
    ...init,
  })
  return { sync, enforcer }
}

const tipHex = (port: FullChainPort) => toHex(port.tip().hash)
const hashHex = (blocks: readonly Block[]) => toHex(blockHash((blocks.at(-1) as Block).header))

/** `port` with the weight of the headers in `heavy` (hex ids) tripled: a fork choice by weight, not length. */
function weighted(port: FullChainPort, heavy: ReadonlySet<string>): FullChainPort {
  const weigh = (header: HeaderSummary): HeaderSummary =>
    heavy.has(toHex(header.hash)) ? { ...header, weight: header.weight * 3n } : header
  return new Proxy(port, {
    get(target, property) {
      if (property === 'readHeader') return (encoded: Uint8Array) => weigh(target.readHeader(encoded))
      if (property === 'headerChecker') {
        return (ancestor: number) => {
          const checker = target.headerChecker(ancestor)
          return {
            check: async (encoded: readonly Uint8Array[]) => (await checker.check(encoded)).map(weigh),
          }
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe('BlockSync', () => {
  it('syncs a chain from two peers, headers first, bodies in parallel', async () => {
    const blocks = await grow(300)
    const { port } = await ourFullChain()
    const peers = new FakePeers().serve('a', blocks).serve('b', blocks)
    const { sync, enforcer } = blockSync(port, peers, { chunkSize: 16, headersPerRequest: 64 })
    const result = await sync.syncBlockchain()
    expect(result).toMatchObject({ from: 0, to: 300, blocks: 300, peers: ['a', 'b'] })
    expect(tipHex(port)).toBe(hashHex(blocks))
    expect(enforcer.charges).toEqual([])
    // Nothing left: a second sync only looks.
    expect((await sync.syncBlockchain()).blocks).toBe(0)
  })

  it('charges a peer whose headers break a chain rule, and follows an honest one', async () => {
    const honest = await grow(8)
    const valid = await grow(9, 1)
    // Its 10th header claims a harder target than the chain's: BAD_TARGET.
    const forger = new TestChain(params)
    for (const block of valid.slice(1)) await forger.add(block)
    const forged = await forger.build({ header: { target: bigIntToTarget(MAX_TARGET_VALUE / 2n) } })
    const { port } = await ourFullChain()
    const peers = new FakePeers().serve('honest', honest).serve('forger', [...valid, forged])
    const { sync, enforcer } = blockSync(port, peers)
    const result = await sync.syncBlockchain()
    expect(result).toMatchObject({ to: 8, peers: ['honest'] })
    expect(tipHex(port)).toBe(hashHex(honest))
    expect(enforcer.charges).toEqual([
      {
        peer: 'forger',
        offence: 'invalidMessage',
        why: expect.stringContaining('BAD_TARGET'),
        context: 'sync',
      },
    ])
  })

  it('charges a peer that serves a body that is not its header’s; another serves it', async () => {
    const blocks = await grow(40)
    const { port } = await ourFullChain()
    const peers = new FakePeers().serve('a', blocks).serve('b', blocks)
    // b answers with the block one height up: a valid block, not the one asked for.
    peers.tamperBlocks = (peer, from, encoded) =>
      peer === 'b' ? encoded.map((_, i) => encodeBlock(blocks[Math.min(40, from + i + 1)] as Block)) : encoded
    const { sync, enforcer } = blockSync(port, peers, { chunkSize: 8 })
    const result = await sync.syncBlockchain()
    expect(result.to).toBe(40)
    expect(tipHex(port)).toBe(hashHex(blocks))
    expect(enforcer.charges).toEqual([
      {
        peer: 'b',
        offence: 'invalidMessage',
        why: expect.stringContaining(SyncErrorCode.BadData),
        context: 'sync',
      },
    ])
  })

  it('stops at a block that breaks a rule and charges every peer of that chain', async () => {
    const blocks = await grow(4)
    const builder = new TestChain(params)
    for (const block of blocks.slice(1)) await builder.add(block)
    // The coinbase pays twice the reward: the header is fine, the block is not.
    const bad = await builder.build({ coinbase: coinbase(5, params.blockReward * 2n) })
    const { port } = await ourFullChain()
    const peers = new FakePeers().serve('a', [...blocks, bad]).serve('b', [...blocks, bad])
    const { sync, enforcer } = blockSync(port, peers)
    const error = await sync.syncBlockchain().catch((e: unknown) => e)
    expect(isSyncError(error) && error.code).toBe(SyncErrorCode.InvalidChain)
    expect(port.tip().height).toBe(4)
    expect(enforcer.charges.map((c) => [c.peer, c.offence]).sort()).toEqual([
      ['a', 'invalidMessage'],
      ['b', 'invalidMessage'],
    ])
  })

  it('fork choice is by weight, not length: the heavier, shorter chain wins', async () => {
    const long = await grow(6, 1)
    const heavy = await grow(3, 2)
    const { port } = await ourFullChain()
    const weights = weighted(port, new Set(heavy.slice(1).map((b) => toHex(blockHash(b.header)))))
    const peers = new FakePeers().serve('long', long).serve('heavy', heavy)
    const { sync } = blockSync(weights, peers)
    const result = await sync.syncBlockchain()
    expect(result).toMatchObject({ to: 3, peers: ['heavy'] })
    expect(tipHex(port)).toBe(hashHex(heavy))
  })

  it('follows a fork only with more weight beyond the common ancestor than ours', async () => {
    const shared = await grow(2)
    const ours = await grow(3, 1, shared)
    const { port } = await ourFullChain(ours)
    const peers = new FakePeers().serve('p', await grow(3, 2, shared))
    expect(await blockSync(port, peers).sync.syncBlockchain()).toMatchObject({ blocks: 0, peers: [] })
    expect(tipHex(port)).toBe(hashHex(ours))

    const heavier = await grow(4, 2, shared)
    peers.serve('p', heavier)
    const result = await blockSync(port, peers).sync.syncBlockchain()
    expect(result).toMatchObject({ from: 5, to: 6, peers: ['p'] })
    expect(tipHex(port)).toBe(hashHex(heavier))
  })

  it('an aborted sync stops between requests and rejects with the signal’s reason', async () => {
    const blocks = await grow(50)
    const { port } = await ourFullChain()
    const peers = new FakePeers().serve('a', blocks)
    const { sync } = blockSync(port, peers, { chunkSize: 5, requestsPerPeer: 1 })
    const stop = new Error('stop')
    await expect(sync.syncBlockchain({ signal: AbortSignal.abort(stop) })).rejects.toBe(stop)

    const controller = new AbortController()
    peers.gate = async () => {
      if (peers.requests.blocks === 3) controller.abort(stop)
    }
    await expect(sync.syncBlockchain({ signal: controller.signal })).rejects.toBe(stop)
    const requests = peers.requests.blocks
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(peers.requests.blocks).toBe(requests)
    expect(port.tip().height).toBeLessThan(50)
    // The next sync resumes from the stored tip.
    peers.gate = undefined
    expect((await sync.syncBlockchain()).to).toBe(50)
  })

  it('fetches the next ranges while the chain validates, up to the backlog bound', async () => {
    const blocks = await grow(60)
    for (const [backlogBytes, fetchedWhileHeld] of [
      [64 * 1024 * 1024, 6],
      // Past the bound (one byte: any range) each request loop waits for the imports.
      [1, 2],
    ] as const) {
      const { port } = await ourFullChain()
      const imports = Promise.withResolvers<void>()
      let imported = 0
      const held = new Proxy(port, {
        get(target, property) {
          if (property === 'importBlock') {
            return async (encoded: Uint8Array, options?: { from?: string }) => {
              await imports.promise
              imported++
              return target.importBlock(encoded, options)
            }
          }
          const value = Reflect.get(target, property, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
      const peers = new FakePeers().serve('a', blocks)
      const { sync } = blockSync(held, peers, { chunkSize: 10, requestsPerPeer: 2, backlogBytes })
      const running = sync.syncBlockchain()
      await until(
        'the requests made while no block could be imported',
        () => peers.requests.blocks >= fetchedWhileHeld,
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(imported).toBe(0)
      expect(peers.requests.blocks).toBe(fetchedWhileHeld)
      imports.resolve()
      expect((await running).blocks).toBe(60)
      expect(tipHex(port)).toBe(hashHex(blocks))
    }
  })

  it('a call while a sync runs joins it', async () => {
    const blocks = await grow(20)
    const { port } = await ourFullChain()
    const peers = new FakePeers().serve('a', blocks)
    const { sync } = blockSync(port, peers)
    const [first, second] = await Promise.all([sync.syncBlockchain(), sync.syncBlockchain()])
    expect(second).toBe(first)
    expect(first.blocks).toBe(20)
  })
})
