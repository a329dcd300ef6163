/**
 * When `paw-node start` stops: on SIGINT or SIGTERM (004 §5.2 "Graceful Shutdown"), and when
 * the launcher that started it is gone.
 *
 * How an operator's stop reaches the node depends on how they started it:
 * - `npx paw-node start`: npm forwards SIGINT and SIGTERM to its child. The project's
 *   `.npmrc` sets `script-shell=bash`, whose `-c` runs a single command by exec, so that
 *   child is this process (dash, the default `sh` here, stays in between, dies of SIGTERM
 *   and swallows SIGINT, leaving the node running).
 * - Ctrl-C in a terminal signals the whole process group, so the node hears it from the
 *   terminal and once more from npm (or from bin/paw-node.js under an old Node) a few
 *   milliseconds later: that echo must not count as the operator's second Ctrl-C.
 * - If the launcher dies without forwarding (SIGKILL, or an `sh` left in between by an
 *   operator's own `script-shell`), this process is re-parented: a node started by npm or by
 *   bin/paw-node.js then stops as if sent SIGTERM, instead of running on unseen, holding
 *   its ports. A node started directly (systemd, nohup, a shell) has no launcher to watch.
 */
import type { Logger } from '../logging.ts'

/** A repeat of a signal within this long of the first is its echo, not a second request. */
export const SIGNAL_ECHO_MS = 1_000
/** How often the launcher's presence is checked. */
const PARENT_CHECK_MS = 1_000
/** Set by bin/paw-node.js on the node process it spawns under an old Node. */
export const LAUNCHER_ENV = 'PAW_NODE_LAUNCHER_PID'

export type StopReason = NodeJS.Signals | 'launcher-exited'

export interface StopSignals {
  /** Resolves with the first stop request. */
  readonly first: Promise<StopReason>
  dispose(): void
}

/** The PID of the launcher whose death should stop this node, if it was started by one. */
function launcherPid(env: NodeJS.ProcessEnv): number | undefined {
  const fromLauncher = Number(env[LAUNCHER_ENV])
  if (Number.isInteger(fromLauncher) && fromLauncher > 1) return fromLauncher
  // npm sets npm_lifecycle_event for `npx`/`npm exec` ("npx") and for scripts.
  if (env.npm_lifecycle_event !== undefined && process.ppid > 1) return process.ppid
  return undefined
}

/**
 * Counts stop requests from the moment it is called, so a signal during start-up is not
 * lost: the first resolves `first`; a later one, at least {@link SIGNAL_ECHO_MS} after it,
 * exits with `exitCode` at once (an operator pressing Ctrl-C twice wants out, whatever is
 * hanging).
 */
export function watchStopSignals(log: () => Logger, exitCode: number): StopSignals {
  let firstAt: number | undefined
  let resolveFirst: (reason: StopReason) => void = () => {}
  const first = new Promise<StopReason>((resolve) => {
    resolveFirst = resolve
  })
  const request = (reason: StopReason) => {
    const now = Date.now()
    if (firstAt === undefined) {
      firstAt = now
      return resolveFirst(reason)
    }
    if (now - firstAt < SIGNAL_ECHO_MS) return
    log().error('second signal while stopping: exiting without a clean shutdown', { signal: reason })
    process.exit(exitCode)
  }
  const onSignal = (signal: NodeJS.Signals) => request(signal)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const launcher = launcherPid(process.env)
  const parentCheck =
    launcher === undefined
      ? undefined
      : setInterval(() => {
          if (process.ppid === launcher || firstAt !== undefined) return
          log().warn('the launcher that started this node is gone: stopping', { launcherPid: launcher })
          request('launcher-exited')
        }, PARENT_CHECK_MS)
  parentCheck?.unref()

  return {
    first,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      if (parentCheck !== undefined) clearInterval(parentCheck)
    },
  }
}
