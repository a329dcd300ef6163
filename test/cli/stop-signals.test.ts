/**
 * Stopping a node by the PID the operator has (issue 17, item 1). The README starts a node
 * with `npx paw-node start … &`, so the PID in `$!` is npm's: SIGTERM or SIGINT to it, or
 * Ctrl-C (SIGINT to the whole process group), must stop the node gracefully, exit 0 and
 * leave no process behind; if npm itself dies without passing the signal on, the node must
 * not run on. The same for bin/paw-node.js started by the machine's Node 20.
 * Runs the built CLI (dist/), which `npm test` builds first; npx is the machine's own.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { projectRoot, systemNode } from '../support/system-node.ts'
import { until } from '../support/until.ts'

interface Started {
  child: ChildProcess
  stderr(): string
  stdout(): string
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-stop-'))
})

afterEach(async () => {
  for (const pid of await processesMentioning(dir)) process.kill(pid, 'SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

/** PIDs of live processes whose command line mentions `text` (the test's own home). */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    const state = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    // A zombie has released everything; only its parent's wait is missing.
    if (cmdline.includes(text) && !/^\d+ \(.*\) Z /.test(state)) pids.push(Number(entry))
  }
  return pids
}

function startArgs(home: string): string[] {
  return ['start', '--home', home, '--type', 'full', '--listen-host', '127.0.0.1', '--port', '0'].concat([
    '--ws-port',
    'off',
    '--admin-listen',
    'off',
  ])
}

/** `command args…` as its own process group, as a shell's background job or terminal job is. */
function launch(command: string, args: string[]): Started {
  const { PAW_HOME: _, npm_lifecycle_event: __, ...env } = process.env
  const child = spawn(command, args, {
    cwd: projectRoot,
    env: { ...env, HOME: dir, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  let stdout = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return { child, stderr: () => stderr, stdout: () => stdout, exit }
}

async function listening(node: Started): Promise<void> {
  await until(
    () => `never listened:\n${node.stderr()}`,
    () => /\/p2p\/12D3KooW/.test(node.stdout()),
    60_000,
  )
}

/** Resolves once no process of this test's home is left, or fails naming what is. */
async function nothingLeft(timeoutMs: number): Promise<void> {
  const home = join(dir, 'home')
  await until(
    () => `processes still running for ${home}`,
    async () => (await processesMentioning(home)).length === 0,
    timeoutMs,
  )
}

describe('stopping `npx paw-node start` by the PID the operator has', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to npx: graceful stop, exit 0, nothing left',
    async (signal) => {
      const node = launch('npx', ['paw-node', ...startArgs(join(dir, 'home'))])
      await listening(node)
      node.child.kill(signal)
      expect(await node.exit).toEqual({ code: 0, signal: null })
      expect(node.stderr()).toContain(`shutting down reason=${signal}`)
      expect(node.stderr()).toContain('node stopped')
      await nothingLeft(5_000)
    },
  )

  it('Ctrl-C (SIGINT to the process group): one graceful stop, not two signals, exit 0', async () => {
    const node = launch('npx', ['paw-node', ...startArgs(join(dir, 'home'))])
    await listening(node)
    process.kill(-(node.child.pid as number), 'SIGINT')
    expect(await node.exit).toEqual({ code: 0, signal: null })
    expect(node.stderr()).toContain('node stopped')
    expect(node.stderr()).not.toContain('second signal')
    await nothingLeft(5_000)
  })

  it('npx killed outright (SIGKILL): the node notices its launcher is gone and stops', async () => {
    const node = launch('npx', ['paw-node', ...startArgs(join(dir, 'home'))])
    await listening(node)
    node.child.kill('SIGKILL')
    await node.exit
    await nothingLeft(10_000)
  })
})

describe('stopping bin/paw-node.js started by the machine Node 20', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s to the launcher: exit 0, nothing left', async (signal) => {
    const node = launch(systemNode(), [
      join(projectRoot, 'bin', 'paw-node.js'),
      ...startArgs(join(dir, 'home')),
    ])
    await listening(node)
    node.child.kill(signal)
    expect(await node.exit).toEqual({ code: 0, signal: null })
    expect(node.stderr()).toContain('node stopped')
    await nothingLeft(5_000)
  })

  it('Ctrl-C to the group: the repeat from the launcher is not a second Ctrl-C', async () => {
    const node = launch(systemNode(), [
      join(projectRoot, 'bin', 'paw-node.js'),
      ...startArgs(join(dir, 'home')),
    ])
    await listening(node)
    process.kill(-(node.child.pid as number), 'SIGINT')
    expect(await node.exit).toEqual({ code: 0, signal: null })
    expect(node.stderr()).not.toContain('second signal')
    await nothingLeft(5_000)
  })
})
