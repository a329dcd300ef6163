/** SyncRunner picks the sync by the chain port's kind: blocks for 'full', headers for 'headers'. */
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/logging.ts'
import type { ChainPort } from '../../src/ports/chain.ts'
import { SyncRunner } from '../../src/sync/sync-runner.ts'
import type { SyncProgress } from '../../src/sync/types.ts'
import { FakePeers, grow, ourFullChain, ourHeaderChain, recordingEnforcer } from './sync-fixtures.ts'

function runner(chain: ChainPort, peers: FakePeers, progress: SyncProgress[]) {
  return new SyncRunner({
    chain,
    fetcher: peers,
    peers: () => peers.peers,
    enforcer: recordingEnforcer(),
    log: silentLogger,
    requestsPerPeer: 2,
    onProgress: (p) => progress.push(p),
    mayRunInBackground: () => true,
  })
}

describe('SyncRunner', () => {
  it('syncs blocks on a full chain and headers on a light one', async () => {
    const blocks = await grow(12)
    const peers = new FakePeers().serve('a', blocks)
    const full = await ourFullChain()
    const fullProgress: SyncProgress[] = []
    expect((await runner(full.port, peers, fullProgress).run()).to).toBe(12)
    expect(fullProgress.at(-1)).toMatchObject({ kind: 'blocks', done: true })

    const light = await ourHeaderChain()
    const lightProgress: SyncProgress[] = []
    expect((await runner(light.port, peers, lightProgress).run()).to).toBe(12)
    expect(lightProgress.at(-1)).toMatchObject({ kind: 'headers', done: true })
  })

  it('runs in the background and settles', async () => {
    const blocks = await grow(5)
    const { port } = await ourFullChain()
    const sync = runner(port, new FakePeers().serve('a', blocks), [])
    sync.inBackground()
    await sync.settled()
    expect(port.tip().height).toBe(5)
    const stop = new Error('stop')
    sync.inBackground()
    await expect(sync.settled({ signal: AbortSignal.abort(stop) })).rejects.toBe(stop)
    await sync.settled()
  })
})
