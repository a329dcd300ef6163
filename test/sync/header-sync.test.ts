/**
 * HeaderSync through a light node's chain port (importHeaders, hasHeader, readHeader), and
 * what a peer is charged through the enforcer (offences.ts syncHeaders).
 */
import { describe, expect, it } from 'vitest'
import { blockHash } from '../../src/chain/hashing.ts'
import type { Block } from '../../src/chain/types.ts'
import { silentLogger } from '../../src/logging.ts'
import type { HeaderChainPort } from '../../src/ports/chain.ts'
import { SyncErrorCode } from '../../src/sync/errors.ts'
import { HeaderSync } from '../../src/sync/header-sync.ts'
import type { SyncProgress } from '../../src/sync/types.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { TestChain } from '../support/chain-builder.ts'
import { FakePeers, grow, ourHeaderChain, params, recordingEnforcer } from './sync-fixtures.ts'

function headerSync(chain: HeaderChainPort, peers: FakePeers, onProgress?: (p: SyncProgress) => void) {
  const enforcer = recordingEnforcer()
  const sync = new HeaderSync({
    chain,
    fetcher: peers,
    peers: () => peers.peers,
    enforcer,
    log: silentLogger,
    headersPerRequest: 64,
    ...(onProgress === undefined ? {} : { onProgress }),
  })
  return { sync, enforcer }
}

const hashHex = (blocks: readonly Block[]) => toHex(blockHash((blocks.at(-1) as Block).header))

describe('HeaderSync', () => {
  it('imports a peer’s headers in batches and reports the end', async () => {
    const blocks = await grow(150)
    const { port } = await ourHeaderChain()
    const peers = new FakePeers().serve('a', blocks)
    const reports: SyncProgress[] = []
    const { sync, enforcer } = headerSync(port, peers, (p) => reports.push(p))
    expect(await sync.syncHeaders()).toMatchObject({ from: 0, to: 150, blocks: 150, peers: ['a'] })
    expect(toHex(port.tip().hash)).toBe(hashHex(blocks))
    expect(reports.at(-1)).toMatchObject({ kind: 'headers', height: 150, done: true })
    expect(enforcer.charges).toEqual([])
  })

  it('follows a heavier fork from below our tip', async () => {
    const shared = await grow(3)
    const { port } = await ourHeaderChain(await grow(2, 1, shared))
    const fork = await grow(5, 2, shared)
    const { sync } = headerSync(port, new FakePeers().serve('a', fork))
    await sync.syncHeaders()
    expect(toHex(port.tip().hash)).toBe(hashHex(fork))
  })

  it('charges a peer whose headers break a chain rule', async () => {
    const valid = await grow(6)
    const forger = new TestChain(params)
    for (const block of valid.slice(1)) await forger.add(block)
    // Its 7th header claims height 8: BAD_HEIGHT.
    const forged = await forger.build({ header: { height: 8 } })
    const { port } = await ourHeaderChain()
    const { sync, enforcer } = headerSync(port, new FakePeers().serve('forger', [...valid, forged]))
    await sync.syncHeaders()
    expect(enforcer.charges).toEqual([
      {
        peer: 'forger',
        offence: 'invalidMessage',
        why: expect.stringContaining('BAD_HEIGHT'),
        context: 'sync',
      },
    ])
  })

  it('charges a peer whose chain does not start from our genesis', async () => {
    const other = new TestChain({ ...params, genesisTimestamp: params.genesisTimestamp - 1 })
    for (let i = 0; i < 3; i++) await other.extend()
    const { port } = await ourHeaderChain()
    const { sync, enforcer } = headerSync(port, new FakePeers().serve('stranger', other.blocks))
    expect((await sync.syncHeaders()).blocks).toBe(0)
    expect(enforcer.charges).toMatchObject([
      { peer: 'stranger', offence: 'invalidMessage', why: expect.stringContaining(SyncErrorCode.WrongChain) },
    ])
  })

  it('an aborted sync rejects with the signal’s reason', async () => {
    const blocks = await grow(200)
    const { port } = await ourHeaderChain()
    const peers = new FakePeers().serve('a', blocks).serve('b', blocks)
    const { sync, enforcer } = headerSync(port, peers)
    const stop = new Error('stop')
    const controller = new AbortController()
    peers.gate = async () => {
      if (peers.requests.headers === 2) controller.abort(stop)
    }
    await expect(sync.syncHeaders({ signal: controller.signal })).rejects.toBe(stop)
    expect(port.tip().height).toBeLessThan(200)
    expect(enforcer.charges).toEqual([])
  })
})
