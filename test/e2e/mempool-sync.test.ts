/**
 * 000 MEMPOOL_SYNC end to end (protocols/mempool.md): a node that joins late gets the
 * pending transactions of the node it connects to through /paw/mempool/1, not gossip, in
 * at most 256 per request, the highest fees first when there are more than 4096.
 */
import { describe, expect, it } from 'vitest'
import type { ReceivedTransaction } from '../../src/api/index.ts'
import { txHash } from '../../src/chain/hashing.ts'
import type { ChainParams, Transaction } from '../../src/chain/types.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { MAX_MEMPOOL_HASHES } from '../../src/wire/mempool.ts'
import { startChainNode, testChainParams } from '../support/chain-nodes.ts'
import { type FastAccount, fastAccounts, fastTransfer } from '../support/mempool-peers.ts'
import { tcpAddress, testLogger, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()

/**
 * gossipsub keeps what it published in its message cache and advertises it (IHAVE) for 3
 * heartbeats of 1 s. Connecting later means a transaction can only reach the new peer by
 * /paw/mempool/1, so the assertions on `via` are deterministic.
 */
const GOSSIP_WINDOW_MS = 4_000

/** One transfer from each account, fee 1,000 + fees[i] (distinct fees make the ranking total). */
function transfers(params: ChainParams, accounts: readonly FastAccount[], fees: (index: number) => number) {
  return accounts.map((account, index) => {
    const to = (accounts[(index + 1) % accounts.length] as FastAccount).address
    return fastTransfer(params, account, to, 0n, { fee: 1_000n + BigInt(fees(index)) })
  })
}

/** The "mempool sync received" debug lines of a node's log, as their fields. */
function syncLines(lines: readonly string[]): Array<Record<string, string>> {
  return lines
    .filter((line) => line.includes('mempool sync received'))
    .map((line) => Object.fromEntries([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])))
}

async function joinLate(params: ChainParams, pending: readonly Transaction[]) {
  const a = await startChainNode(nodes.node, params)
  for (const tx of pending) await a.node.submitTransaction(tx)
  expect(a.full?.mempool.size).toBe(pending.length)
  await new Promise((resolve) => setTimeout(resolve, GOSSIP_WINDOW_MS))
  const lines: string[] = []
  const b = await startChainNode(nodes.node, params, { logger: testLogger(lines) })
  const received: ReceivedTransaction[] = []
  b.node.addEventListener('transaction', (event) => received.push(event.detail))
  await b.node.connectToPeer(tcpAddress(a.node))
  return { a, b, lines, received }
}

describe('MEMPOOL_SYNC when a node joins', () => {
  it('300 pending: all reach the new node by mempool sync, in 2 requests, none by gossip', async () => {
    const accounts = fastAccounts(300)
    const params = testChainParams(accounts)
    const pending = transfers(params, accounts, (index) => index)
    const { a, b, lines, received } = await joinLate(params, pending)
    const aId = a.node.peerId.toString()

    await waitFor('B to hold all 300', () => b.full?.mempool.size === 300, 15_000)
    expect(received).toHaveLength(300)
    expect(received.every((event) => event.via === 'mempool-sync' && event.from === aId)).toBe(true)
    expect(new Set(received.map((event) => event.id))).toEqual(
      new Set(pending.map((tx) => toHex(txHash(tx)))),
    )
    await waitFor('the sync to finish', () => syncLines(lines).length === 1)
    expect(syncLines(lines)[0]).toMatchObject({
      announced: '300',
      requests: '2',
      fetched: '300',
      admitted: '300',
    })

    // Nothing was flooded: B admits fetched transactions without publishing them, so A
    // receives none, and B received none by gossip.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await Promise.all([a.node.gossipIdle(), b.node.gossipIdle()])
    for (const node of [a.node, b.node]) {
      const { accept, ignore, reject } = node.gossipStats().verdicts.transactions
      expect(accept + ignore + reject).toBe(0)
    }
    expect(received).toHaveLength(300)
  }, 30_000)

  it('5,000 pending: the new node receives the 4,096 highest-fee ones, highest first', async () => {
    const count = 5_000
    const accounts = fastAccounts(count)
    const params = testChainParams(accounts)
    // Fees 1,000 + a permutation of 0..4999 (7919 is prime to 5000), so submission order is not fee order.
    const pending = transfers(params, accounts, (index) => (index * 7_919) % count)
    const { a, b, lines, received } = await joinLate(params, pending)
    const best = a.full?.mempool.bestIds(MAX_MEMPOOL_HASHES) as string[]
    expect(best).toHaveLength(MAX_MEMPOOL_HASHES)

    await waitFor('B to hold 4,096', () => b.full?.mempool.size === MAX_MEMPOOL_HASHES, 30_000)
    await waitFor('the sync to finish', () => syncLines(lines).length === 1, 5_000)
    expect(syncLines(lines)[0]).toMatchObject({ announced: '4096', requests: '16', admitted: '4096' })
    expect(received.map((event) => event.id)).toEqual(best)
    expect(received.every((event) => event.via === 'mempool-sync')).toBe(true)
    const fees = received.map((event) => event.transaction.fee)
    for (let i = 1; i < fees.length; i++) expect(fees[i - 1] as bigint).toBeGreaterThan(fees[i] as bigint)
    // The 904 lowest-paying were not listed, and do not arrive.
    expect(fees.at(-1)).toBe(1_000n + BigInt(count - MAX_MEMPOOL_HASHES))
  }, 90_000)
})
