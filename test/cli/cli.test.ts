/**
 * The built `paw-node` command as operators run it (bin/paw-node.js → dist/, which
 * `npm test` builds first): init, show-node-id and start against temporary homes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { projectRoot, systemNode } from '../support/system-node.ts'

const root = projectRoot
const launcher = join(root, 'bin', 'paw-node.js')
const PEER = '12D3KooWLJszRpqqnvtfS6a8QXCFBQ8UYBjVxAaKRAn57N745mqN'

/** Neither ~/.paw nor the developer's $PAW_HOME may be touched by a test. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { PAW_HOME: _, ...rest } = process.env
  return { ...rest, ...extra }
}

function cli(args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [launcher, ...args], {
    encoding: 'utf8',
    cwd: root,
    env: env(extraEnv),
    timeout: 20_000,
  })
}

interface Running {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const running: ChildProcess[] = []

function launch(node: string, args: string[]): Running {
  const child = spawn(node, [launcher, ...args], { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
  running.push(child)
  let out = ''
  let err = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  return { child, stdout: () => out, stderr: () => err, exit }
}

/** Resolves with the stdout lines once `count` multiaddrs are printed; fails if the node exits first. */
async function listenAddrs(node: Running, count: number): Promise<string[]> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const lines = node
      .stdout()
      .split('\n')
      .filter((line) => line.includes('/p2p/'))
    if (lines.length >= count) return lines
    if (node.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no ${count} listen addresses; stdout:\n${node.stdout()}\nstderr:\n${node.stderr()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-cli-test-'))
})
afterEach(async () => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

describe('paw-node init and show-node-id', () => {
  it('init creates the home and prints the PeerId; show-node-id prints it and the legacy ID', async () => {
    const home = join(dir, 'home')
    const init = cli(['init', '--home', home, '--chain-id', 'paw-devnet'])
    expect(init.status, init.stderr).toBe(0)
    const peerId = init.stdout.trim()
    expect(peerId).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/)
    expect((await stat(join(home, 'config', 'node_key.json'))).mode & 0o777).toBe(0o600)
    expect(await readFile(join(home, 'config', 'config.toml'), 'utf8')).toContain('chain_id = "paw-devnet"')

    const show = cli(['show-node-id', '--home', home])
    expect(show.status, show.stderr).toBe(0)
    const [first, second, ...more] = show.stdout.trimEnd().split('\n')
    expect(first).toBe(peerId)
    expect(second).toMatch(/^[0-9a-f]{40}$/)
    expect(more).toEqual([])
    const key = JSON.parse(await readFile(join(home, 'config', 'node_key.json'), 'utf8'))
    // The protobuf of an Ed25519 private key ends with the 32-byte public key.
    const publicKey = Buffer.from(key.priv_key, 'base64').subarray(-32)
    expect(second).toBe(publicKey.subarray(0, 20).toString('hex'))
  })

  it('a second init keeps the key and says so', () => {
    const home = join(dir, 'home')
    const first = cli(['init', '--home', home])
    const second = cli(['init', '--home', home])
    expect(second.status).toBe(0)
    expect(second.stdout).toBe(first.stdout)
    expect(second.stderr).toContain('already initialised')
  })

  it('uses $PAW_HOME when --home is absent', async () => {
    const home = join(dir, 'from-env')
    const init = cli(['init'], { PAW_HOME: home })
    expect(init.status, init.stderr).toBe(0)
    expect(existsSync(join(home, 'config', 'node_key.json'))).toBe(true)
    expect(cli(['show-node-id'], { PAW_HOME: home }).stdout.split('\n')[0]).toBe(init.stdout.trim())
  })

  it('show-node-id on an uninitialised home fails with 1 and points at init', () => {
    const result = cli(['show-node-id', '--home', join(dir, 'none')])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('paw-node init')
    expect(existsSync(join(dir, 'none'))).toBe(false)
  })

  it('init refuses a chain ID longer than 32 bytes with 1, naming chain_id', () => {
    const result = cli(['init', '--home', join(dir, 'h'), '--chain-id', 'x'.repeat(33)])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('paw-node: invalid setting chain_id')
  })
})

describe('paw-node start: refusals', () => {
  it('exits 1 naming an unknown key in config.toml', async () => {
    const home = join(dir, 'home')
    expect(cli(['init', '--home', home]).status).toBe(0)
    const configFile = join(home, 'config', 'config.toml')
    const text = await readFile(configFile, 'utf8')
    await writeFile(configFile, text.replace('# max_inbound = 50', 'max_inboud = 50'))
    const result = cli(['start', '--home', home])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('unknown setting p2p.max_inboud (did you mean p2p.max_inbound?)')
    expect(result.stdout).toBe('')
  })

  it('exits 1 naming a setting whose value is out of bounds', async () => {
    const home = join(dir, 'home')
    expect(cli(['init', '--home', home]).status).toBe(0)
    const configFile = join(home, 'config', 'config.toml')
    const text = await readFile(configFile, 'utf8')
    await writeFile(configFile, text.replace('# max_inbound = 50', 'max_inbound = 500'))
    const result = cli(['start', '--home', home])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain(
      'paw-node: invalid setting p2p.max_inbound: 500 is above p2p.max_peers (100)',
    )
  })

  it.each([
    [['--min-outbound', '60'], 'p2p.min_outbound', '--min-outbound'],
    [['--port', '70000'], 'p2p.port', '--port'],
    [['--chain-id', 'x'.repeat(33)], 'chain_id', '--chain-id'],
  ])('exits 1 tracing a bad value to the flag that set it: %j', (args, key, flag) => {
    const result = cli(['start', '--home', join(dir, 'h'), ...args])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain(`paw-node: invalid setting ${key}`)
    expect(result.stderr).toContain(`(set by ${flag})`)
  })

  it.each([
    [['--max-inbound', 'abc'], '--max-inbound must be an integer'],
    [['--bootstrap', `${PEER}@1.2.3.4:26656,not-an-address`], '"not-an-address"'],
    [['--port'], "'--port <value>' argument missing"],
    [['--no-such-flag'], "Unknown option '--no-such-flag'"],
  ])('exits 2 on a usage error: %j', (args, message) => {
    const result = cli(['start', '--home', join(dir, 'h'), ...args])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain(message)
    expect(result.stderr).toContain('paw-node start --help')
  })
})

describe('paw-node start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'initialises a new home, prints TCP and WebSockets multiaddrs, stops on %s with 0',
    async (signal) => {
      const home = join(dir, 'home')
      const node = launch(process.execPath, [
        'start',
        '--home',
        home,
        '--port',
        '0',
        '--ws-port',
        '0',
        '--listen-host',
        '127.0.0.1',
        '--admin-listen',
        '127.0.0.1:0',
      ])
      const addrs = await listenAddrs(node, 2)
      const peerId = cli(['show-node-id', '--home', home]).stdout.split('\n')[0]
      expect(peerId).toMatch(/^12D3KooW/)
      for (const addr of addrs)
        expect(addr).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+.*/p2p/${peerId}$`))
      expect(addrs.some((a) => /\/tcp\/\d+\/p2p\//.test(a))).toBe(true)
      expect(addrs.some((a) => /\/tcp\/\d+\/ws\/p2p\//.test(a))).toBe(true)
      expect(node.stderr()).toContain('was not initialised')

      node.child.kill(signal)
      expect(await node.exit).toEqual({ code: 0, signal: null })
      expect(node.stderr()).toContain(`shutting down reason=${signal}`)
    },
  )

  it('started by the system node, the launcher passes SIGTERM on and the node stops with 0', async () => {
    const home = join(dir, 'home')
    const args = ['start', '--home', home, '--port', '0', '--ws-port', 'off', '--listen-host', '127.0.0.1']
    args.push('--admin-listen', 'off')
    const node = launch(systemNode(), args)
    const addrs = await listenAddrs(node, 1)
    expect(addrs).toHaveLength(1)
    expect(addrs[0]).not.toContain('/ws')
    node.child.kill('SIGTERM')
    expect(await node.exit).toEqual({ code: 0, signal: null })
    expect(node.stderr()).toContain('shutting down')
  })
})
