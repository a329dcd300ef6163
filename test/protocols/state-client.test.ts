/**
 * The state client (src/protocols/state/state-client.ts) on a light node reading from two
 * full nodes over /paw/state/1 on loopback, one of them lying: its chain port's prover is
 * wrapped to forge a balance, prove against another block's state root, or fake an
 * inclusion. The client returns what the honest peer proves; the liar is charged
 * `invalidStateProof` (its reputation falls), the honest peer is not. The liar is put first
 * so that it is asked: the order itself is tested apart (orderCandidates).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { afterEach, describe, expect, it } from 'vitest'
import type { FullChain } from '../../src/chain/full-chain.ts'
import { blockHash, txHash } from '../../src/chain/hashing.ts'
import type { HeaderChain } from '../../src/chain/header-chain.ts'
import { referenceFullPort } from '../../src/chain/port/full-port.ts'
import { referenceStateVerifier } from '../../src/chain/port/state-proofs.ts'
import type { AccountState } from '../../src/chain/state.ts'
import { OFFENCES } from '../../src/peers/offences.ts'
import type { FullChainPort, StateProver } from '../../src/ports/chain.ts'
import { orderCandidates } from '../../src/protocols/state/state-client.ts'
import { isStateReadError, StateReadErrorCode } from '../../src/state-read-error.ts'
import { toHex } from '../../src/wire/bytes.ts'
import {
  nextBlock,
  openTestFullChain,
  startChainNode,
  testAccounts,
  testChainParams,
  transfer,
} from '../support/chain-nodes.ts'
import { TEST_CHAIN, tcpAddress, testLogger, trackedNodes, waitFor } from '../support/nodes.ts'
import { type WiredState, wireState } from '../support/state-wiring.ts'

const nodes = trackedNodes()
const accounts = testAccounts(2)
const params = testChainParams(accounts)
const [SENDER, RECEIVER] = accounts as [(typeof accounts)[0], (typeof accounts)[0]]

let wired: WiredState[] = []
afterEach(async () => {
  const all = wired
  wired = []
  await Promise.allSettled(all.map((entry) => entry.protocol.stop()))
})

/** How the liar answers, given the honest answer of its own chain. */
type Lie = (honest: StateProver, chain: FullChain) => StateProver

/** The reference full port of `full`, its prover replaced by `lie`'s. */
function lyingPort(full: FullChain, lie: Lie): FullChainPort {
  const port = referenceFullPort({ chain: full.chain, mempool: full.mempool, proofs: full.chain })
  const honest = port.stateProver
  if (honest === undefined) throw new Error('the reference chain has no prover')
  const prover = lie(honest, full)
  return new Proxy(port, {
    get(target, property) {
      if (property === 'stateProver') return prover
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * An honest full node and a lying one holding the same two blocks (block 1 moves 1,000 from
 * SENDER to RECEIVER; block 2, which the light node does not hold, moves 1,000 more), the
 * same pending transfer, and a light node holding headers 0 and 1 connected to both, with
 * a state client that asks the liar first.
 */
async function network(lie: Lie) {
  const lines: string[] = []
  const honest = await startChainNode(nodes.node, params, { autoSync: false })
  const honestFull = honest.full as FullChain
  const liarFull = await openTestFullChain(params)
  const liar = await nodes.node({
    chainId: TEST_CHAIN,
    nodeType: 'full',
    chain: lyingPort(liarFull, lie),
    autoSync: false,
  })
  const light = await startChainNode(nodes.node, params, {
    type: 'light',
    autoSync: false,
    logger: testLogger(lines),
  })
  const headers = light.headers as HeaderChain

  const first = transfer(params, SENDER, RECEIVER.address, 0n)
  await honest.node.submitTransaction(first)
  const block1 = await nextBlock(honestFull)
  await honestFull.chain.addBlock(block1)
  const second = transfer(params, SENDER, RECEIVER.address, 1n)
  await honest.node.submitTransaction(second)
  const block2 = await nextBlock(honestFull)
  await honestFull.chain.addBlock(block2)
  for (const block of [block1, block2]) await liarFull.chain.addBlock(block)
  await headers.addHeader(block1.header)
  const pending = transfer(params, SENDER, RECEIVER.address, 2n)
  honestFull.mempool.add(pending)
  liarFull.mempool.add(pending)

  for (const full of [honest.node, liar]) {
    await light.node.connectToPeer(tcpAddress(full))
    const id = full.peerId.toString()
    await waitFor('the light node connected', () => light.node.peer(id)?.state === 'connected')
  }
  const honestId = honest.node.peerId.toString()
  const liarId = liar.peerId.toString()
  const verifier = referenceStateVerifier({ bestHeader: (hash) => headers.bestHeader(hash) })
  const state = await wireState(light.node, {
    verifier,
    candidates: () =>
      [
        // The liar first: a better score than the honest peer's.
        { peerId: liarId, score: 1, serves: true },
        { peerId: honestId, score: 0, serves: true },
      ].filter(({ peerId }) => light.node.peer(peerId)?.state === 'connected'),
  })
  wired.push(state)
  const client = state.client
  if (client === undefined) throw new Error('no client')
  return {
    client,
    state,
    lines,
    light: light.node,
    honest: honest.node,
    honestId,
    liarId,
    tip: headers.tip().hash,
    block2: blockHash(block2.header),
    ids: { first: txHash(first), second: txHash(second), pending: txHash(pending) },
  }
}

/** The liar has been charged once, and the honest peer not at all. */
function expectLiarCharged(net: Awaited<ReturnType<typeof network>>, code: string): void {
  expect(net.state.enforcer.stats().charged).toEqual({ invalidStateProof: 1 })
  expect(net.state.scoreOf(net.liarId)).toBeCloseTo(OFFENCES.invalidStateProof.penalty, 2)
  expect(net.state.scoreOf(net.honestId)).toBe(0)
  expect(net.client.stats().lies).toEqual({ [code]: 1 })
  const warned = net.lines.filter((line) => line.includes('does not verify') && line.includes(net.liarId))
  expect(warned).toHaveLength(1)
}

const RECEIVER_AT_1 = 1_000_000_000_000n + 1_000n
const NOT_A_BLOCK = sha256(new TextEncoder().encode('not a block'))
const NOT_A_TRANSACTION = sha256(new TextEncoder().encode('not a transaction'))

/** The account as found, its balance's high byte flipped, with the honest proof. */
const forgeBalance: Lie = (honest) => ({
  ...honest,
  async proveAccount(block, address, options) {
    const answer = await honest.proveAccount(block, address, options)
    if (answer?.status !== 'found') return answer
    const value = answer.value.slice()
    value[0] = (value[0] ?? 0) ^ 0x01
    return { ...answer, value }
  },
})

describe('StateClient against a lying full node', () => {
  it('a forged balance is caught; the honest answer is returned', async () => {
    const net = await network(forgeBalance)
    const reading = await net.client.account(RECEIVER.address, { blocks: [net.tip] })
    expect((reading.account as AccountState).balance).toBe(RECEIVER_AT_1)
    expect(reading).toMatchObject({ height: 1, peer: net.honestId })
    expectLiarCharged(net, 'ERR_BAD_STATE_PROOF')
  })

  it('a proof against another block’s state root is caught', async () => {
    const net = await network((honest, chain) => ({
      ...honest,
      // Proves the account as of genesis (before the transfer), named as the block asked about.
      async proveAccount(_block, address, options) {
        const genesis = (await chain.chain.getHeaders(0, 1))[0]
        if (genesis === undefined) throw new Error('no genesis')
        return honest.proveAccount(blockHash(genesis), address, options)
      },
    }))
    const reading = await net.client.account(RECEIVER.address, { blocks: [net.tip] })
    expect((reading.account as AccountState).balance).toBe(RECEIVER_AT_1)
    expect(reading.peer).toBe(net.honestId)
    expectLiarCharged(net, 'ERR_BAD_STATE_PROOF')
  })

  it('a fake inclusion is caught: the pending transaction stays pending', async () => {
    const net = await network((honest, chain) => ({
      ...honest,
      // Claims every transaction is in block 1, with the proof of the transfer that is.
      async proveTransaction(_id, options) {
        const block = await chain.chain.getBlockAtHeight(1)
        const transfer = block?.transactions.at(-1)
        if (transfer === undefined) throw new Error('no block 1')
        return honest.proveTransaction(txHash(transfer), options)
      },
    }))
    const status = await net.client.transaction(net.ids.pending)
    expect(status).toEqual({ status: 'pending' })
    expectLiarCharged(net, 'ERR_BAD_INCLUSION_PROOF')
    const included = await net.client.transaction(net.ids.first)
    expect(included).toMatchObject({ status: 'included', height: 1 })
  })

  it('with only the liar to ask: ERR_STATE_UNAVAILABLE, naming the peers asked and what they said', async () => {
    const net = await network(forgeBalance)
    net.light.disconnectPeer(net.honestId)
    await waitFor('the honest peer gone', () => net.light.peer(net.honestId)?.state !== 'connected')
    const failure = await net.client.account(RECEIVER.address, { blocks: [net.tip] }).catch((error) => error)
    expect(isStateReadError(failure)).toBe(true)
    expect(failure.code).toBe(StateReadErrorCode.Unavailable)
    expect(failure.message).toMatch(/asked 1 peer\(s\)/)
    expect(failure.message).toContain(`${net.liarId}: lied (ERR_BAD_STATE_PROOF)`)
    expect(net.client.stats()).toMatchObject({ unavailable: 1, verified: 0 })
    expectLiarCharged(net, 'ERR_BAD_STATE_PROOF')
  })
})

describe("the node's own state client (assembled)", () => {
  it('a light node reads through it: the liar charged on the node’s enforcer, then the honest peer’s answer', async () => {
    const net = await network(forgeBalance)
    net.light.disconnectPeer(net.honestId)
    await waitFor('the honest peer gone', () => net.light.peer(net.honestId)?.state !== 'connected')
    const failure = await net.light.getAccount(RECEIVER.address).catch((error) => error)
    expect(failure.code).toBe(StateReadErrorCode.Unavailable)
    expect(net.light.enforcement().charged).toEqual({ invalidStateProof: 1 })
    // The reputation is gossipsub's score, the charge in it (P5), as of its next heartbeat.
    await waitFor('the liar’s reputation below zero', () => (net.light.peer(net.liarId)?.score ?? 0) < 0)

    await net.light.connectToPeer(tcpAddress(net.honest))
    await waitFor('the honest peer back', () => net.light.peer(net.honestId)?.state === 'connected')
    const reading = await net.light.getAccount(RECEIVER.address)
    expect(reading).toMatchObject({ height: 1, source: 'proof', peer: net.honestId })
    expect((reading.account as AccountState).balance).toBe(RECEIVER_AT_1)
    // Asked first now (the liar's score is below the honest peer's): not asked again.
    expect(net.light.enforcement().charged).toEqual({ invalidStateProof: 1 })
  })
})

describe('StateClient with honest peers', () => {
  it('unknown blocks and blocks not on our chain go to the next block, charging nobody', async () => {
    const net = await network((honest) => honest)
    const reading = await net.client.account(RECEIVER.address, { blocks: [NOT_A_BLOCK, net.block2, net.tip] })
    // Asked at the three blocks: unknown to the peer, unknown to us (block 2), then the tip.
    expect(net.client.stats().asked.accounts).toBe(3)
    expect((reading.account as AccountState).balance).toBe(RECEIVER_AT_1)
    expect(reading).toMatchObject({ height: 1, peer: net.liarId })
    expect(net.state.enforcer.stats().charged).toEqual({})
    expect(net.client.stats().lies).toEqual({})
  })

  it('transaction: included and proved, pending, included in a block we do not hold yet (pending), unknown', async () => {
    const net = await network((honest) => honest)
    const included = await net.client.transaction(net.ids.first)
    expect(included).toMatchObject({ status: 'included', height: 1, peer: net.liarId })
    if (included.status === 'included') expect(toHex(included.block)).toBe(toHex(net.tip))
    expect(await net.client.transaction(net.ids.pending)).toEqual({ status: 'pending' })
    expect(await net.client.transaction(net.ids.second)).toEqual({ status: 'pending' })
    expect(await net.client.transaction(NOT_A_TRANSACTION)).toEqual({ status: 'unknown' })
    // Each of the last three asked both peers: nobody proved it into our best chain.
    expect(net.client.stats().asked.transactions).toBe(7)
    expect(net.state.enforcer.stats().charged).toEqual({})
  })

  it('transaction with no peer to ask: ERR_STATE_UNAVAILABLE', async () => {
    const net = await network((honest) => honest)
    for (const peer of [net.honestId, net.liarId]) net.light.disconnectPeer(peer)
    await waitFor('no peers', () => net.light.peers().every((peer) => peer.state !== 'connected'))
    const failure = await net.client.transaction(net.ids.first).catch((error) => error)
    expect(failure.code).toBe(StateReadErrorCode.Unavailable)
    expect(failure.message).toMatch(/asked 0 peer\(s\): no connected peer serves/)
  })
})

describe('orderCandidates', () => {
  /** Tie-breakers drawn in the order the candidates are listed: rising or falling. */
  const draws = (step: number) => {
    let next = 0
    return () => (next += step)
  }

  it('identified servers first, then by reputation, ties at random; peers that do not serve dropped', () => {
    const candidates = [
      { peerId: 'unidentified-best', score: 50, serves: undefined },
      { peerId: 'light', score: 100, serves: false },
      { peerId: 'server-low', score: -20, serves: true },
      { peerId: 'server-a', score: 10, serves: true },
      { peerId: 'server-b', score: 10, serves: true },
    ]
    expect(orderCandidates(candidates, draws(1))).toEqual([
      'server-a',
      'server-b',
      'server-low',
      'unidentified-best',
    ])
    expect(orderCandidates(candidates, draws(-1))).toEqual([
      'server-b',
      'server-a',
      'server-low',
      'unidentified-best',
    ])
  })
})
