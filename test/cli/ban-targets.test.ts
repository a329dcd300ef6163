/**
 * What a ban names (issue 17 item 6): a peer, or an IP or subnet as Bitcoin Core's `setban`
 * takes it. The admin API's POST /bans, /unban and GET /bans on a real node, and the built
 * CLI's checks of its arguments, which refuse a bad one with exit 2 before any request.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/logging.ts'
import { startAdminServer } from '../../src/node/admin/index.ts'
import { runCli } from '../support/cli-process.ts'
import { startHomeNode } from '../support/home-node.ts'
import { tcpAddress, waitFor } from '../support/nodes.ts'

// biome-ignore lint/suspicious/noExplicitAny: JSON replies, checked field by field
type Json = any

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

async function post(url: string, body: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: await response.json() }
}

describe('bans of an IP or a subnet', () => {
  it('POST /bans {ip}, GET /bans, POST /unban {ip}: rows with a null peerId, refusals that name the forms', async () => {
    const a = await startHomeNode(cleanups)
    const b = await startHomeNode(cleanups)
    const admin = await startAdminServer({ listen: '127.0.0.1:0', context: a.context, log: silentLogger })
    cleanups.push(() => admin.stop())
    const url = `http://${admin.address}`
    await a.node.connectToPeer(tcpAddress(b.node))
    const bId = b.node.peerId.toString()
    await waitFor('B handshaken on A', () => a.node.peer(bId)?.state === 'connected')

    const banned = await post(`${url}/bans`, { ip: '127.1.2.3/8', duration: '2h', reason: 'loopback range' })
    expect(banned.status, JSON.stringify(banned.body)).toBe(200)
    expect(banned.body.ban).toMatchObject({
      peerId: null,
      ip: '127.0.0.0/8',
      reason: 'loopback range',
      source: 'operator',
    })
    // B connects from 127.0.0.1: inside, so disconnected now.
    await waitFor('B disconnected by the subnet ban', () => a.node.peer(bId)?.state !== 'connected')
    await post(`${url}/bans`, { peerId: bId, duration: '1h', reason: 'peer' })
    const listed: Json = await (await fetch(`${url}/bans`)).json()
    expect(listed.bans.map((row: Json) => [row.peerId, row.ip])).toEqual([
      [bId, null],
      [null, '127.0.0.0/8'],
    ])

    const bad = await post(`${url}/bans`, { ip: 'localhost', duration: '1h', reason: 'r' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('BAD_PEER_ADDRESS')
    expect(bad.body.error.message).toContain('10.1.0.0/16')
    const both = await post(`${url}/bans`, { ip: '127.0.0.1', peerId: bId, duration: '1h', reason: 'r' })
    expect([both.status, both.body.error.code]).toEqual([400, 'INVALID_BODY'])

    const inside = await post(`${url}/unban`, { ip: '127.0.0.1' })
    expect([inside.status, inside.body.error.code]).toEqual([404, 'BAN_NOT_FOUND'])
    expect(inside.body.error.message).toBe(
      '127.0.0.1 is not banned (it is inside the ban of 127.0.0.0/8: unban that)',
    )
    expect(await post(`${url}/unban`, { ip: '127.9.9.9/8' })).toEqual({
      status: 200,
      body: { ip: '127.0.0.0/8', unbanned: true },
    })
    expect(a.node.ipBans()).toEqual([])
  })

  it('the CLI takes a peer id, an IP or a subnet, and refuses anything else with exit 2', async () => {
    const help = await runCli(['ban', '--help'])
    expect(help.stdout).toMatch(
      /^Usage: paw-node ban PEER_ID DURATION REASON\.\.\. \[options\]\n\s+paw-node ban IP\|SUBNET/,
    )
    expect((await runCli(['unban', '--help'])).stdout).toMatch(/^Usage: paw-node unban PEER_ID\|IP\|SUBNET/)
    // Nothing listens here: a bad argument must be refused before the node is looked for.
    const node = ['--node', '127.0.0.1:9']
    for (const args of [
      ['ban', '10.1.2.3/33', '1h', 'r'],
      ['ban', 'localhost', '1h', 'r'],
      ['unban', '12D3KooWnope'],
    ]) {
      const result = await runCli([...args, ...node])
      expect(result.status, result.stderr).toBe(2)
      expect(result.stderr).toContain('not a peer id, IP or subnet')
      expect(result.stderr).toContain('10.1.0.0/16, 2001:db8::/32')
    }
  })
})
