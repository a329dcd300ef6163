/**
 * Issue 9, faults: a node frozen with SIGSTOP for 60 s. The node is the real `paw-node
 * start`; its two peers run in this process with a 10 s ping interval and a 10 s read
 * timeout (004 §10.1 keep-alive; the defaults are 30 s and 30 s, which could let a 60 s
 * freeze end before the second ping times out). While it is frozen, peer A extends the
 * chain. Criteria:
 * - both peers drop the frozen node at the idle timeout: within ping interval + read
 *   timeout + one maintenance pass (5 s) + 5 s of slack, with "dropping unresponsive peer";
 * - neither bans it; after SIGCONT it reconnects to both within 15 s and reaches A's tip.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { PawNode } from '../../src/api/index.ts'
import { DEFAULT_MAINTENANCE_INTERVAL_MS } from '../../src/config/defaults.ts'
import { nextBlock, openTestFullChain, testAccounts, testChainParams } from '../support/chain-nodes.ts'
import { joinerStartFlags } from '../support/cli-joiner.ts'
import { adminGet, adminHeight, prepareHome, startCli, stopCli } from '../support/cli-process.ts'
import { tcpAddress, testLogger, trackedNodes, waitFor } from '../support/nodes.ts'

const FREEZE_MS = 60_000
const PING_INTERVAL_MS = 10_000
const READ_TIMEOUT_MS = 10_000
const DROP_WITHIN_MS = PING_INTERVAL_MS + READ_TIMEOUT_MS + DEFAULT_MAINTENANCE_INTERVAL_MS + 5_000
const REJOIN_WITHIN_MS = 15_000
const BLOCKS_BEFORE = 20
const BLOCKS_WHILE_FROZEN = 10

const nodes = trackedNodes()
const children: ChildProcess[] = []
let home = ''

afterAll(async () => {
  for (const child of children) {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  }
  if (home !== '') await rm(home, { recursive: true, force: true })
})

const connectedTo = (node: PawNode, peerId: string) =>
  node.peers().some((p) => p.peerId === peerId && p.state === 'connected')

describe('a node frozen with SIGSTOP for 60 s', () => {
  it('is dropped by its peers at the idle timeout and rejoins after SIGCONT', async () => {
    const params = testChainParams(testAccounts(1))
    const chainA = await openTestFullChain(params)
    for (let i = 0; i < BLOCKS_BEFORE; i++) await chainA.chain.addBlock(await nextBlock(chainA))
    const timeouts = { pingIntervalMs: PING_INTERVAL_MS, readIdleMs: READ_TIMEOUT_MS }
    const logs: Record<'a' | 'b', string[]> = { a: [], b: [] }
    const a = await nodes.node({
      chainId: params.chainId,
      nodeType: 'full',
      chain: chainA,
      timeouts,
      logger: testLogger(logs.a),
    })
    const b = await nodes.node({
      chainId: params.chainId,
      nodeType: 'full',
      chain: await openTestFullChain(params),
      timeouts,
      logger: testLogger(logs.b),
    })

    home = await mkdtemp(join(tmpdir(), 'paw-sigstop-'))
    const args = [
      'start',
      '--chain-id',
      params.chainId,
      ...joinerStartFlags(home, a),
      '--bootstrap',
      tcpAddress(b).toString(),
      '--min-outbound',
      '2',
    ]
    await prepareHome(home, args, params)

    const frozen = startCli(args)
    children.push(frozen.child)
    let peerId = ''
    await waitFor(
      'the node up, synced and connected to both peers',
      () => {
        void adminGet<{ peerId: string; tip: { height: number } }>(home, '/status').then((s) => {
          if (s !== undefined && s.tip.height === BLOCKS_BEFORE) peerId = s.peerId
        })
        return peerId !== '' && connectedTo(a, peerId) && connectedTo(b, peerId)
      },
      30_000,
    )

    frozen.child.kill('SIGSTOP')
    const stoppedAt = Date.now()
    const droppedAfter: Partial<Record<'a' | 'b', number>> = {}
    const watch = setInterval(() => {
      for (const [name, node] of [
        ['a', a],
        ['b', b],
      ] as const) {
        if (droppedAfter[name] === undefined && !connectedTo(node, peerId))
          droppedAfter[name] = Date.now() - stoppedAt
      }
    }, 100)
    try {
      for (let i = 0; i < BLOCKS_WHILE_FROZEN; i++) {
        await a.announceBlock(await nextBlock(chainA))
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
      await new Promise((resolve) => setTimeout(resolve, stoppedAt + FREEZE_MS - Date.now()))
    } finally {
      clearInterval(watch)
      frozen.child.kill('SIGCONT')
    }
    const resumedAt = Date.now()
    expect(droppedAfter.a, 'A dropped the frozen node').toBeDefined()
    expect(droppedAfter.b, 'B dropped the frozen node').toBeDefined()
    expect(droppedAfter.a).toBeLessThanOrEqual(DROP_WITHIN_MS)
    expect(droppedAfter.b).toBeLessThanOrEqual(DROP_WITHIN_MS)
    for (const lines of Object.values(logs))
      expect(lines.some((l) => l.includes('dropping unresponsive peer') && l.includes(peerId))).toBe(true)

    const tip = BLOCKS_BEFORE + BLOCKS_WHILE_FROZEN
    let height = 0
    await waitFor(
      'the resumed node reconnected to both peers and at the tip',
      () => {
        void adminHeight(home).then((h) => {
          height = h ?? height
        })
        return connectedTo(a, peerId) && connectedTo(b, peerId) && height === tip
      },
      REJOIN_WITHIN_MS,
    )
    const rejoinedAfter = Date.now() - resumedAt
    expect(a.bans()).toEqual([])
    expect(b.bans()).toEqual([])
    expect(frozen.child.exitCode).toBeNull()
    await stopCli(frozen.child, 'SIGTERM')
    expect(frozen.child.exitCode).toBe(0)
    console.log(
      `frozen ${FREEZE_MS / 1000} s: dropped by A after ${((droppedAfter.a ?? 0) / 1000).toFixed(1)} s, ` +
        `by B after ${((droppedAfter.b ?? 0) / 1000).toFixed(1)} s (bound ${DROP_WITHIN_MS / 1000} s); ` +
        `after SIGCONT reconnected to both and at height ${tip} in ${(rejoinedAfter / 1000).toFixed(1)} s`,
    )
  }, 150_000)
})
