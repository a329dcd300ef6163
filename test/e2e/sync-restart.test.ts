/**
 * Issue 6: a syncing node killed with SIGKILL half-way and restarted continues from where it
 * was, without refetching what it stored. The joiner is the real `paw-node start` (LevelDB in
 * a temporary home, the chain's genesis in config/genesis.json); the peer holding the chain
 * runs in the test process.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { nextBlock, openTestFullChain, testAccounts, testChainParams } from '../support/chain-nodes.ts'
import { joinerStartFlags } from '../support/cli-joiner.ts'
import {
  adminHeight,
  type CliProcess,
  forgetAdminAddr,
  prepareHome,
  startCli,
  stopCli,
} from '../support/cli-process.ts'
import { trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()
const BLOCKS = 6_000
const children: ChildProcess[] = []
let home = ''

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  if (home !== '') await rm(home, { recursive: true, force: true })
})

function start(args: string[]): CliProcess {
  const run = startCli(['start', ...args])
  children.push(run.child)
  return run
}

describe('sync across a SIGKILL', () => {
  it('continues from the stored tip after a restart and fetches only the rest', async () => {
    const params = testChainParams(testAccounts(1))
    const source = await openTestFullChain(params)
    for (let i = 0; i < BLOCKS; i++) await source.chain.addBlock(await nextBlock(source))
    const holder = await nodes.node({ chainId: params.chainId, nodeType: 'full', chain: source })

    home = await mkdtemp(join(tmpdir(), 'paw-sync-restart-'))
    const args = ['--chain-id', params.chainId, ...joinerStartFlags(home, holder)]
    await prepareHome(home, ['start', ...args], params)

    const first = start(args)
    let seen = 0
    const deadline = Date.now() + 30_000
    while (seen < BLOCKS / 3) {
      if (Date.now() > deadline)
        throw new Error(`no progress (height ${seen}): ${first.stderr().slice(-3000)}`)
      seen = (await adminHeight(home)) ?? seen
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await stopCli(first.child, 'SIGKILL')
    expect(seen).toBeLessThan(BLOCKS)
    await forgetAdminAddr(home)

    const second = start(args)
    let final = 0
    await waitFor(
      'the restarted node at the peer tip',
      () => {
        void adminHeight(home).then((h) => {
          final = h ?? final
        })
        return final === BLOCKS
      },
      60_000,
    )
    await stopCli(second.child, 'SIGTERM')

    const log = second.stderr()
    const opened = Number(/chain opened .*height=(\d+)/.exec(log)?.[1])
    // Everything acknowledged before the kill was stored (and perhaps a little more).
    expect(opened).toBeGreaterThanOrEqual(seen)
    // Only the rest was fetched: the syncs after the restart added BLOCKS - opened blocks.
    const fetched = [...log.matchAll(/sync finished .*blocks=(\d+)/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    )
    expect(fetched).toBe(BLOCKS - opened)
    console.log(`killed at >= ${seen}, restarted at ${opened}, fetched ${fetched} more`)
  }, 150_000)
})
