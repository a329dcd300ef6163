/**
 * Issue 16: a second chain of another kind through the same node, with no change to the
 * network layer — the authority chain (src/authority-chain: blocks signed by a fixed
 * validator set in turn, transfers without nonces, fork choice by length) plugged in as a
 * chain port. The scenarios the reference chain passes (handshake.e2e, block-sync,
 * gossip-smoke, mempool-sync, light-client), through real nodes on loopback.
 */
import type { Multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import type { PawNode, PawNodeInit } from '../../src/api/index.ts'
import {
  type AuthorityBlock,
  AuthorityFullChain,
  type AuthorityHeader,
  AuthorityHeaderChain,
  type AuthorityTransaction,
  authorityDevnet,
  blockHash,
  type Devnet,
  encodeBlock,
} from '../../src/authority-chain/index.ts'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import { createPawNode } from '../../src/node/index.ts'
import type { ChainPort } from '../../src/ports/chain.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { grow, nextBlock, transfer } from '../authority-chain/builder.ts'
import { stopAll, testLogger, waitFor } from '../support/nodes.ts'

type AuthorityNode = PawNode<AuthorityBlock, AuthorityTransaction, AuthorityHeader, unknown>

const CHAIN_ID = 'paw-authority-e2e'

let started: AuthorityNode[] = []
afterEach(async () => {
  const all = started
  started = []
  await stopAll(all)
})

/** A started node on `chain`'s port, on 127.0.0.1 with free ports, as test/support/nodes.ts starts them. */
async function startNode(
  chain: ChainPort<AuthorityBlock, AuthorityTransaction, AuthorityHeader>,
  init: PawNodeInit = {},
): Promise<AuthorityNode> {
  const node = await createPawNode({
    chainId: chain.chainId,
    nodeType: chain.kind === 'full' ? 'full' : 'light',
    listenHost: '127.0.0.1',
    tcpPort: 0,
    wsPort: 0,
    logger: testLogger(),
    ...init,
    limits: { minOutbound: 0, ...init.limits },
    chain,
  })
  started.push(node)
  await node.start()
  return node
}

/** The node's TCP address (test/support/nodes.ts tcpAddress, for a node of any chain). */
function tcpAddress(node: AuthorityNode): Multiaddr {
  const found = node.getMultiaddrs().find((address) => !address.toString().includes('/ws'))
  if (found === undefined) throw new Error('node has no TCP address')
  return found
}

const fullChain = (devnet: Devnet) => new AuthorityFullChain({ genesis: devnet.genesis })
const headerChain = (devnet: Devnet) => new AuthorityHeaderChain({ genesis: devnet.genesis })

/** A chain of `blocks` blocks, every third holding a transfer. */
async function chainOf(devnet: Devnet, blocks: number): Promise<AuthorityFullChain> {
  const chain = fullChain(devnet)
  for (let height = 1; height <= blocks; height++) {
    if (height % 3 === 0)
      chain.pool.admitLocal(transfer(devnet, height % 4, (height + 1) % 4, { height }).encoded)
    await grow(devnet, chain, 1)
  }
  return chain
}

/** A copy of `source`'s best chain, its blocks imported in order. */
async function copyOf(devnet: Devnet, source: AuthorityFullChain): Promise<AuthorityFullChain> {
  const copy = fullChain(devnet)
  for (let height = 1; height <= source.tip().height; height++) {
    await copy.importBlock(encodeBlock(source.blockAt(height) as AuthorityBlock))
  }
  return copy
}

/** Meshes form on subscription or at the next gossipsub heartbeat (1 s). */
const meshes = () => new Promise((resolve) => setTimeout(resolve, 1_500))

describe('authority chain: handshake', () => {
  it('4 nodes in a full mesh, and a node of another chain refused with 0x02', async () => {
    const devnet = authorityDevnet({ chainId: CHAIN_ID })
    const mesh = [
      await startNode(fullChain(devnet)),
      await startNode(fullChain(devnet)),
      await startNode(fullChain(devnet)),
      await startNode(headerChain(devnet)),
    ]
    for (let i = 0; i < mesh.length; i++) {
      for (let j = i + 1; j < mesh.length; j++) {
        const info = await (mesh[i] as AuthorityNode).connectToPeer(tcpAddress(mesh[j] as AuthorityNode))
        expect(info).toMatchObject({ state: 'connected', chainId: CHAIN_ID })
      }
    }
    for (const member of mesh) {
      await waitFor(
        '3 connected peers each',
        () => member.peers().filter((p) => p.state === 'connected').length === 3,
      )
    }
    const stranger = await startNode(fullChain(authorityDevnet({ chainId: 'paw-authority-other' })))
    const refusal = await stranger
      .connectToPeer(tcpAddress(mesh[0] as AuthorityNode))
      .catch((error: unknown) => error)
    expect(isPawError(refusal) && refusal.wireCode).toBe(ErrorCode.ChainIdMismatch)
  })
})

describe('authority chain: block sync', () => {
  it('a new node syncs 300 blocks headers-first from two peers, by itself on connecting', async () => {
    const devnet = authorityDevnet({ chainId: CHAIN_ID })
    const source = await chainOf(devnet, 300)
    const a = await startNode(source)
    const b = await startNode(await copyOf(devnet, source))
    const joinerChain = fullChain(devnet)
    const joiner = await startNode(joinerChain)
    let finished = 0
    joiner.addEventListener('sync:progress', ({ detail }) => {
      if (detail.done) finished++
    })
    await joiner.connectToPeer(tcpAddress(a))
    await joiner.connectToPeer(tcpAddress(b))
    await waitFor('the joiner at height 300', () => joinerChain.tip().height === 300, 30_000)
    expect(toHex(joinerChain.tip().hash)).toBe(toHex(source.tip().hash))
    for (const account of devnet.accounts) {
      expect(joinerChain.balance(account.publicKey)).toBe(source.balance(account.publicKey))
    }
    await waitFor('the sync that fetched the blocks finished', () => finished > 0, 5_000)
    expect((await joiner.syncBlockchain()).blocks).toBe(0)
  }, 60_000)

  it('fork choice through the network: a node on a shorter branch switches to the longer', async () => {
    const devnet = authorityDevnet({ chainId: CHAIN_ID })
    const shortChain = await chainOf(devnet, 5)
    const longChain = fullChain(devnet)
    for (let i = 0; i < 8; i++) {
      const proposal = nextBlock(devnet, longChain, { timestamp: longChain.tipHeader().timestamp + 3 })
      await longChain.importBlock(proposal.encoded)
    }
    const reorgs: number[] = []
    shortChain.addEventListener('reorg', ({ detail }) => reorgs.push(detail.disconnected.length))
    const hashesOf = (chain: AuthorityFullChain, from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) =>
        toHex(blockHash((chain.blockAt(from + i) as AuthorityBlock).header)),
      )
    const shortHashes = hashesOf(shortChain, 1, 5)
    const short = await startNode(shortChain)
    // The node's chain events, from this chain's port events (issue 18).
    const heard = { blocks: [] as unknown[], tips: [] as unknown[], reorgs: [] as unknown[] }
    short.addEventListener('block', ({ detail }) =>
      heard.blocks.push([
        detail.hash,
        detail.block.header.height,
        detail.source,
        detail.from,
        detail.outcome,
      ]),
    )
    short.addEventListener('tip', ({ detail }) =>
      heard.tips.push([detail.height, detail.hash, detail.source]),
    )
    short.addEventListener('reorg', ({ detail }) => heard.reorgs.push(detail))
    const long = await startNode(longChain)
    await short.connectToPeer(tcpAddress(long))
    await waitFor('the short node on the longer branch', () => shortChain.tip().height === 8, 15_000)
    expect(toHex(shortChain.tip().hash)).toBe(toHex(longChain.tip().hash))
    expect(reorgs).toEqual([5])
    // Its 6th block outweighs the 5 held: a reorg connecting 6, then two extensions.
    await waitFor('the tip events', () => heard.tips.length === 3, 5_000)
    const longHashes = hashesOf(longChain, 1, 8)
    const longId = long.peerId.toString()
    expect(heard.reorgs).toEqual([
      { disconnected: shortHashes, connected: longHashes.slice(0, 6), forkHeight: 0 },
    ])
    expect(heard.blocks).toEqual(
      longHashes.map((hash, i) => [hash, i + 1, 'sync', longId, i < 6 ? 'reorg' : 'extended']),
    )
    expect(heard.tips).toEqual([6, 7, 8].map((height) => [height, longHashes[height - 1], 'sync']))
    // The longer node kept its own chain: the shorter one never outweighed it.
    expect(longChain.tip().height).toBe(8)
  }, 30_000)
})

describe('authority chain: gossip', () => {
  it('floods a transaction, a proposed block and its header along a line of three and a light node', async () => {
    const devnet = authorityDevnet({ chainId: CHAIN_ID })
    const chains = [fullChain(devnet), fullChain(devnet), fullChain(devnet)] as const
    const [a, b, c] = [await startNode(chains[0]), await startNode(chains[1]), await startNode(chains[2])]
    const lightChain = headerChain(devnet)
    const light = await startNode(lightChain)
    await b.connectToPeer(tcpAddress(a))
    await c.connectToPeer(tcpAddress(b))
    await light.connectToPeer(tcpAddress(c))
    await meshes()

    const { encoded } = transfer(devnet, 0, 1, { amount: 42n })
    const submitted = await a.submitEncodedTransaction(encoded)
    await waitFor('the transfer at c', () => chains[2].pool.has(submitted.id), 10_000)

    const proposal = nextBlock(devnet, chains[0])
    expect(proposal.block.transactions).toHaveLength(1)
    const announced = await a.announceEncodedBlock(proposal.encoded)
    expect(announced).toMatchObject({ outcome: 'extended', hash: toHex(proposal.hash) })
    await waitFor('the block at c', () => chains[2].tip().height === 1, 10_000)
    await waitFor('the header at the light node', () => lightChain.tip().height === 1, 10_000)
    for (const chain of [...chains, lightChain]) expect(toHex(chain.tip().hash)).toBe(toHex(proposal.hash))
    expect(chains[2].pool.has(submitted.id)).toBe(false)
    expect(chains[2].balance(devnet.accounts[1]?.publicKey as Uint8Array)).toBe(1_000_000_000_042n)
  }, 30_000)
})

describe('authority chain: mempool sync', () => {
  it('pending transfers reach a node that connects later by /paw/mempool/1, and new ones by gossip', async () => {
    const devnet = authorityDevnet({ chainId: CHAIN_ID, accounts: 4 })
    const holder = fullChain(devnet)
    const a = await startNode(holder)
    const pending = Array.from({ length: 40 }, (_, i) =>
      transfer(devnet, i % 4, (i + 1) % 4, { amount: 10n }),
    )
    for (const { encoded } of pending) await a.submitEncodedTransaction(encoded)
    expect(holder.pool.size).toBe(40)
    // gossipsub advertises what it published for 3 heartbeats of 1 s: joining later, only
    // /paw/mempool/1 can bring these (as in mempool-sync.test.ts).
    await new Promise((resolve) => setTimeout(resolve, 4_000))
    const joinerChain = fullChain(devnet)
    const b = await startNode(joinerChain)
    await b.connectToPeer(tcpAddress(a))
    await waitFor('B to hold all 40', () => joinerChain.pool.size === 40, 15_000)
    expect(joinerChain.pool.bestIds(40)).toEqual(holder.pool.bestIds(40))
    expect(b.mempoolSyncStats()).toMatchObject({ transactionsFetched: 40, transactionsAdmitted: 40 })
    await b.gossipIdle()
    const { accept, ignore, reject } = b.gossipStats().verdicts.transactions
    expect(accept + ignore + reject).toBe(0)

    await meshes()
    const late = transfer(devnet, 3, 2, { amount: 5n })
    const submitted = await b.submitEncodedTransaction(late.encoded)
    await waitFor('the gossiped transfer at A', () => holder.pool.has(submitted.id), 10_000)
    expect(a.gossipStats().verdicts.transactions.accept).toBe(1)
  }, 40_000)
})

describe('authority chain: light node', () => {
  it('syncs headers, follows gossip, fetches a body and submits a transfer', async () => {
    const devnet = authorityDevnet({ chainId: CHAIN_ID })
    const chain = await chainOf(devnet, 30)
    const full = await startNode(chain)
    const lightChain = headerChain(devnet)
    const light = await startNode(lightChain, {
      bootstrap: [tcpAddress(full).toString()],
      limits: { minOutbound: 1 },
    })
    expect(light.settings.nodeType).toBe('light')
    await waitFor('30 headers', () => light.chainTip()?.height === 30, 15_000)

    await meshes()
    await full.announceEncodedBlock(nextBlock(devnet, chain).encoded)
    await waitFor('the gossiped header', () => lightChain.tip().height === 31, 10_000)
    expect(toHex(lightChain.tip().hash)).toBe(toHex(chain.tip().hash))

    const wanted = chain.blockAt(18) as AuthorityBlock
    const fetched = await light.fetchBlock(blockHash(wanted.header))
    expect(fetched && toHex(encodeBlock(fetched))).toBe(toHex(encodeBlock(wanted)))
    expect(fetched?.transactions).toHaveLength(1)
    expect(await light.fetchBlock(new Uint8Array(32).fill(1))).toBeUndefined()

    const { encoded } = transfer(devnet, 1, 2, { height: 31 })
    const submitted = await light.submitEncodedTransaction(encoded)
    expect(submitted.recipients).toBeGreaterThan(0)
    await waitFor('the transfer in the full node’s pool', () => chain.pool.has(submitted.id), 10_000)
  }, 60_000)
})
