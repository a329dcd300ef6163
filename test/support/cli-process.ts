/**
 * The real `paw-node start` in a child process, for tests that signal it (SIGKILL, SIGSTOP)
 * or read its log: run by this Node (the project's, >= 22) on the built CLI entry directly,
 * not through bin/paw-node.js, so that a signal hits the process that holds the store.
 * `npm test` builds dist/ before Vitest runs.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { paramsToJson } from '../../src/chain/params.ts'
import type { ChainParams } from '../../src/chain/types.ts'
import { withNodeProcessEnv } from '../../src/node/runtime-env.ts'
import { cliEntry } from './cli-joiner.ts'
import { waitFor } from './nodes.ts'
import { projectRoot } from './system-node.ts'

export interface CliProcess {
  child: ChildProcess
  /** Everything the node wrote to stderr so far (its log). */
  stderr(): string
  /** Everything it wrote to stdout so far (a command's result). */
  stdout(): string
  /** Resolves with the exit code once it has exited (null if killed by a signal). */
  exited: Promise<number | null>
}

/**
 * The environment without PAW_HOME, so that only --home decides where the node lives, and
 * with what the launcher gives the node's process (src/node/runtime-env.ts).
 */
export function cliEnv(): NodeJS.ProcessEnv {
  const { PAW_HOME: _, ...rest } = process.env
  return withNodeProcessEnv(rest)
}

/**
 * Starts `paw-node <args>`; `wrapper` runs it under another command (e.g. `ip netns exec
 * <ns>`). The caller kills it (killAll in afterAll).
 */
export function startCli(args: readonly string[], wrapper: readonly string[] = []): CliProcess {
  const [command, ...rest] = [...wrapper, process.execPath, cliEntry, ...args]
  const child = spawn(command as string, rest, { cwd: projectRoot, env: cliEnv() })
  let stderr = ''
  let stdout = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  return { child, stderr: () => stderr, stdout: () => stdout, exited }
}

export interface CliResult {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs one CLI command (`ban`, `peers`, `dial`…) to its end, as an operator types it; killed after 30 s. */
export async function runCli(args: readonly string[]): Promise<CliResult> {
  const run = startCli(args)
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000)
  const status = await run.exited
  clearTimeout(timer)
  return { status, stdout: run.stdout(), stderr: run.stderr() }
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

/** Sends `signal` (if it still runs) and resolves once the child has exited. */
export async function stopCli(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (hasExited(child)) return
  const closed = new Promise((resolve) => child.once('close', resolve))
  child.kill(signal)
  await closed
}

/** `<home>/data/admin.addr`, written by a started node (removed on a clean stop only). */
export function adminAddrFile(home: string): string {
  return join(home, 'data', 'admin.addr')
}

/** Forgets the admin address a killed node left behind, so the next start's is read. */
export function forgetAdminAddr(home: string): Promise<void> {
  return rm(adminAddrFile(home), { force: true })
}

/** GET `path` from the admin API of the node in `home`; undefined while it is not up. */
export async function adminGet<T>(home: string, path: string): Promise<T | undefined> {
  try {
    const address = (await readFile(adminAddrFile(home), 'utf8')).trim()
    const reply = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(2_000) })
    if (!reply.ok) return undefined
    return (await reply.json()) as T
  } catch {
    return undefined
  }
}

/** The height the node in `home` reports, or undefined while its admin API is not up. */
export async function adminHeight(home: string): Promise<number | undefined> {
  return (await adminGet<{ tip: { height: number } }>(home, '/status'))?.tip.height
}

/** The heights every `chain opened … height=N` line of a log reports, in order. */
export function openedHeights(log: string): number[] {
  return [...log.matchAll(/chain opened .*height=(\d+)/g)].map((m) => Number(m[1]))
}

/**
 * Makes `home` ready for `paw-node start <startArgs>` on a test chain: the chain's definition
 * goes into config/genesis.json first (so the start keeps it rather than writing a new chain
 * of its own), then a first start initialises the rest of the home (config.toml, node key)
 * and is killed.
 */
export async function prepareHome(
  home: string,
  startArgs: readonly string[],
  params: ChainParams,
): Promise<void> {
  await mkdir(join(home, 'config'), { recursive: true, mode: 0o700 })
  await writeFile(join(home, 'config', 'genesis.json'), JSON.stringify(paramsToJson(params), null, 2))
  const probe = startCli(startArgs)
  try {
    await waitFor(
      'the home initialised',
      () => probe.stderr().includes('not initialised') || probe.stderr().includes('starting'),
      60_000,
    )
  } finally {
    await stopCli(probe.child, 'SIGKILL')
  }
  await forgetAdminAddr(home)
}
