/**
 * Issue 8 item 3: `paw-node devnet --nodes 3` starts three real nodes that connect and agree
 * on a chain, and one Ctrl-C stops them all and exits 0 leaving no node process behind.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEntry } from '../support/cli-joiner.ts'
import { projectRoot } from '../support/system-node.ts'

let root = ''
let devnet: ChildProcess | undefined
const pids: number[] = []

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

beforeAll(async () => {
  // The devnet runs the built CLI (dist/), as its nodes do; rebuild so that it is this source.
  const build = spawnSync(
    process.execPath,
    [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    { cwd: projectRoot, encoding: 'utf8' },
  )
  if (build.status !== 0) console.warn(`tsc -p tsconfig.build.json: ${build.stdout}${build.stderr}`)
  root = await mkdtemp(join(tmpdir(), 'paw-devnet-test-'))
}, 120_000)

afterAll(async () => {
  devnet?.kill('SIGKILL')
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  if (root !== '') await rm(root, { recursive: true, force: true })
})

interface Status {
  tip: { height: number; hash: string }
  peers: { connected: number }
}

async function status(admin: string): Promise<Status | undefined> {
  try {
    const reply = await fetch(`http://${admin}/status`, { signal: AbortSignal.timeout(2_000) })
    return (await reply.json()) as Status
  } catch {
    return undefined
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('paw-node devnet', () => {
  it('runs 3 nodes that agree on a chain, and stops them all on SIGINT', async () => {
    const basePort = 36_000 + Math.floor(Math.random() * 1_000)
    const { PAW_HOME: _, ...env } = process.env
    devnet = spawn(
      process.execPath,
      [cliEntry, 'devnet', '--nodes', '3', '--no-view', '--root', root, '--base-port', String(basePort)],
      { cwd: projectRoot, env },
    )
    let stdout = ''
    let stderr = ''
    devnet.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    devnet.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const exited = new Promise<number | null>((resolve) => devnet?.once('exit', (code) => resolve(code)))

    // Ready: the browser address, then one line per node with its pid and admin address.
    const deadline = Date.now() + 30_000
    while (!/^node2 .*\n/m.test(stdout)) {
      if (Date.now() > deadline || devnet.exitCode !== null)
        throw new Error(`devnet not ready:\n${stdout}\n${stderr}`)
      await sleep(50)
    }
    expect(stdout).toMatch(
      new RegExp(`^browser address: /ip4/127\\.0\\.0\\.1/tcp/${basePort + 1}/ws/p2p/12D3KooW\\w+$`, 'm'),
    )
    const admins: string[] = []
    for (const match of stdout.matchAll(/^node\d\s+\w+\s+pid (\d+)\s+admin (\S+)/gm)) {
      pids.push(Number(match[1]))
      admins.push(match[2] as string)
    }
    expect(admins).toEqual([0, 1, 2].map((i) => `127.0.0.1:${basePort + 10 * i + 2}`))

    let last: (Status | undefined)[] = []
    const agreed = Date.now() + 60_000
    for (;;) {
      last = await Promise.all(admins.map(status))
      const hashes = new Set(last.map((s) => s?.tip.hash))
      if (
        last.every((s) => s !== undefined && s.tip.height >= 3 && s.peers.connected >= 1) &&
        hashes.size === 1
      )
        break
      if (Date.now() > agreed) throw new Error(`no agreement: ${JSON.stringify(last)}\n${stdout}\n${stderr}`)
      await sleep(250)
    }

    devnet.kill('SIGINT')
    const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)])
    expect(code, `${stdout}\n${stderr}`).toBe(0)
    expect(pids.filter(alive)).toEqual([])
    expect(stdout).toMatch(/^stopped 3 nodes in /m)
    expect(stdout.match(/^ {2}node\d {2}height \d+ {2}exit 0$/gm)).toHaveLength(3)
    console.log(stdout)
  }, 120_000)
})
