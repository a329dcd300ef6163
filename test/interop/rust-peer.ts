/**
 * For test/interop/rust.test.ts: building interop/rust with Cargo (crates and build output
 * cached outside the clone), and paw-node processes on loopback driven through their admin
 * API, restartable on the same home. The foreign peer itself runs through foreign-peer.ts.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type CliProcess, startCli, stopCli } from '../support/cli-process.ts'
import { projectRoot } from '../support/system-node.ts'
import { pawStartArgs } from './foreign-peer.ts'

/**
 * Polls `check` every 200 ms until it holds; fails after `timeoutMs` with `what` (a string,
 * or a function called then, which may ask a node how far it got).
 */
export async function eventually(
  what: string | (() => string | Promise<string>),
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) {
      const text =
        typeof what === 'string'
          ? what
          : await Promise.resolve()
              .then(what)
              .catch((e: Error) => e.message)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${text}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Where Cargo keeps crates and build output: outside the clone, so a second run is incremental. */
export function cargoCache(): { cargoHome: string; targetDir: string } {
  const root = process.env.PAW_INTEROP_CACHE ?? join(homedir(), '.cache', 'paw-interop')
  return { cargoHome: join(root, 'cargo'), targetDir: join(root, 'rust-target') }
}

/** `cargo build --release` of interop/rust (incremental): the binary and the time it took. */
export async function buildRustPeer(): Promise<{ binary: string; ms: number }> {
  const { cargoHome, targetDir } = cargoCache()
  const started = Date.now()
  await promisify(execFile)('cargo', ['build', '--release'], {
    cwd: join(projectRoot, 'interop', 'rust'),
    // rustup installs cargo in ~/.cargo/bin, which a non-login shell may not have on PATH.
    env: {
      ...process.env,
      PATH: `${process.env.PATH ?? ''}:${join(homedir(), '.cargo', 'bin')}`,
      CARGO_HOME: cargoHome,
      CARGO_TARGET_DIR: targetDir,
    },
    maxBuffer: 64 * 1024 * 1024,
  })
  const binary = join(targetDir, 'release', 'paw-rust-peer')
  if (!existsSync(binary)) throw new Error(`cargo built no ${binary}`)
  return { binary, ms: Date.now() - started }
}

export interface PeerRow {
  peerId: string
  state: string
  agent: string | null
  score: number | null
  address: string | null
  chainId: string | null
}

export interface NodeStatus {
  peerId: string
  tip: { height: number; hash: string }
  listen: string[]
  gossip: unknown
}

/** A real `paw-node start` on loopback (devnet), with its admin API. */
export class PawProcess {
  readonly home: string
  readonly cli: CliProcess
  readonly admin: string

  private constructor(home: string, cli: CliProcess, admin: string) {
    this.home = home
    this.cli = cli
    this.admin = admin
  }

  static async start(
    options: { mine?: boolean; hashrate?: number; home?: string } = {},
  ): Promise<PawProcess> {
    const home = options.home ?? (await mkdtemp(join(tmpdir(), 'paw-interop-rust-')))
    const cli = startCli(
      pawStartArgs(home, options.mine === true ? 'miner' : 'full', ['--min-outbound', '0'], options.hashrate),
    )
    await eventually(
      () => `paw-node to start; stderr:\n${cli.stderr().slice(-3000)}`,
      () => {
        if (cli.child.exitCode !== null) throw new Error(`paw-node exited: ${cli.stderr().slice(-3000)}`)
        return cli.stdout().includes('/p2p/') && existsSync(join(home, 'data', 'admin.addr'))
      },
      60_000,
    )
    const admin = (await readFile(join(home, 'data', 'admin.addr'), 'utf8')).trim()
    return new PawProcess(home, cli, admin)
  }

  async get<T>(path: string): Promise<T> {
    const reply = await fetch(`http://${this.admin}${path}`, { signal: AbortSignal.timeout(5_000) })
    if (!reply.ok) throw new Error(`GET ${path}: ${reply.status} ${await reply.text()}`)
    return (await reply.json()) as T
  }

  async post<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
    const reply = await fetch(`http://${this.admin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    })
    return { status: reply.status, body: (await reply.json()) as T }
  }

  status(): Promise<NodeStatus> {
    return this.get<NodeStatus>('/status')
  }

  async address(transport: 'tcp' | 'ws' = 'tcp'): Promise<string> {
    const { listen, peerId } = await this.status()
    const found = listen.find((a) => a.includes('/ws') === (transport === 'ws') && a.includes('127.0.0.1'))
    if (found === undefined) throw new Error(`no ${transport} address in ${listen.join(', ')}`)
    return found.includes('/p2p/') ? found : `${found}/p2p/${peerId}`
  }

  async peer(peerId: string): Promise<PeerRow | undefined> {
    const { peers } = await this.get<{ peers: PeerRow[] }>('/peers')
    return peers.find((p) => p.peerId === peerId)
  }

  async account(address: string): Promise<{ balance: string; nonce: string; pendingNonce: string }> {
    return this.get(`/accounts/${address}`)
  }

  log(): string {
    return this.cli.stderr()
  }

  async stop(removeHome = true): Promise<void> {
    await stopCli(this.cli.child, 'SIGKILL')
    if (removeHome) await rm(this.home, { recursive: true, force: true })
  }
}
