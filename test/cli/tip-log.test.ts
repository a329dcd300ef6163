/**
 * One INFO line per new tip (issue 17, item 8), as an operator reads the log: a miner logs
 * each block it mined (`mined block`); a full node following it by gossip logs
 * each as `new tip height=… hash=… txs=… bytes=… from=<the miner's peer ID>`; a node that
 * joins late and syncs many blocks summarises them (`sync finished`) instead of a line each.
 * Runs the built CLI (dist/), which `npm test` builds first.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEntry, loopbackStartFlags } from '../support/cli-joiner.ts'
import { adminHeight, type CliProcess, cliEnv, startCli, stopCli } from '../support/cli-process.ts'
import { projectRoot } from '../support/system-node.ts'
import { until } from '../support/until.ts'

let dir: string
const running: CliProcess[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-tip-log-'))
})

afterAll(async () => {
  for (const node of running) await stopCli(node.child, 'SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

function peerIdOf(home: string): string {
  const shown = spawnSync(process.execPath, [cliEntry, 'show-node-id', '--home', home], {
    cwd: projectRoot,
    env: cliEnv(),
    encoding: 'utf8',
  })
  return shown.stdout.split('\n')[0] ?? ''
}

/** Every `new tip` line of a log, parsed. */
function tipLines(log: string) {
  return [...log.matchAll(/ INFO {2}new tip(?: \(reorg\))? (.*)$/gm)].map((match) => {
    const fields = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] as string, m[2] as string]),
    )
    return fields
  })
}

describe('the log line per new tip', () => {
  it('miner: mined block; gossip follower: one line per block naming the miner; late joiner: a sync summary', async () => {
    const minerHome = join(dir, 'miner')
    const miner = startCli(['start', ...loopbackStartFlags(minerHome), '--type', 'miner'])
    running.push(miner)
    await until(
      () => miner.stderr(),
      async () => /\/tcp\/\d+\/p2p\//.test(miner.stdout()),
      60_000,
    )
    const minerAddress =
      miner
        .stdout()
        .split('\n')
        .find((line) => line.includes('/tcp/')) ?? ''
    const minerId = peerIdOf(minerHome)

    const followerHome = join(dir, 'follower')
    const follower = startCli([
      'start',
      ...loopbackStartFlags(followerHome),
      '--persistent-peers',
      minerAddress,
    ])
    running.push(follower)
    await until(
      () => follower.stderr(),
      async () => tipLines(follower.stderr()).filter((t) => t.from === minerId).length >= 5,
      90_000,
    )

    // The miner's line per block is its own `mined block` (hash shortened to 8…4 digits).
    const mined = [
      ...miner.stderr().matchAll(/INFO {2}mined block .*height=(\d+) hash=([0-9a-f]{8})…([0-9a-f]{4})/g),
    ].map((m) => ({ height: m[1], head: m[2] as string, tail: m[3] as string }))
    expect(mined.length).toBeGreaterThanOrEqual(5)
    // The follower: the same blocks, one line each, naming the miner, heights in order.
    const followed = tipLines(follower.stderr()).filter((t) => t.from === minerId)
    const heights = followed.map((t) => Number(t.height))
    expect(heights).toEqual([...heights].sort((a, b) => a - b))
    expect(new Set(heights).size).toBe(heights.length)
    for (const tip of followed) {
      expect(tip.hash).toMatch(/^[0-9a-f]{64}$/)
      expect(Number(tip.txs)).toBeGreaterThanOrEqual(1)
      const same = mined.find((m) => m.height === tip.height)
      if (same !== undefined)
        expect(tip.hash?.startsWith(same.head) && tip.hash.endsWith(same.tail)).toBe(true)
      expect(Number(tip.bytes)).toBeGreaterThan(152)
    }

    // A node joining later syncs what it lacks: one summary, not a line per block.
    await until(
      () => miner.stderr(),
      async () => ((await adminHeight(minerHome)) ?? 0) >= 40,
      120_000,
    )
    const joinerHome = join(dir, 'joiner')
    const joiner = startCli(['start', ...loopbackStartFlags(joinerHome), '--persistent-peers', minerAddress])
    running.push(joiner)
    await until(
      () => joiner.stderr(),
      async () => /sync finished .*blocks=(\d+)/.test(joiner.stderr()),
      60_000,
    )
    const synced = Number(/sync finished .*blocks=(\d+)/.exec(joiner.stderr())?.[1])
    expect(synced).toBeGreaterThanOrEqual(30)
    expect(joiner.stderr()).toMatch(/sync finished .*height=\d+ hash=[0-9a-f]{64} blocks=\d+/)
    const beforeFinish = joiner.stderr().slice(0, joiner.stderr().indexOf('sync finished'))
    expect(tipLines(beforeFinish).length).toBeLessThan(synced / 4)
  }, 240_000)
})
