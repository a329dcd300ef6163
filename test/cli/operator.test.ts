/**
 * The operator commands (status, peers, netinfo, ban, bans, unban, dial, disconnect) as
 * built (dist/, which `npm test` builds first), run as child processes against the admin
 * API of a real node in this process that is connected to a second one.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/logging.ts'
import { startAdminServer } from '../../src/node/admin/index.ts'
import { startHomeNode } from '../support/home-node.ts'
import { tcpAddress, waitFor } from '../support/nodes.ts'
import { projectRoot } from '../support/system-node.ts'

const runJs = join(projectRoot, 'dist', 'cli', 'run.js')

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

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

/** Runs the CLI without blocking this process's event loop (the admin server lives here). */
function cli(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runJs, ...args], { cwd: projectRoot, env: env() })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

/** A devnet full node in a temporary home (test/support/home-node.ts). */
function startNode() {
  return startHomeNode(cleanups)
}

/** A with its admin API on a free loopback port, connected to B. */
async function pair() {
  const a = await startNode()
  const b = await startNode()
  const admin = await startAdminServer({
    listen: '127.0.0.1:0',
    context: { node: a.node, chain: a.runtime.chain, mempool: a.runtime.mempool, headers: undefined },
    log: silentLogger,
  })
  cleanups.push(() => admin.stop())
  await a.node.connectToPeer(tcpAddress(b.node))
  const bId = b.node.peerId.toString()
  await waitFor('B handshaken on A', () => a.node.peer(bId)?.state === 'connected')
  return { a: a.node, b: b.node, bId, admin: admin.address }
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

const short = (id: string) => `${id.slice(0, 4)}…${id.slice(-4)}`

describe('operator commands', () => {
  it('status, peers and netinfo describe the node and its peer', async () => {
    const { a, bId, admin } = await pair()
    const status = await cli(['status', '--node', admin])
    expect(status.status, status.stderr).toBe(0)
    expect(status.stdout).toContain(a.peerId.toString())
    expect(status.stdout).toMatch(/chain\s+paw-devnet \(full node/)
    expect(status.stdout).toMatch(/peers\s+1 connected \(0 in, 1 out\)/)

    const peers = await cli(['peers', '--node', admin])
    expect(peers.status, peers.stderr).toBe(0)
    const [header, row] = peers.stdout.trimEnd().split('\n')
    expect(header).toMatch(/^PEER\s+DIR\s+STATE\s+ADDRESS\s+RTT\s+SCORE\s+IN\s+OUT\s+UP\s+AGENT$/)
    expect(row).toContain(short(bId))
    expect(row).toMatch(/\bout\s+connected\s+\/ip4\/127\.0\.0\.1\/tcp\/\d+/)
    expect(row).toMatch(/\d+(\.\d)? (B|KiB)/)

    const full = await cli(['peers', '--full-ids', '--node', admin])
    expect(full.stdout).toContain(bId)

    const netinfo = await cli(['netinfo', '--node', admin])
    expect(netinfo.status, netinfo.stderr).toBe(0)
    expect(netinfo.stdout).toMatch(/connected\s+0\s+1\s+1/)
    expect(netinfo.stdout).toMatch(/address book\s+\d+ entr(y|ies) in \d+ groups?/)
    expect(netinfo.stdout).toMatch(/bans\s+0 active/)
    expect(netinfo.stdout).toContain('/paw/handshake/1')
    expect(netinfo.stdout).toContain(a.getMultiaddrs()[0]?.toString())
  })

  it('--json prints the admin API reply', async () => {
    const { bId, admin } = await pair()
    const peers = await cli(['peers', '--json', '--node', admin])
    expect(peers.status, peers.stderr).toBe(0)
    const json = JSON.parse(peers.stdout)
    expect(json.peers[0]).toMatchObject({ peerId: bId, state: 'connected', direction: 'outbound' })
    const status = JSON.parse((await cli(['status', '--json', '--node', admin])).stdout)
    expect(status.peers).toEqual({ inbound: 0, outbound: 1, connected: 1 })
    const bans = JSON.parse((await cli(['bans', '--json', '--node', admin])).stdout)
    expect(bans).toEqual({ bans: [] })
  })

  it('ban, bans, dial refused, unban, dial, disconnect', async () => {
    const { a, b, bId, admin } = await pair()
    const ban = await cli(['ban', bId, '24h', 'sent', 'invalid', 'blocks', '--node', admin])
    expect(ban.status, ban.stderr).toBe(0)
    expect(ban.stdout).toMatch(new RegExp(`^banned ${bId} .*\\(in 23h 59m\\): sent invalid blocks\\n$`))
    await waitFor('B disconnected by the ban', () => a.peer(bId)?.state !== 'connected')

    const bans = await cli(['bans', '--node', admin])
    expect(bans.status, bans.stderr).toBe(0)
    expect(bans.stdout).toMatch(/^PEER\s+IP\s+EXPIRES\s+SOURCE\s+REASON\n/)
    expect(bans.stdout).toMatch(
      // No IP: a loopback address is never banned with the peer (it would shut out every local peer).
      new RegExp(`${bId}\\s+-\\s+in 23h 59m\\s+operator\\s+sent invalid blocks`),
    )

    const address = tcpAddress(b).toString()
    const refused = await cli(['dial', address, '--node', admin])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/^paw-node dial: DIAL_REFUSED: 0x07 ReputationRejection: .*banned/)

    const unban = await cli(['unban', bId, '--node', admin])
    expect(unban.status, unban.stderr).toBe(0)
    expect(unban.stdout).toBe(`unbanned ${bId}\n`)
    const again = await cli(['unban', bId, '--node', admin])
    expect(again.status).toBe(1)
    expect(again.stderr).toContain('BAN_NOT_FOUND')
    expect((await cli(['bans', '--node', admin])).stdout).toBe('no active bans\n')

    const dial = await cli(['dial', address, '--node', admin])
    expect(dial.status, dial.stderr).toBe(0)
    expect(dial.stdout).toMatch(new RegExp(`^connected to ${bId} `))
    expect(a.peer(bId)?.state).toBe('connected')

    const disconnect = await cli(['disconnect', bId, '--node', admin])
    expect(disconnect.status, disconnect.stderr).toBe(0)
    expect(disconnect.stdout).toBe(`disconnected ${bId}\n`)
    await waitFor('B disconnected', () => a.peer(bId)?.state !== 'connected')
  })

  it('bad usage exits 2 before asking any node', async () => {
    const port = await closedPort()
    const node = `127.0.0.1:${port}`
    for (const args of [
      ['ban', 'not-a-peer', '1h', 'reason'],
      ['ban', '12D3KooWxyz'],
      ['unban'],
      ['dial', 'nowhere'],
      ['peers', 'extra'],
      ['bans', '--bogus'],
    ]) {
      const result = await cli([...args, '--node', node])
      expect(result.status, `${args.join(' ')}: ${result.stderr}`).toBe(2)
      expect(result.stderr).toContain('--help')
    }
    const help = await cli(['ban', '--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/^Usage: paw-node ban PEER_ID DURATION REASON/)
  })

  it('a node that is not running: exit 1 and a clear message', async () => {
    const node = `127.0.0.1:${await closedPort()}`
    for (const command of ['status', 'peers', 'netinfo', 'bans']) {
      const result = await cli([command, '--node', node])
      expect(result.status).toBe(1)
      expect(result.stderr).toBe(`paw-node ${command}: is the node running? (no admin API at ${node})\n`)
    }
  })
})
