/**
 * Processes for the interop tests: real `paw-node start` processes on loopback (the built
 * CLI, dist/cli/run.js), and a foreign PAW peer (interop/go, interop/rust) that prints one
 * JSON line per event on stdout and takes JSON-line commands on stdin.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { adminGet, type CliProcess, startCli, stopCli } from '../support/cli-process.ts'
import { waitFor } from '../support/nodes.ts'

export interface PawProcess {
  home: string
  peerId: string
  tcp: string
  ws: string
  cli: CliProcess
  admin<T>(path: string): Promise<T | undefined>
}

export interface AdminPeer {
  peerId: string
  direction: string
  agent: string | null
  score: number
  protocols: Record<string, unknown>
}

const homes: string[] = []
const children: ChildProcess[] = []

/**
 * Starts `paw-node start` on paw-devnet in a fresh home: TCP and WebSockets on ephemeral
 * loopback ports, the admin API on an ephemeral port, no seeds. `extra` adds flags
 * (`--persistent-peers`, limits…).
 */
/**
 * `paw-node start` for an interop test: a devnet node of `home` on loopback, ephemeral ports,
 * no seeds; a miner capped (several processes share two cores, a capped miner still makes
 * devnet blocks); then `extra`.
 */
export function pawStartArgs(
  home: string,
  type: 'miner' | 'full',
  extra: readonly string[] = [],
  maxHashrate = 50_000,
): string[] {
  return [
    'start',
    '--home',
    home,
    '--chain-id',
    'paw-devnet',
    '--type',
    type,
    '--listen-host',
    '127.0.0.1',
    '--port',
    '0',
    '--ws-port',
    '0',
    '--admin-listen',
    '127.0.0.1:0',
    '--seeds',
    'none',
    ...(type === 'miner' ? ['--max-hashrate', String(maxHashrate)] : []),
    ...extra,
  ]
}

export async function startPaw(type: 'miner' | 'full', extra: readonly string[] = []): Promise<PawProcess> {
  const home = await mkdtemp(join(tmpdir(), 'paw-interop-'))
  homes.push(home)
  const cli = startCli(pawStartArgs(home, type, extra))
  children.push(cli.child)
  const addresses = (): string[] =>
    cli
      .stdout()
      .split('\n')
      .filter((line) => line.includes('/p2p/'))
  await waitFor(
    `paw-node listening (${home})`,
    () => addresses().length >= 2 || cli.child.exitCode !== null,
    60_000,
  )
  if (cli.child.exitCode !== null) throw new Error(`paw-node exited: ${cli.stderr()}`)
  const tcp = addresses().find((a) => !a.includes('/ws'))
  const ws = addresses().find((a) => a.includes('/ws'))
  if (tcp === undefined || ws === undefined) throw new Error(`no TCP or WS address: ${cli.stdout()}`)
  const paw: PawProcess = {
    home,
    tcp,
    ws,
    peerId: tcp.split('/p2p/')[1] as string,
    cli,
    admin: <T>(path: string) => adminGet<T>(home, path),
  }
  for (let i = 0; i < 100 && (await paw.admin('/status')) === undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return paw
}

/** The peers a node's admin API lists. */
export async function adminPeers(paw: PawProcess): Promise<AdminPeer[]> {
  return (await paw.admin<{ peers: AdminPeer[] }>('/peers'))?.peers ?? []
}

export interface PeerEvent {
  event: string
  ok?: boolean
  error?: string
  tag?: string
  [field: string]: unknown
}

export interface ForeignPeer {
  peerId: string
  addrs: string[]
  events: PeerEvent[]
  child: ChildProcess
  stderr(): string
  /** Sends a command and resolves with its result event (the event named after it). */
  request(cmd: Record<string, unknown>, timeoutMs?: number): Promise<PeerEvent>
  /** Resolves with the first event (since `from`) that `match` accepts. */
  waitEvent(
    what: string,
    match: (event: PeerEvent) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<PeerEvent>
}

let tags = 0

/** Starts a foreign peer binary and waits for its `listening` event. */
export async function startForeignPeer(binary: string, args: readonly string[]): Promise<ForeignPeer> {
  const child = spawn(binary, [...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  children.push(child)
  const events: PeerEvent[] = []
  let partial = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString()
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      if (line.trim() === '') continue
      try {
        events.push(JSON.parse(line) as PeerEvent)
      } catch {
        events.push({ event: 'unparsed', line })
      }
    }
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const waitEvent = async (
    what: string,
    match: (event: PeerEvent) => boolean,
    timeoutMs = 30_000,
    from = 0,
  ): Promise<PeerEvent> => {
    let found: PeerEvent | undefined
    await waitFor(
      `${what} (last events: ${JSON.stringify(events.slice(-3)).slice(0, 600)}; stderr: ${stderr.slice(-300)})`,
      () => {
        found = events.slice(from).find(match)
        return found !== undefined || child.exitCode !== null
      },
      timeoutMs,
    )
    if (found === undefined)
      throw new Error(`peer exited (${child.exitCode}) before ${what}: ${stderr.slice(-500)}`)
    return found
  }
  const listening = await waitEvent('listening', (e) => e.event === 'listening', 30_000)
  return {
    peerId: listening.peer as string,
    addrs: listening.addrs as string[],
    events,
    child,
    stderr: () => stderr,
    waitEvent,
    request: (cmd, timeoutMs = 60_000) => {
      const tag = `t${++tags}`
      child.stdin?.write(`${JSON.stringify({ ...cmd, tag })}\n`)
      return waitEvent(`${String(cmd.cmd)} answered`, (e) => e.tag === tag, timeoutMs)
    },
  }
}

/** Stops every process these helpers started and removes the homes. */
export async function stopEverything(): Promise<void> {
  await Promise.all(children.splice(0).map((child) => stopCli(child, 'SIGKILL')))
  await Promise.all(homes.splice(0).map((home) => rm(home, { recursive: true, force: true })))
}
