/**
 * `paw-node devnet`: a local network of N real nodes in one command. Each node is a child
 * `paw-node start` with its own home under the devnet root and its own ports; the devnet
 * watches them through their admin APIs, shows a live view, and stops them all on Ctrl-C.
 * Nodes are separate processes (not N nodes in one) so that each one is exactly what an
 * operator runs, and one crashing leaves the others running.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { extname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  browserAddress,
  DEFAULT_BASE_PORT,
  type DevnetOptions,
  devnetSpecs,
  lastPort,
  MAX_NODES,
  startFlags,
} from '../../node/devnet/layout.ts'
import { checkPortsFree, PortInUseError } from '../../node/devnet/ports.ts'
import { type ChildExit, DevnetSupervisor, logTail, STOP_GRACE_MS } from '../../node/devnet/supervisor.ts'
import { initHome } from '../../node/home.ts'
import { AdminClient } from '../admin-client.ts'
import { EXIT_FAILURE, EXIT_OK, parseFlags, UsageError } from '../options.ts'
import type { StatusReply } from './admin-replies.ts'
import { DevnetObserver, type NodeView } from './devnet-observer.ts'
import { jsonLine, LiveTable, plainLines, tableLines } from './devnet-view.ts'

export const DEVNET_USAGE = `Usage: paw-node devnet [options]

Runs a local network: N nodes on 127.0.0.1, each a \`paw-node start\` child process with
its own home <root>/node<i> and its log in <root>/node<i>/node.log. Node 0 mines (with
--miners M, nodes 0..M-1 do); every other node keeps node 0 as a persistent peer and
bootstraps from the node before it. Once all are up it prints node 0's WebSockets address
(for a browser node) and every admin API address, then shows each node's height, peers,
mempool and block latency. Ctrl-C (or SIGTERM) stops every node and prints a summary.

Options:
  --nodes N          how many nodes, 1..${MAX_NODES} (default 4)
  --miners M         how many of them mine, 0..N (default 1)
  --root DIR         put the homes in DIR and keep them (default: a new temporary
                     directory, removed when the devnet stops cleanly)
  --base-port P      node i listens on TCP P+10i, WebSockets P+10i+1, admin API P+10i+2
                     (default ${DEFAULT_BASE_PORT})
  --chain-id ID      chain_id of every node (default paw-devnet)
  --no-view          no live table: one plain line per node every 5 s
  --json             one JSON line per second instead of a view
  -h, --help         show this help

Block latency is how long after the first node was seen at a height this node was seen
there. Every node's /status is read every 250 ms, so it comes in 250 ms steps: 0 means
in the same read as the first node (the miner, as a rule).

A node that exits on its own is reported (with its log's last lines) and the others keep
running. If the devnet itself is killed (SIGKILL), the nodes keep running: each runs in
its own process group, so that one Ctrl-C reaches only the devnet; their pids are printed
at start.

Exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 a port is in use, a node failed to start,
or every node exited, 2 usage error.
`

const DEVNET_OPTIONS = {
  nodes: { type: 'string' },
  miners: { type: 'string' },
  root: { type: 'string' },
  'base-port': { type: 'string' },
  'chain-id': { type: 'string' },
  'no-view': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** How long the nodes get to open their chains and admin APIs. */
const READY_TIMEOUT_MS = 60_000
const PLAIN_EVERY_MS = 5_000
const VIEW_EVERY_MS = 1_000

function intFlag(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback
  const value = /^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN
  if (!(value >= min && value <= max)) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`)
  }
  return value
}

/** The CLI entry this devnet itself runs from (dist/cli/run.js, or run.ts from source). */
function cliEntry(): string {
  const self = fileURLToPath(import.meta.url)
  return fileURLToPath(new URL(`../run${extname(self)}`, import.meta.url))
}

/**
 * Resolves on the first SIGINT/SIGTERM; later ones call `again` (kill the nodes now).
 * `SIGPIPE` is never delivered (Node ignores it): it stands for stdout closing under us (the
 * devnet piped into `head`), which stops the nodes as a Ctrl-C would.
 */
function watchSignals(again: () => void) {
  let count = 0
  let resolveFirst: (signal: NodeJS.Signals) => void = () => {}
  const first = new Promise<NodeJS.Signals>((resolve) => {
    resolveFirst = resolve
  })
  const onSignal = (signal: NodeJS.Signals) => {
    count += 1
    if (count === 1) resolveFirst(signal)
    else again()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // Every write after the first EPIPE fails too: only the first counts.
  let outputGone = false
  const onOutputError = () => {
    if (outputGone) return
    outputGone = true
    onSignal('SIGPIPE')
  }
  process.stdout.on('error', onOutputError)
  return {
    first,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.stdout.off('error', onOutputError)
    },
  }
}

function describeExit(exit: ChildExit): string {
  if (exit.killed) return `killed after ${STOP_GRACE_MS / 1000} s`
  if (exit.signal !== null) return `signal ${exit.signal}`
  return exit.code === null ? 'did not start' : `exit ${exit.code}`
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function devnet(args: readonly string[]): Promise<number> {
  const flags = parseFlags(args, DEVNET_OPTIONS)
  if (flags.help === true) {
    process.stdout.write(DEVNET_USAGE)
    return EXIT_OK
  }
  const nodes = intFlag('nodes', flags.nodes, 4, 1, MAX_NODES)
  const miners = intFlag('miners', flags.miners, 1, 0, nodes)
  const basePort = intFlag('base-port', flags['base-port'], DEFAULT_BASE_PORT, 1, 65_535)
  if (lastPort({ nodes, basePort }) > 65_535) {
    throw new UsageError(
      `--base-port ${basePort} leaves no room for ${nodes} nodes (the last needs port ${lastPort({ nodes, basePort })})`,
    )
  }
  const chainId = flags['chain-id'] ?? 'paw-devnet'
  const json = flags.json === true
  const live = !json && flags['no-view'] !== true && process.stdout.isTTY === true
  const out = (line: string) => {
    // Once stdout is gone (EPIPE), writing again would only raise more errors.
    if (process.stdout.writable) process.stdout.write(`${line}\n`)
  }
  const err = (line: string) => process.stderr.write(`${line}\n`)

  const keep = flags.root !== undefined
  const root = keep ? resolve(flags.root as string) : await mkdtemp(join(tmpdir(), 'paw-devnet-'))
  await mkdir(root, { recursive: true })
  const options: DevnetOptions = { root, nodes, miners, basePort, chainId }
  const specs = devnetSpecs(options)
  const nameWidth = Math.max(...specs.map((s) => s.name.length))

  const cleanUp = async (ok: boolean) => {
    if (keep) return
    if (ok) await rm(root, { recursive: true, force: true })
    else err(`paw-node devnet: homes and logs kept in ${root}`)
  }

  try {
    await checkPortsFree(specs)
  } catch (error) {
    if (!(error instanceof PortInUseError)) throw error
    err(`paw-node devnet: ${error.message}`)
    await cleanUp(true)
    return EXIT_FAILURE
  }

  // Homes first, by the code path `start` uses: every node's PeerId is known before any starts.
  const peerIds: string[] = []
  for (const spec of specs) peerIds.push((await initHome({ home: spec.home, chainId })).peerId.toString())

  const observer = new DevnetObserver(specs.map((s) => ({ name: s.name, type: s.type, admin: s.admin })))
  const failures: ChildExit[] = []
  let redraw = () => {}
  // Once no node is left there is nothing to watch: the devnet ends (exit 1) as if stopped.
  let allExited: () => void = () => {}
  const noneLeft = new Promise<'none left'>((resolve) => {
    allExited = () => resolve('none left')
  })
  const supervisor = new DevnetSupervisor((exit) => {
    failures.push(exit)
    if (failures.length === specs.length) allExited()
    observer.markExited(exit.name, describeExit(exit))
    const spec = specs.find((s) => s.name === exit.name)
    void logTail(spec?.logFile ?? '').then((tail) => {
      err(`paw-node devnet: ${exit.name} exited unexpectedly (${describeExit(exit)}); log ${spec?.logFile}`)
      if (tail !== '') err(tail.replace(/^/gm, `  ${exit.name} | `))
      redraw()
    })
  })
  const signals = watchSignals(() => {
    err('paw-node devnet: second signal: killing every node')
    supervisor.kill()
  })
  // The nodes run in their own process groups, so nothing else stops them if the devnet
  // dies of an error: kill them on the way out ('exit' handlers run even then).
  const killOnExit = () => supervisor.kill()
  process.once('exit', killOnExit)
  const entry = cliEntry()

  const stopAll = async (): Promise<ChildExit[]> => {
    observer.stop()
    const started = Date.now()
    const exits = await supervisor.stop()
    const views = new Map(observer.views().map((v) => [v.name, v]))
    if (json) {
      out(
        JSON.stringify({
          event: 'stopped',
          nodes: exits.map((e) => ({ ...e, height: views.get(e.name)?.height ?? null })),
        }),
      )
    } else {
      out(
        `stopped ${exits.length} node${exits.length === 1 ? '' : 's'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      )
      for (const exit of exits) {
        const height = views.get(exit.name)?.height
        out(
          `  ${exit.name.padEnd(nameWidth)}  height ${height ?? '-'}  ${describeExit(exit)}${exit.expected ? '' : ' (before the stop)'}`,
        )
      }
    }
    return exits
  }

  try {
    const pids: (number | undefined)[] = []
    for (const [index, spec] of specs.entries()) {
      const child = supervisor.spawn({
        name: spec.name,
        logFile: spec.logFile,
        args: [entry, 'start', ...startFlags(options, index, peerIds)],
      })
      pids.push(child.pid)
    }

    // Ready: every node's admin API answers as that node (not some other process on the port).
    const deadline = Date.now() + READY_TIMEOUT_MS
    const ready = new Set<string>()
    let signalled = false
    void signals.first.then(() => {
      signalled = true
    })
    while (ready.size < specs.length) {
      if (signalled) {
        await stopAll()
        await cleanUp(failures.length === 0)
        return EXIT_OK
      }
      const failed = failures[0]
      if (failed !== undefined || Date.now() > deadline) {
        // Let the exit report (with the log's last lines) come out first.
        await sleep(200)
        if (failed === undefined) {
          const waiting = specs.filter((s) => !ready.has(s.name)).map((s) => `${s.name} (log ${s.logFile})`)
          err(`paw-node devnet: not ready after ${READY_TIMEOUT_MS / 1000} s: ${waiting.join(', ')}`)
        } else err(`paw-node devnet: ${failed.name} did not start; stopping the others`)
        await stopAll()
        await cleanUp(false)
        return EXIT_FAILURE
      }
      await Promise.all(
        specs.map(async (spec, index) => {
          if (ready.has(spec.name)) return
          try {
            const reply = await new AdminClient(spec.admin).get<StatusReply>('/status')
            if (reply.peerId === peerIds[index]) ready.add(spec.name)
          } catch {}
        }),
      )
      if (ready.size < specs.length) await sleep(200)
    }

    const hub = specs[0]
    const browser = hub === undefined ? '' : browserAddress(peerIds[0] ?? '', hub)
    if (json) {
      out(
        JSON.stringify({
          event: 'ready',
          root,
          chainId,
          browser,
          nodes: specs.map((s, i) => ({
            name: s.name,
            type: s.type,
            pid: pids[i],
            peerId: peerIds[i],
            admin: s.admin,
            log: s.logFile,
          })),
        }),
      )
    } else {
      out(
        `paw devnet: ${nodes} node${nodes === 1 ? '' : 's'} on ${chainId} (${miners} mining), homes in ${root}`,
      )
      out(`browser address: ${browser}`)
      for (const [i, s] of specs.entries()) {
        out(
          `${s.name.padEnd(nameWidth)}  ${s.type.padEnd(5)}  pid ${pids[i]}  admin ${s.admin}  p2p /ip4/127.0.0.1/tcp/${s.tcpPort}/p2p/${peerIds[i]}  log ${s.logFile}`,
        )
      }
      if (!live) out('Ctrl-C stops all nodes')
    }

    observer.start()
    const table = new LiveTable(process.stdout)
    let timer: NodeJS.Timeout
    if (live) {
      out('')
      redraw = () => {
        table.release()
        draw()
      }
      const draw = () => table.draw(tableLines(observer.views()))
      // Messages written to stderr while the table is up go below it; then redraw under them.
      timer = setInterval(draw, VIEW_EVERY_MS)
    } else if (json) {
      timer = setInterval(() => out(jsonLine(observer.views())), VIEW_EVERY_MS)
    } else {
      const print = () => {
        for (const line of plainLines(observer.views())) out(line)
      }
      timer = setInterval(print, PLAIN_EVERY_MS)
    }
    const signal = await Promise.race([signals.first, noneLeft])
    clearInterval(timer)
    if (signal === 'none left') {
      // Let the last exit's report come out first.
      await sleep(200)
      err('paw-node devnet: every node has exited')
      await stopAll()
      await cleanUp(false)
      return EXIT_FAILURE
    }
    if (!json) out(`${signal}: stopping ${supervisor.running().length} nodes`)
    const exits = await stopAll()
    await cleanUp(failures.length === 0 && exits.every((e) => !e.killed))
    return EXIT_OK
  } catch (error) {
    supervisor.kill()
    await supervisor.stop(0).catch(() => [])
    throw error
  } finally {
    observer.stop()
    signals.dispose()
    process.off('exit', killOnExit)
  }
}

export type { NodeView }
