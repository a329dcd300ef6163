/**
 * An emulated wide-area network for bench/network: one Linux network namespace per node
 * and one hub namespace that routes between them, each node on its own veth link.
 *
 *   node i (namespace <run>-i)                 hub (namespace <run>-hub)
 *   lo 127.0.0.1: the node listens here        ip_forward=1
 *   eth0 10.90.<i+1>.2/24 ───── veth ───────── n<i> 10.90.<i+1>.1/24
 *     egress: tbf <rate> (the uplink)            forward: from n<i> → NFQUEUE i → paw-delay
 *     prerouting: DNAT 10.90.<i+1>.2 → 127.0.0.1
 *
 * A packet from node A to node B is serialised once at A's uplink rate and delayed once
 * (`delay ± jitter`, in the hub, by delay.c: this kernel has no netem), so a hop costs one
 * one-way delay plus serialisation, and the round trip two delays. The nodes of
 * test/support/node-process-child.ts listen on 127.0.0.1; the DNAT (with route_localnet)
 * makes them reachable at their link address without changing them.
 *
 * Every name starts with `<prefix>-<pid of the run>-`: a run removes only what it made,
 * and sweep() removes what a run that died left (its pid no longer alive), never another
 * live run's. Interfaces are made inside the namespaces, none in the caller's, so removing
 * a namespace removes its links and their qdiscs.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface WanOptions {
  /** Namespace name prefix; the run's pid follows it. */
  prefix: string
  nodes: number
  /** One-way delay per hop, ms, and its uniform jitter (±), ms. */
  delayMs: number
  jitterMs: number
  /** Each node's uplink, Mbit/s (10^6 bit/s). */
  rateMbit: number
  seed: number
}

/** What the delay program reports (delay.c). */
export interface DelayStats {
  packets: number
  mostQueued: number
  /** How late verdicts were against their release time, µs. */
  lateUs: { p50: number; p99: number; max: number }
}

const DELAY_SOURCE = fileURLToPath(new URL('./delay.c', import.meta.url))
const TOOLS = ['ip', 'tc', 'iptables', 'cc', 'chrt'] as const

function run(command: string, args: readonly string[], input?: string): string {
  return execFileSync(command, args, {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** Why this machine cannot run the network (not root, a tool missing), or undefined. */
export function wanUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, tc, iptables)'
  for (const tool of TOOLS) {
    try {
      run('sh', ['-c', `command -v ${tool}`])
    } catch {
      return `needs ${tool} (Debian: ${tool === 'iptables' ? 'iptables' : tool === 'cc' ? 'gcc' : tool === 'chrt' ? 'util-linux' : 'iproute2'})`
    }
  }
  return undefined
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Kills what still runs inside `namespace`, then removes it. Never throws. */
function removeNamespace(namespace: string): void {
  try {
    const pids = run('ip', ['netns', 'pids', namespace]).split(/\s+/).filter(Boolean)
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // Gone already.
      }
    }
  } catch {
    // No such namespace.
  }
  try {
    run('ip', ['netns', 'del', namespace])
  } catch {
    // Already gone.
  }
}

/** The namespaces `<prefix>-<pid>-…` that exist now, with their run's pid. */
export function namespacesOf(prefix: string): Array<{ name: string; pid: number }> {
  const pattern = new RegExp(`^${prefix.replace(/[^a-z0-9]/gi, '\\$&')}-(\\d+)-`)
  return run('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] as string)
    .flatMap((name) => {
      const match = pattern.exec(name)
      return match === null ? [] : [{ name, pid: Number(match[1]) }]
    })
}

/** Removes the namespaces of runs under `prefix` that are no longer alive; their names. */
export function sweep(prefix: string): string[] {
  const dead = namespacesOf(prefix).filter((ns) => ns.pid !== process.pid && !alive(ns.pid))
  for (const ns of dead) removeNamespace(ns.name)
  return dead.map((ns) => ns.name)
}

export class WanNetwork {
  readonly options: WanOptions
  readonly run: string
  readonly hub: string
  readonly #made: string[] = []
  #delayer: ChildProcess | undefined
  #delayerLines: string[] = []
  #delayerWaiters: Array<(line: string) => void> = []
  #dir: string | undefined

  constructor(options: WanOptions) {
    if (options.nodes > 250) throw new RangeError('at most 250 nodes (one /24 each under 10.90/16)')
    this.options = options
    this.run = `${options.prefix}-${process.pid}`
    this.hub = `${this.run}-hub`
  }

  namespace(index: number): string {
    return `${this.run}-${index}`
  }

  /** The address node `index` is reached at from the others. */
  host(index: number): string {
    return `10.90.${index + 1}.2`
  }

  /** A listen multiaddr of a node in namespace `index` (127.0.0.1) as the others dial it. */
  reachable(index: number, multiaddr: string): string {
    return multiaddr.replace('/ip4/127.0.0.1/', `/ip4/${this.host(index)}/`)
  }

  /** Makes the namespaces, links, qdiscs and rules, and starts the delay program. */
  async create(): Promise<void> {
    const { nodes, rateMbit } = this.options
    this.#dir = mkdtempSync(join(tmpdir(), 'paw-network-'))
    this.#namespace(this.hub)
    run('ip', ['netns', 'exec', this.hub, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])
    const rules = ['*filter', ':FORWARD ACCEPT [0:0]']
    for (let i = 0; i < nodes; i++) {
      const ns = this.namespace(i)
      const link = `n${i}`
      this.#namespace(ns)
      run('ip', ['-n', this.hub, 'link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
      run('ip', ['-n', this.hub, 'addr', 'add', `10.90.${i + 1}.1/24`, 'dev', link])
      run('ip', ['-n', this.hub, 'link', 'set', link, 'up'])
      run('ip', ['-n', ns, 'addr', 'add', `${this.host(i)}/24`, 'dev', 'eth0'])
      run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
      run('ip', ['-n', ns, 'route', 'add', 'default', 'via', `10.90.${i + 1}.1`])
      // The uplink: a token bucket at the rate, bursts of 64 KiB (5 ms at 100 Mbit/s),
      // queueing up to 100 ms before dropping (TCP small queues keep a local sender's
      // backlog well under that).
      run('tc', [
        '-n',
        ns,
        'qdisc',
        'add',
        'dev',
        'eth0',
        'root',
        'tbf',
        'rate',
        `${rateMbit}mbit`,
        'burst',
        '64kb',
        'latency',
        '100ms',
      ])
      run('ip', [
        'netns',
        'exec',
        ns,
        'sysctl',
        '-q',
        '-w',
        'net.ipv4.conf.all.route_localnet=1',
        'net.ipv4.conf.eth0.route_localnet=1',
      ])
      run(
        'ip',
        ['netns', 'exec', ns, 'iptables-restore'],
        `*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -d ${this.host(i)}/32 -p tcp -j DNAT --to-destination 127.0.0.1\nCOMMIT\n`,
      )
      rules.push(`-A FORWARD -i ${link} -j NFQUEUE --queue-num ${i}`)
    }
    rules.push('COMMIT', '')
    await this.#startDelayer()
    // Queued packets wait for the delay program; without it they would be dropped, so the
    // rules come after it listens.
    run('ip', ['netns', 'exec', this.hub, 'iptables-restore'], rules.join('\n'))
  }

  #namespace(name: string): void {
    run('ip', ['netns', 'add', name])
    this.#made.push(name)
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
  }

  async #startDelayer(): Promise<void> {
    const { nodes, delayMs, jitterMs, seed } = this.options
    const binary = join(this.#dir as string, 'paw-delay')
    run('cc', ['-O2', '-o', binary, DELAY_SOURCE])
    // Real-time priority: a verdict that waits for a busy core would add delay that the
    // emulation did not ask for (the report shows how late verdicts were).
    const args = [
      'netns',
      'exec',
      this.hub,
      'chrt',
      '-f',
      '50',
      binary,
      `${nodes}`,
      `${Math.round(delayMs * 1000)}`,
      `${Math.round(jitterMs * 1000)}`,
      `${seed}`,
    ]
    const child = spawn('ip', args, { stdio: ['pipe', 'pipe', 'inherit'] })
    this.#delayer = child
    let buffered = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
        const line = buffered.slice(0, at)
        buffered = buffered.slice(at + 1)
        const waiter = this.#delayerWaiters.shift()
        if (waiter === undefined) this.#delayerLines.push(line)
        else waiter(line)
      }
    })
    const ready = await this.#nextLine(5_000)
    if (ready !== 'ready') throw new Error(`paw-delay did not start: ${ready}`)
  }

  #nextLine(timeoutMs: number): Promise<string> {
    const queued = this.#delayerLines.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('paw-delay did not answer')), timeoutMs)
      this.#delayerWaiters.push((line) => {
        clearTimeout(timer)
        resolve(line)
      })
    })
  }

  /** The delay program's figures so far. */
  async delayStats(): Promise<DelayStats> {
    this.#delayer?.stdin?.write('stats\n')
    return JSON.parse(await this.#nextLine(5_000)) as DelayStats
  }

  /** Bytes each node has sent on its link so far (its hub end's receive counter). */
  sentBytes(): number[] {
    const links = JSON.parse(run('ip', ['-n', this.hub, '-s', '-j', 'link', 'show'])) as Array<{
      ifname: string
      stats64: { rx: { bytes: number } }
    }>
    const sent = new Array<number>(this.options.nodes).fill(0)
    for (const link of links) {
      const match = /^n(\d+)$/.exec(link.ifname)
      if (match !== null) sent[Number(match[1])] = link.stats64.rx.bytes
    }
    return sent
  }

  /** Packets the hub's queues dropped (full queue, or no verdict program): kernel counters. */
  queueDrops(): number {
    const text = run('ip', ['netns', 'exec', this.hub, 'cat', '/proc/net/netfilter/nfnetlink_queue'])
    // Columns: queue, portid, waiting, copy mode, copy range, queue dropped, user dropped, id, 1.
    return text
      .trim()
      .split('\n')
      .filter(Boolean)
      .reduce((sum, line) => {
        const cols = line.trim().split(/\s+/).map(Number)
        return sum + (cols[5] ?? 0) + (cols[6] ?? 0)
      }, 0)
  }

  /**
   * A script for node-process.ts's fork: it is given `[node flags…] <child script> <name>`
   * and runs node inside the namespace named `<name>`; with `logDir`, the node's stderr
   * (its log) goes to `<logDir>/<name>.log` instead of the run's, one file per node.
   */
  launcher(logDir?: string): string {
    const path = join(this.#dir as string, 'in-namespace.sh')
    const log = logDir === undefined ? '' : ` 2>>'${logDir.replaceAll("'", "'\\''")}'/"$name.log"`
    writeFileSync(
      path,
      `#!/bin/sh\nfor name; do :; done\nexec ip netns exec "$name" "$PAW_NETWORK_NODE" "$@"${log}\n`,
      { mode: 0o755 },
    )
    return path
  }

  /** Stops the delay program, removes every namespace this run made. Synchronous, idempotent. */
  destroy(): void {
    this.#delayer?.kill('SIGKILL')
    this.#delayer = undefined
    for (const name of this.#made.splice(0).reverse()) removeNamespace(name)
    // A namespace made by a half-finished create() but not yet recorded.
    for (const ns of namespacesOf(this.options.prefix)) if (ns.pid === process.pid) removeNamespace(ns.name)
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true })
    this.#dir = undefined
  }
}
