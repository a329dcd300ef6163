/**
 * Issue 17 item 4: an admin command run for one home never acts on another home's node.
 * Two real `paw-node start` processes A and B (own temp homes, own ports); A's admin
 * address is pointed at B's, first through A's admin.addr while A runs, then through
 * admin.listen of A's config.toml once A is stopped. `status`, `ban` and `tx send` with
 * `--home A` are refused naming both peer IDs, and B has acquired neither the ban nor the
 * transaction. The matching case, and `--node` without a home, work as before.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devnetAccount } from '../../src/chain/params.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { loopbackStartFlags } from '../support/cli-joiner.ts'
import {
  adminAddrFile,
  adminGet,
  type CliProcess,
  hasExited,
  runCli,
  startCli,
  stopCli,
} from '../support/cli-process.ts'

const TO = toHex(devnetAccount(3).address)

interface Node {
  home: string
  process: CliProcess
  peerId: string
  admin: string
}

let dir: string
let a: Node
let b: Node

async function startNode(name: string): Promise<Node> {
  const home = join(dir, name)
  const child = startCli(['start', ...loopbackStartFlags(home)])
  const deadline = Date.now() + 60_000
  for (;;) {
    const status = await adminGet<{ peerId: string }>(home, '/status')
    if (status !== undefined) {
      const admin = (await readFile(adminAddrFile(home), 'utf8')).trim()
      return { home, process: child, peerId: status.peerId, admin }
    }
    if (hasExited(child.child) || Date.now() > deadline) {
      throw new Error(`node ${name} did not start:\n${child.stderr()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function bansOf(node: Node): Promise<string[]> {
  const reply = await adminGet<{ bans: Array<{ peerId: string }> }>(node.home, '/bans')
  if (reply === undefined) throw new Error('B did not answer GET /bans')
  return reply.bans.map((ban) => ban.peerId)
}

async function mempoolOf(node: Node): Promise<number> {
  const reply = await adminGet<{ mempool: { size: number } }>(node.home, '/status')
  if (reply === undefined) throw new Error('B did not answer GET /status')
  return reply.mempool.size
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Points admin.listen of `home`'s config.toml at `address`. */
async function setAdminListen(home: string, address: string): Promise<void> {
  const file = join(home, 'config', 'config.toml')
  const text = await readFile(file, 'utf8')
  const at = text.indexOf('\n[admin]')
  const next = text.slice(0, at) + text.slice(at).replace(/^listen = "[^"]*"$/m, `listen = "${address}"`)
  expect(next).not.toBe(text)
  await writeFile(file, next)
}

const someone = async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-admin-identity-'))
  ;[a, b] = await Promise.all([startNode('a'), startNode('b')])
  expect(a.peerId).not.toBe(b.peerId)
}, 90_000)

afterAll(async () => {
  for (const node of [a, b]) if (node !== undefined) await stopCli(node.process.child, 'SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

describe('admin commands check the answering node against the home', () => {
  it('the matching case works as before', async () => {
    for (const node of [a, b]) {
      const status = await runCli(['status', '--home', node.home])
      expect(status.status, status.stderr).toBe(0)
      expect(status.stdout).toContain(`peer id     ${node.peerId}`)
    }
    const plain = await runCli(['status', '--node', b.admin])
    expect(plain.status, plain.stderr).toBe(0)
    expect(plain.stdout).toContain(b.peerId)
  })

  it('the admin API states its peer ID and refuses a request meant for another node', async () => {
    const target = await someone()
    const reply = await fetch(`http://${b.admin}/bans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'paw-expect-peer-id': a.peerId },
      body: JSON.stringify({ peerId: target, duration: '1h', reason: 'test' }),
    })
    expect(reply.status).toBe(409)
    expect(reply.headers.get('paw-node-peer-id')).toBe(b.peerId)
    expect(((await reply.json()) as { error: { code: string } }).error.code).toBe('WRONG_NODE')
    expect(await bansOf(b)).not.toContain(target)
    const own = await fetch(`http://${b.admin}/status`, { headers: { 'paw-expect-peer-id': b.peerId } })
    expect(own.status).toBe(200)
    expect(own.headers.get('paw-node-peer-id')).toBe(b.peerId)
  })

  it("A's admin.addr naming B's address: status and ban --home A are refused, B is untouched", async () => {
    const addrFile = adminAddrFile(a.home)
    await writeFile(addrFile, `${b.admin}\n`)
    try {
      const status = await runCli(['status', '--home', a.home])
      expect(status.status).toBe(1)
      expect(status.stdout).toBe('')
      const line = status.stderr
      expect(line.trimEnd().split('\n')).toHaveLength(1)
      for (const part of [a.peerId, b.peerId, a.home, b.admin, addrFile]) expect(line).toContain(part)

      const target = await someone()
      const ban = await runCli(['ban', target, '1h', 'spam', '--home', a.home])
      expect(ban.status).toBe(1)
      for (const part of [a.peerId, b.peerId, b.admin]) expect(ban.stderr).toContain(part)
      expect(await bansOf(b)).not.toContain(target)
    } finally {
      await writeFile(addrFile, `${a.admin}\n`)
    }
    expect((await runCli(['status', '--home', a.home])).stdout).toContain(a.peerId)
  })

  it('--node with --expect-peer-id of another node is refused; with --home, --node is checked too', async () => {
    const expectA = await runCli(['status', '--node', b.admin, '--expect-peer-id', a.peerId])
    expect(expectA.status).toBe(1)
    for (const part of [a.peerId, b.peerId, b.admin, '--node']) expect(expectA.stderr).toContain(part)
    const homeA = await runCli(['peers', '--node', b.admin, '--home', a.home])
    expect(homeA.status).toBe(1)
    for (const part of [a.peerId, b.peerId, a.home]) expect(homeA.stderr).toContain(part)
    const expectB = await runCli(['status', '--node', b.admin, '--expect-peer-id', b.peerId])
    expect(expectB.status, expectB.stderr).toBe(0)
  })

  it("A stopped, admin.listen of A's config naming B: ban and tx send --home A do not reach B", async () => {
    await stopCli(a.process.child, 'SIGTERM')
    const configFile = join(a.home, 'config', 'config.toml')
    await setAdminListen(a.home, b.admin)
    const mempool = await mempoolOf(b)

    const target = await someone()
    const ban = await runCli(['ban', target, '1h', 'spam', '--home', a.home])
    expect(ban.status).toBe(1)
    expect(ban.stderr.trimEnd().split('\n')).toHaveLength(1)
    for (const part of [a.peerId, b.peerId, a.home, b.admin, configFile, 'not running']) {
      expect(ban.stderr).toContain(part)
    }
    expect(await bansOf(b)).not.toContain(target)

    const send = await runCli([
      'tx',
      'send',
      '--home',
      a.home,
      '--devnet-account',
      '0',
      '--to',
      TO,
      '--amount',
      '1',
    ])
    expect(send.status).toBe(1)
    expect(send.stdout).toBe('')
    for (const part of [a.peerId, b.peerId, b.admin]) expect(send.stderr).toContain(part)
    expect(await mempoolOf(b)).toBe(mempool)

    // Nothing at A's address: says A's node is not running, names the address and its source.
    const port = await closedPort()
    await setAdminListen(a.home, `127.0.0.1:${port}`)
    const status = await runCli(['status', '--home', a.home])
    expect(status.status).toBe(1)
    for (const part of [`127.0.0.1:${port}`, configFile, a.home, 'not running']) {
      expect(status.stderr).toContain(part)
    }
  })

  it('a directory that is no node home is refused, not sent to the default address', async () => {
    const empty = join(dir, 'empty')
    const result = await runCli(['bans', '--home', empty])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain(empty)
    expect(result.stderr).toContain('node_key.json')
  })
})
