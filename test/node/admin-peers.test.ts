import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import type { PawNode } from '../../src/api/index.ts'
import { silentLogger } from '../../src/logging.ts'
import { type AdminContext, startAdminServer } from '../../src/node/admin/index.ts'
import { parseExposition } from '../../src/node/metrics/exposition-parser.ts'
import { EXPOSITION_CONTENT_TYPE } from '../../src/node/metrics/paw-metrics.ts'
import { MAX_BAN_MS } from '../../src/peers/ban-list.ts'
import { startHomeNode } from '../support/home-node.ts'
import { tcpAddress, waitFor } from '../support/nodes.ts'

// biome-ignore lint/suspicious/noExplicitAny: JSON replies, checked field by field
type Json = any

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

/** A started paw-devnet full node with its chain in a temporary home; no miner. */
async function startNode(): Promise<{ node: PawNode; context: AdminContext }> {
  const { node, context } = await startHomeNode(cleanups)
  return { node, context }
}

/** A serving the admin API (with a stand-in for libp2p's metrics), connected to B. */
async function pair() {
  const a = await startNode()
  const b = await startNode()
  const admin = await startAdminServer({
    listen: '127.0.0.1:0',
    context: { ...a.context, metrics: async () => '# TYPE libp2p_stand_in gauge\nlibp2p_stand_in 1\n' },
    log: silentLogger,
  })
  cleanups.push(() => admin.stop())
  await a.node.connectToPeer(tcpAddress(b.node))
  const bId = b.node.peerId.toString()
  await waitFor('B handshaken on A', () => a.node.peer(bId)?.state === 'connected')
  return { a: a.node, b: b.node, bId, url: `http://${admin.address}` }
}

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, init)
  return { status: response.status, body: await response.json() }
}

const post = (url: string, body: unknown) =>
  call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

function expectError(reply: { status: number; body: Json }, status: number, code: string): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status)
  expect(reply.body.error.code).toBe(code)
  expect(typeof reply.body.error.message).toBe('string')
}

describe('admin API: peers', () => {
  it('GET /status counts peers by direction and reports address book, bans, uptime, listen addresses', async () => {
    const { a, url } = await pair()
    const { status, body } = await call(`${url}/status`)
    expect(status).toBe(200)
    expect(body.peers).toEqual({ inbound: 0, outbound: 1, connected: 1 })
    expect(body.addressBook).toEqual(a.addressBookStats())
    expect(body.bans).toBe(0)
    expect(body.uptimeMs).toBeGreaterThan(0)
    expect(body.listen).toEqual(a.getMultiaddrs().map(String))
    expect(Object.keys(body.protocols)).toContain('/paw/handshake/1')
    expect(body.tip.height).toBe(0)
  })

  it('GET /peers lists every known peer with its connection and traffic', async () => {
    const { bId, url } = await pair()
    const { status, body } = await call(`${url}/peers`)
    expect(status).toBe(200)
    expect(body.peers).toHaveLength(1)
    const [peer] = body.peers
    expect(peer).toMatchObject({
      peerId: bId,
      direction: 'outbound',
      state: 'connected',
      persistent: false,
      chainId: 'paw-devnet',
      lastError: null,
    })
    expect(peer.address).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/)
    expect(peer.bytesIn).toBeGreaterThan(0)
    expect(peer.bytesOut).toBeGreaterThan(0)
    expect(peer.messagesIn).toBeGreaterThan(0)
    expect(peer.messagesOut).toBeGreaterThan(0)
    expect(peer.durationMs).toBeGreaterThanOrEqual(0)
    expect(peer).toHaveProperty('rttMs')
    expect(peer).toHaveProperty('score')
  })

  it('POST /disconnect closes a connection; unknown and malformed peer ids are refused', async () => {
    const { a, bId, url } = await pair()
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    expectError(await post(`${url}/disconnect`, { peerId: 'nope' }), 400, 'BAD_PEER_ID')
    expectError(await post(`${url}/disconnect`, { peerId: a.peerId.toString() }), 400, 'BAD_PEER_ID')
    expectError(await post(`${url}/disconnect`, { peerId: other }), 404, 'PEER_NOT_FOUND')
    expectError(await post(`${url}/disconnect`, []), 400, 'INVALID_BODY')
    const reply = await post(`${url}/disconnect`, { peerId: bId })
    expect(reply).toEqual({ status: 200, body: { peerId: bId, disconnected: true } })
    await waitFor('B gone from A', () => a.peer(bId)?.state !== 'connected')
  })
})

describe('admin API: bans and dials', () => {
  it('ban disconnects the peer and refuses a redial; unban lets it back', async () => {
    const { a, b, bId, url } = await pair()
    const banned = await post(`${url}/bans`, { peerId: bId, duration: '24h', reason: 'spamming blocks' })
    expect(banned.status, JSON.stringify(banned.body)).toBe(200)
    expect(banned.body.ban).toMatchObject({ peerId: bId, reason: 'spamming blocks', source: 'operator' })
    expect(banned.body.ban.until - banned.body.ban.createdAt).toBe(24 * 3_600_000)
    await waitFor('B disconnected by the ban', () => a.peer(bId)?.state !== 'connected')

    const list = await call(`${url}/bans`)
    expect(list.status).toBe(200)
    expect(list.body.bans).toEqual([banned.body.ban])
    expect((await call(`${url}/status`)).body.bans).toBe(1)

    const redial = await post(`${url}/dial`, { address: tcpAddress(b).toString() })
    expectError(redial, 409, 'DIAL_REFUSED')
    expect(redial.body.error.message).toMatch(/^0x07 ReputationRejection: .*banned/)

    expect(await post(`${url}/unban`, { peerId: bId })).toEqual({
      status: 200,
      body: { peerId: bId, unbanned: true },
    })
    expectError(await post(`${url}/unban`, { peerId: bId }), 404, 'BAN_NOT_FOUND')
    expect((await call(`${url}/bans`)).body.bans).toEqual([])

    const dialled = await post(`${url}/dial`, { address: tcpAddress(b).toString() })
    expect(dialled.status, JSON.stringify(dialled.body)).toBe(200)
    expect(dialled.body.peer).toMatchObject({ peerId: bId, state: 'connected', direction: 'outbound' })
  })

  it('a duration in ms is taken as is', async () => {
    const { bId, url } = await pair()
    const reply = await post(`${url}/bans`, { peerId: bId, duration: 90_000, reason: 'x' })
    expect(reply.status).toBe(200)
    expect(reply.body.ban.until - reply.body.ban.createdAt).toBe(90_000)
  })

  it('POST /bans validates the peer id, the duration and the reason', async () => {
    const { a, bId, url } = await pair()
    const ban = (body: Json) => post(`${url}/bans`, body)
    expectError(await ban({ peerId: 'QmNotAPeer', duration: '1h', reason: 'r' }), 400, 'BAD_PEER_ID')
    expectError(await ban({ peerId: a.peerId.toString(), duration: '1h', reason: 'r' }), 400, 'BAD_PEER_ID')
    expectError(await ban({ duration: '1h', reason: 'r' }), 400, 'BAD_PEER_ID')
    expectError(await ban({ peerId: bId, duration: 'forever', reason: 'r' }), 400, 'BAD_DURATION')
    expectError(await ban({ peerId: bId, duration: 0, reason: 'r' }), 400, 'BAD_DURATION')
    expectError(await ban({ peerId: bId, duration: MAX_BAN_MS + 1, reason: 'r' }), 400, 'BAD_DURATION')
    expectError(await ban({ peerId: bId, duration: true, reason: 'r' }), 400, 'BAD_DURATION')
    expectError(await ban({ peerId: bId, duration: '1h', reason: '' }), 400, 'BAD_REASON')
    expectError(await ban({ peerId: bId, duration: '1h', reason: 'x'.repeat(201) }), 400, 'BAD_REASON')
    expectError(await ban('peer'), 400, 'INVALID_BODY')
    expect((await call(`${url}/bans`)).body.bans).toEqual([])
    expect(a.peer(bId)?.state).toBe('connected')
  })

  it('POST /dial refuses a malformed address and reports a failed dial', async () => {
    const { url } = await pair()
    expectError(await post(`${url}/dial`, { address: 'not an address' }), 400, 'BAD_PEER_ADDRESS')
    expectError(await post(`${url}/dial`, {}), 400, 'BAD_PEER_ADDRESS')
    const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const failed = await post(`${url}/dial`, { address: `/ip4/127.0.0.1/tcp/1/p2p/${nobody}` })
    expectError(failed, 502, 'DIAL_FAILED')
    expectError(await call(`${url}/dial`), 405, 'METHOD_NOT_ALLOWED')
  })
})

describe('admin API: GET /metrics', () => {
  it('Prometheus text with the paw_p2p_* series, then libp2p metrics', async () => {
    const { bId, url } = await pair()
    await post(`${url}/bans`, { peerId: bId, duration: '1h', reason: 'metrics test' })
    const response = await fetch(`${url}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe(EXPOSITION_CONTENT_TYPE)
    const text = await response.text()
    const samples = parseExposition(text)
    const names = new Set(samples.map((s) => s.name))
    for (const name of [
      'paw_p2p_peers',
      'paw_p2p_protocol_bytes_total',
      'paw_p2p_bans_active',
      'paw_p2p_dials_total',
      'paw_p2p_chain_height',
      'paw_p2p_uptime_seconds',
      'libp2p_stand_in',
    ]) {
      expect(names, name).toContain(name)
    }
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value
    expect(value('paw_p2p_bans_active')).toBe(1)
    expect(value('paw_p2p_bans_total')).toBe(1)
    expect(value('paw_p2p_dials_total', { result: 'success' })).toBeGreaterThanOrEqual(1)
    expect(
      value('paw_p2p_protocol_bytes_total', { protocol: '/paw/handshake/1', direction: 'out' }),
    ).toBeGreaterThan(0)
    expect(text.endsWith('libp2p_stand_in 1\n')).toBe(true)
  })
})
