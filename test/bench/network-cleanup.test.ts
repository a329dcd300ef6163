/**
 * bench/network makes namespaces, links, qdiscs, firewall rules and processes as root; it
 * must leave none behind: interrupted mid-run (SIGINT, as Ctrl-C), and when a run died
 * without cleaning up (SIGKILL), the next run's sweep removes what that one made and
 * nothing of a run still alive. Needs root, iproute2, iptables and a C compiler: in CI it
 * must run; elsewhere without them it is skipped, saying why.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { namespacesOf, wanUnavailable } from '../../bench/network/wan.ts'
import { netnsAvailable } from '../support/netns.ts'
import { projectRoot } from '../support/system-node.ts'
import { until } from '../support/until.ts'

const inCi = process.env.CI === 'true'
const reason = wanUnavailable() ?? (netnsAvailable() ? undefined : 'cannot make network namespaces')
const PREFIX = 'pawct'
const BENCH = ['bench/network/index.ts', '--prefix', PREFIX]

function startBench(args: string[]): {
  child: ChildProcess
  stderr: () => string
  exited: Promise<number | null>
} {
  const child = spawn(process.execPath, [...BENCH, ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  child.stdout?.resume()
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, stderr: () => stderr, exited }
}

const pidsIn = (namespace: string): number[] =>
  execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' })
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe(`bench/network cleanup${reason !== undefined && !inCi ? ` (skipped: ${reason})` : ''}`, () => {
  it.runIf(inCi || reason === undefined)(
    'SIGINT mid-run removes every namespace the run made and ends every process in them',
    async () => {
      const bench = startBench(['--nodes', '3', '--rounds', '1', '--block-transfers', '40'])
      await until(bench.stderr, () => bench.stderr().includes('connected'), 45_000)
      const pid = bench.child.pid as number
      const made = namespacesOf(PREFIX).filter((ns) => ns.pid === pid)
      // Three nodes and the hub, each namespace with its process (a node, the delay program).
      expect(made.map((ns) => ns.name).sort()).toEqual(
        [0, 1, 2, 'hub'].map((n) => `${PREFIX}-${pid}-${n}`).sort(),
      )
      const processes = made.flatMap((ns) => pidsIn(ns.name))
      expect(processes.length).toBeGreaterThanOrEqual(4)

      bench.child.kill('SIGINT')
      expect(await bench.exited).toBe(130)
      expect(namespacesOf(PREFIX).filter((ns) => ns.pid === pid)).toEqual([])
      await until('the processes of the namespaces to end', () => processes.every((p) => !alive(p)), 5_000)
    },
    60_000,
  )

  it.runIf(inCi || reason === undefined)(
    'the sweep removes a dead run’s namespaces, with what runs in them, and keeps a live run’s',
    async () => {
      const gone = spawn('true')
      await new Promise((resolve) => gone.once('exit', resolve))
      const dead = `${PREFIX}-${gone.pid}-0`
      const live = `${PREFIX}-${process.pid}-0`
      let left: ChildProcess | undefined
      try {
        for (const name of [dead, live]) execFileSync('ip', ['netns', 'add', name])
        execFileSync('ip', ['-n', dead, 'link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1'])
        // What a killed run leaves running inside: it must end with its namespace.
        left = spawn('ip', ['netns', 'exec', dead, 'sleep', '60'], { stdio: 'ignore' })
        await until('the leftover process in its namespace', () => pidsIn(dead).length === 1, 5_000)
        const bench = startBench(['--sweep'])
        expect(await bench.exited).toBe(0)
        expect(bench.stderr()).toContain('removed 1 namespaces')
        const names = namespacesOf(PREFIX).map((ns) => ns.name)
        expect(names).not.toContain(dead)
        expect(names).toContain(live)
        await until(
          'the leftover process to end',
          () => left?.exitCode !== null || left?.signalCode !== null,
          5_000,
        )
      } finally {
        left?.kill('SIGKILL')
        for (const name of [dead, live]) {
          try {
            execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' })
          } catch {
            // Removed by the test.
          }
        }
      }
    },
    30_000,
  )
})
