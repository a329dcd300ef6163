/**
 * Issue 18, "A lying peer is caught": a light node reads balances and a transaction's status
 * from two full nodes over /paw/state/1, one of them lying. Each lie is a different one
 * (protocols/state.md "Validation"): a forged balance (the value and its leaf changed, so
 * the proof no longer reaches the header's state root), a genuine proof against another
 * block's root, and a fake inclusion (a real block, the path of another transaction). Every
 * read the light node returns is the honest one (checked against the honest node's own
 * state tree at the block the read names), and each liar is charged and banned, seen from
 * outside: the light node's ban list and its enforcement counters, and the liar losing its
 * connection. Real nodes on loopback; the liar is a real full node whose chain port answers
 * with forged proofs.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { PawNode, TransactionProgress } from '../../src/api/index.ts'
import type { FullChain } from '../../src/chain/full-chain.ts'
import { txHash } from '../../src/chain/hashing.ts'
import { proveInclusion } from '../../src/chain/inclusion-proof.ts'
import { referenceFullPort } from '../../src/chain/port/full-port.ts'
import type { ReferenceChain } from '../../src/chain/reference-chain.ts'
import {
  accountKey,
  decodeAccountValue,
  decodeStateProof,
  encodeAccountValue,
  encodeStateProof,
} from '../../src/chain/state-tree/index.ts'
import type { ChainPort, StateProver } from '../../src/ports/chain.ts'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import {
  nextBlock,
  openTestFullChain,
  startChainNode,
  testAccounts,
  testChainParams,
  transfer,
} from '../support/chain-nodes.ts'
import { tcpAddress, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()
afterAll(() => undefined)

type Lie = 'forged-balance' | 'other-root' | 'fake-inclusion'

/** The account `address` holds after block `blockHash` of `chain` (its own tree: the truth). */
async function truthAt(chain: ReferenceChain, blockHash: string, address: Uint8Array) {
  const header = await chain.bestHeader(fromHex(blockHash))
  if (header === undefined) throw new Error(`block ${blockHash} is not on the honest chain`)
  const value = chain.stateTree.get(header.stateRoot, accountKey(address))
  return value === undefined ? { balance: 0n, nonce: 0n } : decodeAccountValue(value)
}

/** A full node's port whose /paw/state/1 answers carry `lie`; everything else is honest. */
function lyingPort(full: FullChain, lie: Lie): ChainPort {
  const honest = referenceFullPort({ chain: full.chain, mempool: full.mempool, proofs: full.chain })
  const prover = honest.stateProver
  if (prover === undefined) throw new Error('the reference port proves nothing')
  const forged: StateProver = {
    async proveAccount(block, address, options) {
      const answer = await prover.proveAccount(block, address, options)
      if (answer?.status !== 'found') return answer
      if (lie === 'forged-balance') {
        // 1,000 PAW more, in the value and in the proof's leaf alike: only the root can tell.
        const account = decodeAccountValue(answer.value)
        const value = encodeAccountValue({ ...account, balance: account.balance + 100_000_000_000n })
        const proof = decodeStateProof(answer.proof)
        if (proof.kind !== 'member') throw new Error('a found answer without a membership proof')
        return { status: 'found', value, proof: encodeStateProof({ ...proof, value }) }
      }
      if (lie === 'other-root') {
        // A genuine proof, of the block before the one asked about.
        const header = await full.chain.bestHeader(block)
        const older = header && (await prover.proveAccount(header.previousHash, address, options))
        if (older?.status === 'found') return older
      }
      return answer
    },
    async proveTransaction(id, options) {
      if (lie !== 'fake-inclusion') return prover.proveTransaction(id, options)
      // "In the tip block": a real block of the chain, with its coinbase's path.
      const tip = full.chain.tip()
      const block = await full.chain.getBlock(tip.hash)
      if (block === undefined) throw new Error('no tip block')
      return { status: 'included', block: tip.hash, proof: proveInclusion(block.transactions.map(txHash), 0) }
    },
  }
  return new Proxy(honest, {
    get(target, property) {
      if (property === 'stateProver') return forged
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe('a light node reading state from an honest and a lying full node', () => {
  it('returns only proven answers, and charges, bans and drops each liar', async () => {
    const accounts = testAccounts(3)
    const [alice, bob] = accounts as [(typeof accounts)[0], (typeof accounts)[0]]
    const params = testChainParams(accounts)
    const reward = new Uint8Array(32).fill(0x4d)
    const honest = await startChainNode(nodes.node, params)
    const chain = honest.full
    if (chain === undefined) throw new Error('no full chain')
    const mine = async () => {
      await honest.node.announceBlock(await nextBlock(chain, reward))
    }
    for (let i = 0; i < 4; i++) await mine()

    const light = await nodes.node({
      type: 'light',
      chainId: params.chainId,
      params,
      bootstrap: [tcpAddress(honest.node).toString()],
      limits: { minOutbound: 1 },
    })
    await waitFor('the light node at height 4', () => light.chainTip()?.height === 4, 15_000)

    // The honest answer, alone.
    const first = await light.getAccount(alice.address)
    expect(first.source).toBe('proof')
    expect(first.peer).toBe(honest.node.peerId.toString())
    expect(first.account).toEqual(await truthAt(chain.chain, first.blockHash, alice.address))
    expect(first.height).toBeGreaterThanOrEqual(2)

    // A payment from the light node, followed to 2 confirmations with proofs.
    const payment = transfer(params, alice, bob.address, 0n, { amount: 250_000n })
    const sent = await light.submitTransaction(payment)
    await waitFor('the payment in the honest pool', () => chain.mempool.has(sent.id), 10_000)
    const progress: TransactionProgress[] = []
    const confirmed = light.waitForTransaction(sent.id, {
      confirmations: 2,
      onProgress: (step) => progress.push(step),
    })
    await waitFor('pending reported', () => progress.some((step) => step.status === 'pending'), 10_000)
    await mine()
    await mine()
    const done = await confirmed
    const holder = await chain.chain.getBlockAtHeight(done.height)
    expect(holder?.transactions.some((tx) => toHex(txHash(tx)) === sent.id)).toBe(true)
    expect(done.confirmations).toBe(2)
    // pending first; then included, once per confirmation count seen (two tips may come as one).
    expect(progress[0]?.status).toBe('pending')
    expect(progress.slice(1).every((step) => step.status === 'included')).toBe(true)
    expect(progress.at(-1)).toMatchObject({ status: 'included', confirmations: 2, height: done.height })

    // A full node offers the same API from its own state.
    const local = await honest.node.getAccount(bob.address)
    expect(local.source).toBe('local')
    expect(local.account).toEqual(await truthAt(chain.chain, local.blockHash, bob.address))
    expect(local.account.balance).toBe(1_000_000_000_000n + 250_000n)
    const localDone = await honest.node.waitForTransaction(sent.id, { confirmations: 2 })
    expect(localDone).toEqual(done)

    let liarsCaught = 0
    for (const lie of ['forged-balance', 'other-root', 'fake-inclusion'] as const) {
      const full = await openTestFullChain(params)
      const liar: PawNode = await nodes.node({
        chainId: params.chainId,
        nodeType: 'full',
        chain: lyingPort(full, lie),
        bootstrap: [tcpAddress(honest.node).toString()],
        limits: { minOutbound: 1 },
      })
      await waitFor(
        `the ${lie} liar synced`,
        () => full.chain.tip().height === chain.chain.tip().height,
        20_000,
      )
      await light.connectToPeer(tcpAddress(liar))
      const liarId = liar.peerId.toString()
      const caught = () => light.bans().some((ban) => ban.peerId === liarId)

      // Until the light node has asked the liar (peers are asked in turn), every read is honest.
      for (let read = 0; read < 40 && !caught(); read++) {
        if (lie === 'fake-inclusion') {
          const again = await light.waitForTransaction(sent.id, { confirmations: 1 })
          expect(again.blockHash).toBe(done.blockHash)
        } else {
          // The reward address changes every block, so a proof of the block before is a lie.
          const address = lie === 'other-root' ? reward : alice.address
          const reading = await light.getAccount(address)
          expect(reading.peer).toBe(honest.node.peerId.toString())
          expect(reading.account).toEqual(await truthAt(chain.chain, reading.blockHash, address))
        }
      }
      expect(caught(), `the ${lie} liar was asked and caught`).toBe(true)
      liarsCaught++
      expect(light.enforcement().charged.invalidStateProof).toBe(liarsCaught)
      await waitFor(
        'the liar cut off',
        () => liar.peers().every((p) => p.peerId !== light.peerId.toString() || p.state !== 'connected'),
        10_000,
      )
      expect(light.peer(liarId)?.state === 'connected').toBe(false)
      // The honest node still answers, and was never charged.
      const after = await light.getAccount(bob.address)
      expect(after.account).toEqual(await truthAt(chain.chain, after.blockHash, bob.address))
    }
    expect(light.bans().map((ban) => ban.peerId)).not.toContain(honest.node.peerId.toString())
  }, 180_000)
})
