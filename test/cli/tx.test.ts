/**
 * `paw-node tx send` as operators run it: the built command (bin/paw-node.js → dist/,
 * started by the system Node) against a `paw-node start` child process on paw-devnet,
 * whose miner mines every few seconds, talking over the admin API on a free port.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devnetAccount } from '../../src/chain/params.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { projectRoot, systemNode } from '../support/system-node.ts'

const launcher = join(projectRoot, 'bin', 'paw-node.js')
const TO = toHex(devnetAccount(3).address)
const DEVNET_1 = toHex(devnetAccount(1).address)

/** Neither ~/.paw nor the developer's $PAW_HOME may be touched by a test. */
function env(): NodeJS.ProcessEnv {
  const { PAW_HOME: _, ...rest } = process.env
  return rest
}

interface Result {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI to completion without blocking the test's event loop. */
function cli(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(systemNode(), [launcher, ...args], { cwd: projectRoot, env: env() })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('error', reject)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

let dir: string
let home: string
let node: ChildProcess
let nodeOut = ''
let nodeErr = ''
let admin: string

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://${admin}${path}`)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function account(address: string): Promise<{ nonce: bigint; pendingNonce: bigint }> {
  const { body } = await get(`/accounts/${address}`)
  return { nonce: BigInt(body.nonce as string), pendingNonce: BigInt(body.pendingNonce as string) }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-tx-test-'))
  home = join(dir, 'home')
  node = spawn(
    process.execPath,
    [
      launcher,
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
    ],
    { cwd: projectRoot, env: env(), stdio: ['ignore', 'pipe', 'pipe'] },
  )
  node.stdout?.on('data', (chunk: Buffer) => {
    nodeOut += chunk.toString()
  })
  node.stderr?.on('data', (chunk: Buffer) => {
    nodeErr += chunk.toString()
  })
  // The listen addresses are printed once the node and its admin API are up.
  const deadline = Date.now() + 30_000
  while (!nodeOut.includes('/p2p/')) {
    if (node.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the node did not start; stderr:\n${nodeErr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  admin = (await readFile(join(home, 'data', 'admin.addr'), 'utf8')).trim()
})

afterAll(async () => {
  if (node !== undefined && node.exitCode === null) node.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

describe('paw-node tx send against a running devnet node', () => {
  it('wrote its bound admin address to <home>/data/admin.addr', () => {
    expect(admin).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(admin).not.toBe('127.0.0.1:0')
    expect(nodeErr).toContain(`admin API listening component=admin address=${admin}`)
  })

  it('--devnet-account 1: prints the id; the node has it pending or mined; the nonce moved on', async () => {
    const before = await account(DEVNET_1)
    const result = await cli([
      'tx',
      'send',
      '--home',
      home,
      '--devnet-account',
      '1',
      '--to',
      TO,
      '--amount',
      '1.5',
    ])
    expect(result.status, result.stderr).toBe(0)
    const id = result.stdout.trim()
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    expect(result.stderr).toContain('1.5 PAW (fee 0.0001)')
    expect(result.stderr).toContain(`nonce ${before.pendingNonce}`)
    const lookup = await get(`/transactions/${id}`)
    // The miner may have mined it already (then it is no longer in the mempool).
    if (lookup.status === 200) expect(lookup.body).toEqual({ id, status: 'pending' })
    else expect(lookup.body.error).toMatchObject({ code: 'TRANSACTION_NOT_FOUND' })
    expect((await account(DEVNET_1)).pendingNonce).toBe(before.pendingNonce + 1n)

    // The next one takes the next nonce by itself, counting the pending one.
    const second = await cli([
      'tx',
      'send',
      '--home',
      home,
      '--devnet-account',
      '1',
      '--to',
      TO,
      '--amount',
      '2',
    ])
    expect(second.status, second.stderr).toBe(0)
    expect(second.stderr).toContain(`nonce ${before.pendingNonce + 1n}`)
    expect((await account(DEVNET_1)).pendingNonce).toBe(before.pendingNonce + 2n)
  })

  it('--wait: the node key (paid by the miner) sends; waits until it is included', async () => {
    // The miner's rewards pay the node key: wait for a block so it has funds.
    const nodeKeyAddress = await (async () => {
      const deadline = Date.now() + 30_000
      for (;;) {
        const status = await get('/status')
        if ((status.body.tip as { height: number }).height >= 1) break
        if (Date.now() > deadline) throw new Error('no block mined')
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      const file = JSON.parse(await readFile(join(home, 'config', 'node_key.json'), 'utf8'))
      return Buffer.from(file.priv_key, 'base64').subarray(-32).toString('hex')
    })()
    const result = await cli([
      'tx',
      'send',
      '--home',
      home,
      '--to',
      TO,
      '--amount',
      '0.5',
      '--fee',
      '0',
      '--wait',
    ])
    expect(result.status, result.stderr).toBe(0)
    expect(result.stderr).toContain(`from ${nodeKeyAddress.slice(0, 12)}`)
    expect(result.stderr).toContain('included in a block')
    expect((await account(nodeKeyAddress)).nonce).toBeGreaterThanOrEqual(1n)
  })

  it('a refused transaction (--from-key, --node): its code and message, exit 1', async () => {
    const result = await cli([
      'tx',
      'send',
      '--node',
      admin,
      '--from-key',
      join(home, 'config', 'node_key.json'),
      '--to',
      TO,
      '--amount',
      '1',
      '--nonce',
      '7',
    ])
    expect(result.status).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^paw-node tx send: refused: BAD_NONCE: .+\n$/)
  })

  it('stops on SIGTERM with 0 and removes admin.addr', async () => {
    const exited = new Promise((resolve) => node.on('exit', (code) => resolve(code)))
    node.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(existsSync(join(home, 'data', 'admin.addr'))).toBe(false)
  })
})

describe('paw-node tx send without a node', () => {
  it('a stale admin.addr: exit 1 with one clear line', async () => {
    const stale = join(dir, 'stale')
    expect((await cli(['init', '--home', stale])).status).toBe(0)
    const port = await closedPort()
    await writeFile(join(stale, 'data', 'admin.addr'), `127.0.0.1:${port}\n`)
    const result = await cli([
      'tx',
      'send',
      '--home',
      stale,
      '--devnet-account',
      '0',
      '--to',
      TO,
      '--amount',
      '1',
    ])
    expect(result.status).toBe(1)
    expect(result.stderr).toBe(
      `paw-node tx send: the node of ${stale} is not running: no node answering at 127.0.0.1:${port} (from ${join(stale, 'data', 'admin.addr')})\n`,
    )
  })

  it('no admin.addr: admin.listen of config.toml, with the node key as sender', async () => {
    const idle = join(dir, 'idle')
    expect((await cli(['init', '--home', idle])).status).toBe(0)
    const port = await closedPort()
    const configFile = join(idle, 'config', 'config.toml')
    const text = await readFile(configFile, 'utf8')
    await writeFile(configFile, text.replace('listen = "127.0.0.1:26658"', `listen = "127.0.0.1:${port}"`))
    const result = await cli(['tx', 'send', '--home', idle, '--to', TO, '--amount', '1'])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain(`no node answering at 127.0.0.1:${port}`)
  })
})

describe('paw-node tx: usage', () => {
  it('tx --help and tx send --help print the usage with 0', async () => {
    for (const args of [
      ['tx', '--help'],
      ['tx', 'send', '--help'],
    ]) {
      const result = await cli(args)
      expect(result.status).toBe(0)
      expect(result.stdout).toContain('Usage: paw-node tx send --to ADDRESS --amount PAW')
      expect(result.stdout).toContain('default 0.0001')
    }
  })

  it.each([
    [[], 'missing the tx command'],
    [['transfer'], 'unknown tx command "transfer"'],
    [['send', '--amount', '1'], '--to is required'],
    [['send', '--to', TO], '--amount is required'],
    [['send', '--to', 'abc', '--amount', '1'], '--to must be 64 hex digits'],
    [['send', '--to', TO, '--amount', '1.123456789'], 'more than 8 decimals'],
    [['send', '--to', TO, '--amount', '0'], '--amount must be more than 0'],
    [['send', '--to', TO, '--amount=-1'], '--amount must not be negative'],
    [['send', '--to', TO, '--amount', '1e3'], '--amount must be an amount of PAW such as 1.5'],
    [['send', '--to', TO, '--amount', '1', '--fee', '0.000000001'], '--fee has more than 8 decimals'],
    [
      ['send', '--to', TO, '--amount', '1', '--devnet-account', '4'],
      '--devnet-account must be an integer from 0 to 3',
    ],
    [['send', '--to', TO, '--amount', '1', '--nonce', 'x'], '--nonce must be an integer'],
    [['send', '--to', TO, '--amount', '1', '--node', 'localhost'], '--node: expected host:port'],
    [['send', '--to', TO, '--amount', '1', '--from-key', 'k.json', '--devnet-account', '1'], 'give one'],
    [['send', '--to', TO, '--amount', '1', '--bogus'], "Unknown option '--bogus'"],
  ])('exit 2 for tx %j', async (args, message) => {
    const result = await cli(['tx', ...args, '--home', join(dir, 'unused')])
    expect(result.status, result.stderr).toBe(2)
    expect(result.stderr).toContain(message)
    expect(result.stderr).toContain('paw-node tx --help')
    expect(existsSync(join(dir, 'unused'))).toBe(false)
  })
})
