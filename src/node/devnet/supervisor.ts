/**
 * The devnet's child processes: one real `paw-node start` per node, its stdout and stderr
 * appended to the node's log file, each in its own process group so that a Ctrl-C on the
 * terminal reaches only the devnet, which then stops the nodes itself, once each: a node
 * given a second signal while stopping exits at once without a clean shutdown.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { withNodeProcessEnv } from '../runtime-env.ts'

/** How long the nodes get to stop on SIGTERM before they are killed. */
export const STOP_GRACE_MS = 10_000

export interface ChildSpec {
  name: string
  logFile: string
  /** Arguments after the Node binary: the CLI entry, then `start` and its flags. */
  args: readonly string[]
}

export interface ChildExit {
  name: string
  pid: number | undefined
  code: number | null
  signal: NodeJS.Signals | null
  /** Whether the devnet asked it to stop (false: it died on its own). */
  expected: boolean
  /** Whether it needed SIGKILL after the grace period. */
  killed: boolean
}

interface Child {
  spec: ChildSpec
  process: ChildProcess
  exited: Promise<ChildExit>
  exit: ChildExit | undefined
  killed: boolean
}

export class DevnetSupervisor {
  readonly #children: Child[] = []
  #stopping = false
  readonly #onUnexpectedExit: (exit: ChildExit) => void

  /** `onUnexpectedExit` hears of a node that exits before stop() was called. */
  constructor(onUnexpectedExit: (exit: ChildExit) => void) {
    this.#onUnexpectedExit = onUnexpectedExit
  }

  /** Starts one node; the log file is appended to, so a kept root keeps earlier runs. */
  spawn(spec: ChildSpec): ChildProcess {
    const fd = openSync(spec.logFile, 'a')
    let child: ChildProcess
    try {
      child = spawn(process.execPath, [...spec.args], {
        stdio: ['ignore', fd, fd],
        detached: true,
        env: withNodeProcessEnv(withoutHomeEnv(process.env)),
      })
    } finally {
      // The child has its own copy of the descriptor.
      closeSync(fd)
    }
    const entry: Child = {
      spec,
      process: child,
      exit: undefined,
      killed: false,
      exited: Promise.resolve(undefined as never),
    }
    entry.exited = new Promise<ChildExit>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (entry.exit !== undefined) return
        entry.exit = {
          name: spec.name,
          pid: child.pid,
          code,
          signal,
          expected: this.#stopping,
          killed: entry.killed,
        }
        if (!this.#stopping) this.#onUnexpectedExit(entry.exit)
        resolve(entry.exit)
      }
      child.once('exit', done)
      // A spawn failure (no such binary) emits 'error' and perhaps no 'exit'.
      child.once('error', () => done(null, null))
    })
    this.#children.push(entry)
    return child
  }

  /** pids of the nodes still running. */
  running(): { name: string; pid: number }[] {
    return this.#children
      .filter((c) => c.exit === undefined && c.process.pid !== undefined)
      .map((c) => ({ name: c.spec.name, pid: c.process.pid as number }))
  }

  /** The exit of `name`, if it has exited. */
  exitOf(name: string): ChildExit | undefined {
    return this.#children.find((c) => c.spec.name === name)?.exit
  }

  get stopping(): boolean {
    return this.#stopping
  }

  /**
   * SIGTERM to every running node, SIGKILL to those still running after `graceMs`; resolves
   * with every node's exit once all have exited.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<ChildExit[]> {
    this.#stopping = true
    for (const child of this.#children) if (child.exit === undefined) child.process.kill('SIGTERM')
    const timer = setTimeout(() => this.kill(), graceMs)
    try {
      return await Promise.all(this.#children.map((c) => c.exited))
    } finally {
      clearTimeout(timer)
    }
  }

  /** SIGKILL to every node still running (the grace period is over, or a second Ctrl-C). */
  kill(): void {
    for (const child of this.#children) {
      if (child.exit !== undefined) continue
      if (child.process.kill('SIGKILL')) child.killed = true
    }
  }
}

/** $PAW_HOME is the operator's own node: every devnet node gets --home, never that. */
function withoutHomeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { PAW_HOME: _, ...rest } = env
  return rest
}

/** The last `lines` lines of a log file ('' if it cannot be read). */
export async function logTail(path: string, lines = 10, maxBytes = 16_384): Promise<string> {
  try {
    const file = await open(path, 'r')
    try {
      const { size } = await file.stat()
      const length = Math.min(size, maxBytes)
      const buffer = Buffer.alloc(length)
      await file.read(buffer, 0, length, size - length)
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n')
    } finally {
      await file.close()
    }
  } catch {
    return ''
  }
}
