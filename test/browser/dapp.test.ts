/**
 * Issues 8 and 18, in a real browser: the example wallet (examples/dapp, the browser bundle
 * of this package) in headless Chromium (Debian's `chromium`, driven by playwright-core)
 * connects over WebSockets to a local devnet miner, completes /paw/handshake/1, follows the
 * node's tip (headers synced, then gossip), fetches a block by hash, shows its account's
 * balance in PAW as proven against a header it holds (the same as the node's state tree at
 * that block), sends two payments in a row with nonces from the network and follows each to
 * 3 confirmations, then sends a third and is reloaded before it confirms: the payment is
 * followed again after the reload. A screenshot is kept in test-artifacts/dapp.png.
 * Reloaded with no reachable peer, it resumes from the headers it keeps in IndexedDB.
 *
 * The devnet node is the one `paw-node start` runs (openChainRuntime on LevelDB in a
 * temporary home, the miner, its blocks announced), in this process.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// Page-side checks are strings evaluated in the page: this file is compiled without DOM types.
import { serveExample } from '../../examples/dapp/serve.ts'
import type { PawNode } from '../../src/api/index.ts'
import { formatPaw } from '../../src/chain/amount.ts'
import { openFullChain } from '../../src/chain/full-chain.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import { devnetAccount, PAW_DEVNET } from '../../src/chain/params.ts'
import type { ReferenceChain } from '../../src/chain/reference-chain.ts'
import { accountKey, decodeAccountValue } from '../../src/chain/state-tree/index.ts'
import { MemoryBlockStore } from '../../src/chain/store/memory-store.ts'
import { resolveSettings } from '../../src/config/settings.ts'
import { announceMinedBlocks, type ChainRuntime, openChainRuntime } from '../../src/node/chain-runtime.ts'
import { createPawNode } from '../../src/node/index.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { tcpAddress, testLogger, waitFor, wsAddress } from '../support/nodes.ts'

const tcpAddressOf = (of: PawNode): string => tcpAddress(of).toString()

/** An account's balance after block `height`, from the node's state tree (what the page must show). */
async function balanceAtHeight(chain: ReferenceChain, height: number, address: Uint8Array): Promise<bigint> {
  const [header] = await chain.getHeaders(height, 1)
  if (header === undefined) throw new Error(`no block ${height}`)
  const value = chain.stateTree.get(header.stateRoot, accountKey(address))
  return value === undefined ? 0n : decodeAccountValue(value).balance
}

import { projectRoot } from '../support/system-node.ts'

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). */
const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(projectRoot, 'test-artifacts')

let home = ''
let runtime: ChainRuntime | undefined
let node: PawNode | undefined
let stopAnnouncing: (() => void) | undefined
let server: Server | undefined
let pageUrl = ''
let browser: Browser | undefined
let cert = ''
let key = ''
let wssNode: PawNode | undefined

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium (.ci/run does)`)
  if (!existsSync(join(projectRoot, 'dist', 'browser', 'paw-node.js'))) {
    throw new Error('dist/browser/paw-node.js missing: npm run build')
  }
  home = await mkdtemp(join(tmpdir(), 'paw-browser-'))
  // A self-signed certificate for 127.0.0.1: the WebSockets port then also serves wss.
  cert = join(home, 'cert.pem')
  key = join(home, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  )
  const settings = resolveSettings({
    chainId: 'paw-devnet',
    nodeType: 'miner',
    listenHost: '127.0.0.1',
    tcpPort: 0,
    wsPort: 0,
    limits: { minOutbound: 0 },
  })
  const privateKey = await generateKeyPair('Ed25519')
  const log = testLogger()
  runtime = await openChainRuntime({ home, settings, privateKey, log })
  node = await createPawNode({ ...settings, privateKey, logger: log, chain: runtime.nodeChain })
  await node.start()
  if (runtime.miner !== undefined) stopAnnouncing = announceMinedBlocks(node, runtime.miner, log)
  runtime.start()
  ;({ server, url: pageUrl } = await serveExample(0))
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // The test's own self-signed certificate (wss below).
      '--ignore-certificate-errors',
    ],
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  stopAnnouncing?.()
  await runtime?.miner?.stop()
  await wssNode?.stop()
  await node?.stop()
  await runtime?.close()
  if (home !== '') await rm(home, { recursive: true, force: true })
})

describe('the example dApp in Chromium', () => {
  it('connects over WebSockets, follows the tip, fetches a block, shows a proven balance, sends payments followed to 3 confirmations across a reload', async () => {
    if (browser === undefined || node === undefined || runtime?.chain === undefined)
      throw new Error('not set up')
    const chain = runtime.chain
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await waitFor('the miner at height 5', () => chain.tip().height >= 5, 30_000)

    const peer = wsAddress(node).toString()
    await page.goto(`${pageUrl}?peer=${encodeURIComponent(peer)}`)
    await page.waitForFunction(
      `document.getElementById('status')?.textContent?.startsWith('connected')`,
      undefined,
      {
        timeout: 20_000,
      },
    )
    const pageTip = async () => Number(await page.textContent('#tip-height'))
    // The page follows the node: it reaches the height the node had a moment ago, and more.
    const target = chain.tip().height + 2
    await page.waitForFunction(
      `Number(document.getElementById('tip-height')?.textContent) >= ${target}`,
      undefined,
      {
        timeout: 30_000,
      },
    )
    expect(await pageTip()).toBeGreaterThanOrEqual(target)
    // Height and hash read in one go: the page's tip keeps moving.
    const [shownHeight, shownHash] = (await page.evaluate(
      `[document.getElementById('tip-height').textContent, document.getElementById('tip-hash').textContent]`,
    )) as [string, string]
    const [header] = await chain.getHeaders(Number(shownHeight), 1)
    if (header !== undefined) expect(shownHash).toBe(toHex(blockHash(header)))

    // A block by hash (block 3, fetched from the node over /paw/blocks/1 and checked against the header).
    const [third] = await chain.getHeaders(3, 1)
    if (third === undefined) throw new Error('no block 3')
    await page.fill('#fetch-hash', toHex(blockHash(third)))
    await page.click('#fetch-form button')
    await page.waitForFunction(
      `document.getElementById('fetch-result')?.textContent?.startsWith('block 3')`,
      undefined,
      {
        timeout: 15_000,
      },
    )

    // The wallet: devnet account 2's balance, proven by the node against a header the page holds.
    const wallet = devnetAccount(2).address
    await page.waitForFunction(
      `document.getElementById('account-at')?.dataset.height !== undefined`,
      undefined,
      {
        timeout: 20_000,
      },
    )
    const readAt = Number(await page.getAttribute('#account-at', 'data-height'))
    const shownUnits = BigInt((await page.getAttribute('#balance', 'data-units')) ?? '-1')
    expect(shownUnits).toBe(await balanceAtHeight(chain, readAt, wallet))
    expect(await page.textContent('#balance')).toBe(formatPaw(shownUnits))

    // Two payments in a row (nonces from the network, then the page's own count), each
    // followed to 3 confirmations by the node's events.
    const receiver = devnetAccount(3).address
    const before = chain.accountOf(receiver).balance
    const nonceBefore = chain.accountOf(wallet).nonce
    await page.fill('#send-to', toHex(receiver))
    await page.fill('#send-amount', '1.5')
    await page.click('#send-form button')
    await page.waitForFunction(`document.querySelectorAll('#payments li').length === 1`, undefined, {
      timeout: 15_000,
    })
    await page.fill('#send-amount', '0.25')
    await page.click('#send-form button')
    await page.waitForFunction(`document.querySelectorAll('#payments li').length === 2`, undefined, {
      timeout: 15_000,
    })
    // A confirmation count shown on the way (1 or 2 of 3), then confirmed.
    await page.waitForFunction(
      `[...document.querySelectorAll('#payments li')].some((li) => li.dataset.status === 'included')`,
      undefined,
      { timeout: 45_000 },
    )
    await page.waitForFunction(
      `[...document.querySelectorAll('#payments li')].every((li) => li.dataset.status === 'confirmed' && Number(li.dataset.confirmations) >= 3)`,
      undefined,
      { timeout: 60_000 },
    )
    console.log(`payments: ${(await page.locator('#payments li').allTextContents()).join(' | ')}`)
    expect(chain.accountOf(receiver).balance - before).toBe(175_000_000n)
    expect(chain.accountOf(wallet).nonce).toBe(nonceBefore + 2n)

    // A third payment, and the page reloaded before it is confirmed: the payment is kept in
    // localStorage and followed again to its confirmations; the balance is read again.
    await page.fill('#send-amount', '0.125')
    await page.click('#send-form button')
    await page.waitForFunction(`document.querySelectorAll('#payments li').length === 3`, undefined, {
      timeout: 15_000,
    })
    await page.reload()
    await page.waitForFunction(
      `document.querySelector('#payments li')?.dataset.status === 'confirmed'`,
      undefined,
      { timeout: 60_000 },
    )
    expect(chain.accountOf(receiver).balance - before).toBe(187_500_000n)
    await page.waitForFunction(
      `Number(document.getElementById('nonce')?.textContent) === ${Number(nonceBefore) + 3}`,
      undefined,
      { timeout: 20_000 },
    )

    await mkdir(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'dapp.png'), fullPage: true })

    // The headers are in IndexedDB: reloaded with a peer that cannot be reached, the page
    // still starts from the tip it had stored.
    const stored = await pageTip()
    const nowhere = `/ip4/127.0.0.1/tcp/9/ws/p2p/${node.peerId.toString()}`
    await page.goto(`${pageUrl}?peer=${encodeURIComponent(nowhere)}`)
    await page.waitForFunction(
      `Number(document.getElementById('tip-height')?.textContent) >= ${stored}`,
      undefined,
      {
        timeout: 15_000,
      },
    )
    expect(node.peers().filter((p) => p.state === 'connected')).toHaveLength(0)
    expect(errors).toEqual([])
  }, 240_000)

  it('connects over wss to a node given a certificate and key, as a page served over https must', async () => {
    if (browser === undefined || node === undefined || runtime?.chain === undefined)
      throw new Error('not set up')
    // A second node of the devnet (a full node, in memory) serving wss; it follows the miner.
    const full = await openFullChain({ params: PAW_DEVNET, store: new MemoryBlockStore() })
    wssNode = await createPawNode({
      chainId: 'paw-devnet',
      nodeType: 'full',
      chain: full,
      listenHost: '127.0.0.1',
      tcpPort: 0,
      wsPort: 0,
      wsTlsCertFile: cert,
      wsTlsKeyFile: key,
      bootstrap: [tcpAddressOf(node)],
      limits: { minOutbound: 1 },
      logger: testLogger(),
    })
    await wssNode.start()
    const wss = wssNode.getMultiaddrs().find((address) => address.toString().includes('/tls/ws/'))
    if (wss === undefined) throw new Error('no wss listener')
    const chain = runtime.chain
    await waitFor('the wss node synced', () => full.chain.tip().height >= chain.tip().height - 1, 20_000)

    const page = await browser.newPage()
    await page.goto(`${pageUrl}?peer=${encodeURIComponent(wss.toString())}`)
    await page.waitForFunction(
      `document.getElementById('status')?.textContent?.startsWith('connected')`,
      undefined,
      {
        timeout: 20_000,
      },
    )
    const height = full.chain.tip().height
    await page.waitForFunction(
      `Number(document.getElementById('tip-height')?.textContent) >= ${height}`,
      undefined,
      {
        timeout: 20_000,
      },
    )
    expect(
      wssNode.peers().filter((p) => p.state === 'connected' && p.direction === 'inbound').length,
    ).toBeGreaterThan(0)
    console.log(`over wss (${wss.toString()}): page at height ${await page.textContent('#tip-height')}`)
  }, 60_000)
})
