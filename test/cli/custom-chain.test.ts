/**
 * A custom chain from the CLI alone (issue 17, item 7): `init --chain-id my-chain` writes
 * config/genesis.json funding the node's key, so `start` runs the new chain and mines it; a
 * second node joins with `init --genesis <that file>` and syncs; a definition of another
 * chain is refused at `init`, naming both. Runs the built CLI (dist/), which `npm test` builds.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEntry, loopbackStartFlags } from '../support/cli-joiner.ts'
import { adminGet, adminHeight, type CliProcess, cliEnv, startCli, stopCli } from '../support/cli-process.ts'
import { projectRoot } from '../support/system-node.ts'
import { until } from '../support/until.ts'

let dir: string
const running: CliProcess[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-custom-chain-'))
})

afterAll(async () => {
  for (const node of running) await stopCli(node.child, 'SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

function cli(args: string[]) {
  return spawnSync(process.execPath, [cliEntry, ...args], {
    cwd: projectRoot,
    env: cliEnv(),
    encoding: 'utf8',
    timeout: 60_000,
  })
}

describe('init --chain-id my-chain, then start', () => {
  it('writes a genesis funding the node key; start mines it; a second node joins with --genesis and syncs', async () => {
    const first = join(dir, 'first')
    const init = cli(['init', '--home', first, '--chain-id', 'my-chain'])
    expect(init.status, init.stderr).toBe(0)
    expect(init.stderr).toMatch(
      /created .*genesis\.json: a new chain my-chain \(genesis [0-9a-f]{64}\) funding this node's key/,
    )

    // The allocation is the node key's public key, whose first 20 bytes are the legacy node ID.
    const nodeId = cli(['show-node-id', '--home', first]).stdout.split('\n')[1]?.trim() ?? ''
    expect(nodeId).toMatch(/^[0-9a-f]{40}$/)
    const genesisFile = join(first, 'config', 'genesis.json')
    const genesis = JSON.parse(await readFile(genesisFile, 'utf8'))
    expect(genesis.chainId).toBe('my-chain')
    expect(genesis.allocations).toHaveLength(1)
    expect(genesis.allocations[0].address.startsWith(nodeId)).toBe(true)
    expect(BigInt(genesis.allocations[0].amount)).toBe(1_000_000n * 100_000_000n)

    const miner = startCli(['start', ...loopbackStartFlags(first), '--type', 'miner'])
    running.push(miner)
    await until(
      () => miner.stderr(),
      async () => ((await adminHeight(first)) ?? 0) >= 3,
      60_000,
    )
    const status = await adminGet<{ chainId: string }>(first, '/status')
    expect(status?.chainId).toBe('my-chain')
    const address =
      miner
        .stdout()
        .split('\n')
        .find((line) => line.includes('/tcp/')) ?? ''
    expect(address).toMatch(/\/p2p\/12D3KooW/)

    // Running init again keeps the chain as it is.
    const again = cli(['init', '--home', first, '--chain-id', 'my-chain'])
    expect(again.status).toBe(0)
    expect(again.stderr).toContain('kept the existing')
    expect(JSON.parse(await readFile(genesisFile, 'utf8'))).toEqual(genesis)

    const second = join(dir, 'second')
    const join2 = cli(['init', '--home', second, '--chain-id', 'my-chain', '--genesis', genesisFile])
    expect(join2.status, join2.stderr).toBe(0)
    expect(join2.stderr).toContain('from the given file: chain my-chain')
    const joiner = startCli(['start', ...loopbackStartFlags(second), '--persistent-peers', address])
    running.push(joiner)
    await until(
      () => joiner.stderr(),
      async () => ((await adminHeight(second)) ?? 0) >= 3,
      60_000,
    )
  })

  it('refuses at init a --genesis that defines another chain, naming both', () => {
    const source = join(dir, 'source')
    expect(cli(['init', '--home', source, '--chain-id', 'chain-a']).status).toBe(0)
    const result = cli([
      'init',
      '--home',
      join(dir, 'other'),
      '--chain-id',
      'chain-b',
      '--genesis',
      join(source, 'config', 'genesis.json'),
    ])
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/defines chain "chain-a", not "chain-b"/)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('start on a chain with no genesis.json says how to get one', () => {
    const home = join(dir, 'bare')
    expect(cli(['init', '--home', home]).status).toBe(0)
    const result = cli(['start', ...loopbackStartFlags(home), '--chain-id', 'nowhere'])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('paw-node init --home')
    expect(result.stderr).toContain('--genesis FILE')
  })
})
