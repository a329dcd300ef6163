/**
 * The admin HTTP API against real nodes: a PAW node on 127.0.0.1 with its chain in
 * LevelDB in a temporary home, the server on a free loopback port, plain HTTP requests.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from 'vitest'
import type { PawNode } from '../../src/api/index.ts'
import { encodeTransaction } from '../../src/chain/encoding.ts'
import { devnetAccount } from '../../src/chain/params.ts'
import { signTransaction } from '../../src/chain/signing.ts'
import type { NodeType } from '../../src/config/defaults.ts'
import { ConfigError, resolveSettings, type SettingsInput } from '../../src/config/settings.ts'
import { silentLogger } from '../../src/logging.ts'
import {
  type AdminServer,
  adminAddrPath,
  startAdminServer,
  startHomeAdmin,
} from '../../src/node/admin/index.ts'
import { type ChainRuntime, openChainRuntime } from '../../src/node/chain-runtime.ts'
import { parseConfig } from '../../src/node/config-file.ts'
import { createPawNode } from '../../src/node/index.ts'
import { VERSION } from '../../src/version.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { testLogger } from '../support/nodes.ts'

// biome-ignore lint/suspicious/noExplicitAny: JSON replies, checked field by field
type Json = any

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

interface Running {
  home: string
  node: PawNode
  runtime: ChainRuntime
  admin: AdminServer
  url: string
}

async function tempHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'paw-admin-'))
  cleanups.push(() => rm(home, { recursive: true, force: true }))
  return home
}

/** A paw-devnet node of `nodeType` (no miner runs) with its admin API on 127.0.0.1:<free>. */
async function startNode(nodeType: NodeType = 'full'): Promise<Running> {
  const home = await tempHome()
  const settings = resolveSettings({
    chainId: 'paw-devnet',
    nodeType,
    listenHost: '127.0.0.1',
    tcpPort: 0,
    wsPort: null,
    limits: { minOutbound: 0 },
  })
  const privateKey = await generateKeyPair('Ed25519')
  const runtime = await openChainRuntime({ home, settings, privateKey, log: silentLogger })
  cleanups.push(() => runtime.close())
  const node = await createPawNode({
    ...settings,
    privateKey,
    logger: testLogger(),
    chain:
      runtime.chain !== undefined && runtime.mempool !== undefined
        ? { chain: runtime.chain, mempool: runtime.mempool }
        : { headers: runtime.headers as NonNullable<ChainRuntime['headers']> },
  })
  await node.start()
  cleanups.push(() => node.stop())
  const admin = await startAdminServer({
    listen: '127.0.0.1:0',
    context: { node, chain: runtime.chain, mempool: runtime.mempool, headers: runtime.headers },
    log: silentLogger,
  })
  cleanups.push(() => admin.stop())
  return { home, node, runtime, admin, url: `http://${admin.address}` }
}

async function call(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const response = await fetch(url, init)
  const text = await response.text()
  return { status: response.status, body: JSON.parse(text), headers: response.headers }
}

const postJson = (url: string, body: unknown) =>
  call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

const from = devnetAccount(1)
const to = devnetAccount(2).address

function transfer(nonce: bigint, chainId = 'paw-devnet') {
  return signTransaction(
    { from: from.address, to, amount: 150_000_000n, fee: 10_000n, nonce },
    from.privateKey,
    chainId,
  )
}

const hexOf = (nonce: bigint, chainId?: string) => toHex(encodeTransaction(transfer(nonce, chainId)))

function expectError(reply: { status: number; body: Json }, status: number, code: string): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status)
  expect(reply.body.error.code).toBe(code)
  expect(typeof reply.body.error.message).toBe('string')
}

describe('GET /status', () => {
  it('full node: identity, chain, tip, peers and mempool', async () => {
    const { node, runtime, url } = await startNode('full')
    const reply = await call(`${url}/status`)
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toBe('application/json')
    expect(reply.body).toEqual({
      peerId: node.peerId.toString(),
      chainId: 'paw-devnet',
      nodeType: 'full',
      version: VERSION,
      tip: {
        height: 0,
        hash: toHex(runtime.chain?.tip().hash as Uint8Array),
        work: String(runtime.chain?.tip().totalWork),
      },
      peers: { inbound: 0, outbound: 0, connected: 0 },
      addressBook: { entries: 0, groups: 0 },
      bans: 0,
      uptimeMs: expect.any(Number),
      listen: node.getMultiaddrs().map(String),
      protocols: {},
      memory: {
        nodeLimitBytes: 256 * 1024 * 1024,
        peerLimitBytes: 24 * 1024 * 1024,
        usedBytes: 0,
        peakBytes: expect.any(Number),
        peers: 0,
        top: [],
        refused: { peer: 0, node: 0 },
        revoked: { reservations: 0, bytes: 0 },
      },
      enforcement: node.enforcement(),
      process: {
        rssBytes: expect.any(Number),
        heapUsedBytes: expect.any(Number),
        externalBytes: expect.any(Number),
      },
      mempool: { size: 0 },
      gossip: node.gossipStats(),
      mempoolSync: node.mempoolSyncStats(),
    })
    expect(reply.body.gossip.lanes.blocks).toMatchObject({ queued: 0, dropped: 0 })
  })

  it('light node: the header chain tip, no mempool', async () => {
    const { runtime, url } = await startNode('light')
    const reply = await call(`${url}/status`)
    expect(reply.status).toBe(200)
    expect(reply.body.nodeType).toBe('light')
    expect(reply.body.tip).toEqual({
      height: 0,
      hash: toHex(runtime.headers?.tip().hash as Uint8Array),
      work: expect.stringMatching(/^\d+$/),
    })
    expect(reply.body).not.toHaveProperty('mempool')
  })
})

describe('GET /accounts/<address>', () => {
  it('balance and nonces as decimal strings; upper-case hex is accepted', async () => {
    const { url } = await startNode()
    const reply = await call(`${url}/accounts/${toHex(from.address).toUpperCase()}`)
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      address: toHex(from.address),
      balance: '100000000000000',
      nonce: '0',
      pendingNonce: '0',
    })
    const nobody = await call(`${url}/accounts/${'ab'.repeat(32)}`)
    expect(nobody.body).toMatchObject({ balance: '0', nonce: '0', pendingNonce: '0' })
  })

  it.each([
    ['not hex', 'zz'.repeat(32)],
    ['63 digits', 'a'.repeat(63)],
    ['65 digits', 'a'.repeat(65)],
  ])('400 INVALID_ADDRESS for %s', async (_what, address) => {
    const { url } = await startNode()
    expectError(await call(`${url}/accounts/${address}`), 400, 'INVALID_ADDRESS')
  })

  it('503 NOT_AVAILABLE on a light node, saying why', async () => {
    const { url } = await startNode('light')
    const reply = await call(`${url}/accounts/${toHex(from.address)}`)
    expectError(reply, 503, 'NOT_AVAILABLE')
    expect(reply.body.error.message).toContain('light node')
  })
})

describe('POST /transactions and GET /transactions/<id>', () => {
  it('202 with the id; then pending, counted in pendingNonce and the mempool size', async () => {
    const { url } = await startNode()
    const reply = await postJson(`${url}/transactions`, { transaction: hexOf(0n) })
    expect(reply.status, JSON.stringify(reply.body)).toBe(202)
    expect(reply.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{64}$/), recipients: 0, evicted: [] })
    const { id } = reply.body
    expect((await call(`${url}/transactions/${id}`)).body).toEqual({ id, status: 'pending' })
    expect((await call(`${url}/accounts/${toHex(from.address)}`)).body).toMatchObject({
      nonce: '0',
      pendingNonce: '1',
    })
    expect((await call(`${url}/status`)).body.mempool).toEqual({ size: 1 })
  })

  it('a refused transaction: 409 for a duplicate, 422 with the chain error code otherwise', async () => {
    const { url } = await startNode()
    expect((await postJson(`${url}/transactions`, { transaction: hexOf(0n) })).status).toBe(202)
    expectError(
      await postJson(`${url}/transactions`, { transaction: hexOf(0n) }),
      409,
      'DUPLICATE_TRANSACTION',
    )
    expectError(await postJson(`${url}/transactions`, { transaction: hexOf(5n) }), 422, 'BAD_NONCE')
    expectError(
      await postJson(`${url}/transactions`, { transaction: hexOf(1n, 'paw-testnet') }),
      422,
      'BAD_SIGNATURE',
    )
  })

  it.each([
    ['non-hex digits', { transaction: 'zz'.repeat(152) }, 'INVALID_HEX'],
    ['an odd number of digits', { transaction: 'a'.repeat(303) }, 'INVALID_HEX'],
    ['151 bytes', { transaction: 'ab'.repeat(151) }, 'MALFORMED'],
    ['153 bytes', { transaction: 'ab'.repeat(153) }, 'MALFORMED'],
    ['no transaction field', { tx: 'ab' }, 'INVALID_BODY'],
    ['a number for the transaction', { transaction: 5 }, 'INVALID_BODY'],
    ['a JSON array', [1, 2], 'INVALID_BODY'],
    ['JSON null', null, 'INVALID_BODY'],
  ])('400 for %s', async (_what, body, code) => {
    const { url } = await startNode()
    expectError(await postJson(`${url}/transactions`, body), 400, code)
  })

  it('400 INVALID_JSON for a body that is not JSON; 415 for another content type', async () => {
    const { url } = await startNode()
    const post = (type: string, body: string) =>
      call(`${url}/transactions`, { method: 'POST', headers: { 'content-type': type }, body })
    expectError(await post('application/json', '{"transaction":'), 400, 'INVALID_JSON')
    expectError(
      await post('text/plain', JSON.stringify({ transaction: hexOf(0n) })),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    )
    expect(
      (await post('application/json; charset=utf-8', JSON.stringify({ transaction: hexOf(0n) }))).status,
    ).toBe(202)
  })

  it('413 BODY_TOO_LARGE past 64 KiB, declared or chunked; 64 KiB exactly is read', async () => {
    const { url } = await startNode()
    const padded = (size: number) => {
      const base = JSON.stringify({ transaction: hexOf(0n), pad: '' })
      return base.replace('"pad":""', `"pad":"${'x'.repeat(size - base.length)}"`)
    }
    expect(padded(64 * 1024)).toHaveLength(64 * 1024)
    expect((await postJson(`${url}/transactions`, JSON.parse(padded(64 * 1024)))).status).toBe(202)

    expectError(
      await call(`${url}/transactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: padded(64 * 1024 + 1),
      }),
      413,
      'BODY_TOO_LARGE',
    )
    // No content-length: the server counts as the chunks arrive.
    const chunked = await new Promise<{ status: number; body: Json }>((resolve, reject) => {
      const req = request(
        `${url}/transactions`,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = ''
          res.on('data', (chunk) => {
            text += chunk
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
        },
      )
      req.on('error', reject)
      for (let i = 0; i < 20; i++) req.write('x'.repeat(4096))
      req.end()
    })
    expectError(chunked, 413, 'BODY_TOO_LARGE')
  })

  it('GET /transactions/<id>: 404 when not in the mempool, 400 for a malformed id', async () => {
    const { url } = await startNode()
    expectError(await call(`${url}/transactions/${'cd'.repeat(32)}`), 404, 'TRANSACTION_NOT_FOUND')
    expectError(await call(`${url}/transactions/1234`), 400, 'INVALID_TRANSACTION_ID')
  })

  it('light node: GET /transactions/<id> is 503 (no mempool)', async () => {
    const { url } = await startNode('light')
    expectError(await call(`${url}/transactions/${'cd'.repeat(32)}`), 503, 'NOT_AVAILABLE')
  })
})

describe('routing and the guards', () => {
  it('404 NOT_FOUND for an unknown route; 405 with Allow for a known path and another method', async () => {
    const { url } = await startNode()
    expectError(await call(`${url}/nope`), 404, 'NOT_FOUND')
    expectError(await call(`${url}/status/`), 404, 'NOT_FOUND')
    const del = await call(`${url}/status`, { method: 'DELETE' })
    expectError(del, 405, 'METHOD_NOT_ALLOWED')
    expect(del.headers.get('allow')).toBe('GET')
    const get = await call(`${url}/transactions`)
    expectError(get, 405, 'METHOD_NOT_ALLOWED')
    expect(get.headers.get('allow')).toBe('POST')
    expect((await call(`${url}/status?verbose=1`)).status).toBe(200)
  })

  it('403 FORBIDDEN_HOST for a Host that is not loopback (DNS rebinding), unless allow_remote', async () => {
    const { url } = await startNode()
    const withHost = (target: string, host: string) =>
      new Promise<{ status: number; body: Json }>((resolve, reject) => {
        const req = request(`${target}/status`, { headers: { host } }, (res) => {
          let text = ''
          res.on('data', (chunk) => {
            text += chunk
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
        })
        req.on('error', reject)
        req.end()
      })
    expectError(await withHost(url, 'attacker.example:26658'), 403, 'FORBIDDEN_HOST')
    expect((await withHost(url, 'localhost:26658')).status).toBe(200)
    expect((await withHost(url, '[::1]:26658')).status).toBe(200)
  })
})

describe('start-up: admin.addr, errors', () => {
  it('startHomeAdmin writes the bound address to <home>/data/admin.addr and removes it on stop', async () => {
    const { home, node, runtime } = await startNode()
    const admin = await startHomeAdmin({
      home,
      settings: resolveSettings({ adminListen: '127.0.0.1:0' }),
      context: { node, chain: runtime.chain, mempool: runtime.mempool, headers: runtime.headers },
      log: silentLogger,
    })
    expect(admin?.address).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(admin?.address).not.toBe('127.0.0.1:0')
    expect((await readFile(adminAddrPath(home), 'utf8')).trim()).toBe(admin?.address)
    expect((await call(`http://${admin?.address}/status`)).status).toBe(200)
    await admin?.stop()
    expect(existsSync(adminAddrPath(home))).toBe(false)
  })

  it('admin.listen off: no server, no admin.addr', async () => {
    const { home, node, runtime } = await startNode()
    const admin = await startHomeAdmin({
      home,
      settings: resolveSettings({ adminListen: 'off' }),
      context: { node, chain: runtime.chain, mempool: runtime.mempool, headers: runtime.headers },
      log: silentLogger,
    })
    expect(admin).toBeUndefined()
    expect(existsSync(adminAddrPath(home))).toBe(false)
  })

  it('a port in use is a ConfigError naming admin.listen', async () => {
    const { node, runtime, admin } = await startNode()
    const second = startAdminServer({
      listen: admin.address,
      context: { node, chain: runtime.chain, mempool: runtime.mempool, headers: runtime.headers },
      log: silentLogger,
    })
    await expect(second).rejects.toMatchObject({
      key: 'admin.listen',
      message: expect.stringContaining('EADDRINUSE'),
    })
  })
})

describe('settings: admin.listen and admin.allow_remote', () => {
  function configError(input: SettingsInput): ConfigError {
    try {
      resolveSettings(input)
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      return error as ConfigError
    }
    throw new Error(`accepted ${JSON.stringify(input)}`)
  }

  it('defaults to 127.0.0.1:26658, remote off', () => {
    expect(resolveSettings()).toMatchObject({ adminListen: '127.0.0.1:26658', adminAllowRemote: false })
  })

  it.each([
    ['127.0.0.1:0', '127.0.0.1:0'],
    ['127.1.2.3:9000', '127.1.2.3:9000'],
    ['localhost:26658', 'localhost:26658'],
    ['[::1]:26658', '[::1]:26658'],
    ['off', null],
    ['', null],
  ])('accepts %j on loopback → %j', (adminListen, expected) => {
    expect(resolveSettings({ adminListen }).adminListen).toBe(expected)
  })

  it.each(['0.0.0.0:26658', '10.0.0.5:26658', '[::]:26658', 'node.example.org:26658'])(
    'refuses the non-loopback %j, naming admin.listen and admin.allow_remote',
    (adminListen) => {
      const error = configError({ adminListen })
      expect(error.key).toBe('admin.listen')
      expect(error.message).toContain('not a loopback address')
      expect(error.message).toContain('admin.allow_remote = true')
      expect(resolveSettings({ adminListen, adminAllowRemote: true }).adminListen).toBe(adminListen)
    },
  )

  it.each(['26658', '127.0.0.1', '127.0.0.1:70000', '::1:26658', 'bad host:1'])(
    'refuses the malformed %j, naming admin.listen',
    (adminListen) => {
      expect(configError({ adminListen }).key).toBe('admin.listen')
    },
  )

  it('config.toml: [admin] listen and allow_remote, with false for off and types checked', () => {
    expect(resolveSettings(parseConfig('[admin]\nlisten = false\n')).adminListen).toBeNull()
    expect(
      resolveSettings(parseConfig('[admin]\nlisten = "0.0.0.0:26658"\nallow_remote = true\n')).adminListen,
    ).toBe('0.0.0.0:26658')
    expect(() => resolveSettings(parseConfig('[admin]\nlisten = "0.0.0.0:26658"\n'))).toThrow(
      /admin\.listen.*not a loopback/,
    )
    expect(() => parseConfig('[admin]\nallow_remote = "yes"\n')).toThrow(
      /admin\.allow_remote: must be true or false/,
    )
    expect(() => parseConfig('[admin]\nlisten = 26658\n')).toThrow(/admin\.listen/)
  })
})
