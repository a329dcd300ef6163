/**
 * /paw/state/1 (protocols/state.md) between real nodes on loopback: a full node's own
 * StateProtocol (assembled by createPawNode from its chain port's prover) answers
 * get_account and get_transaction_status with proofs the reference verifier accepts; a
 * raw libp2p peer breaks the stream rules (malformed requests, a 31-byte address, the rate
 * limit, oversize frames, answers nobody asked for, a second request) and is charged as
 * the doc says; a light node does not serve the protocol; and the asking side refuses an
 * answer about another block, and gives up on a peer that does not answer.
 */
import type { PeerId, Stream } from '@libp2p/interface'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterEach, describe, expect, it } from 'vitest'
import { txHash } from '../../src/chain/hashing.ts'
import { referenceStateVerifier } from '../../src/chain/port/state-proofs.ts'
import type { AccountState } from '../../src/chain/state.ts'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import { STATE_PROTOCOL, StateFrameType } from '../../src/protocols/state/constants.ts'
import {
  ACCOUNT_ANSWER_LIMITS,
  ANSWERED_LIMITS,
  REQUEST_LIMITS,
  STATE_CEILING,
  TRANSACTION_ANSWER_LIMITS,
} from '../../src/protocols/state/limits.ts'
import { servesState } from '../../src/protocols/state/state-client.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { encodeFrame } from '../../src/wire/frame.ts'
import {
  decodeAccount,
  decodeTransactionStatus,
  encodeAccount,
  encodeGetAccount,
  encodeGetTransactionStatus,
} from '../../src/wire/state.ts'
import {
  type ChainNode,
  nextBlock,
  startChainNode,
  testAccounts,
  testChainParams,
  transfer,
} from '../support/chain-nodes.ts'
import { handshakeRaw, RawFrames, warnings } from '../support/mempool-peers.ts'
import { tcpAddress, testLogger, trackedNodes, waitFor } from '../support/nodes.ts'
import { type WiredState, wireState } from '../support/state-wiring.ts'

const nodes = trackedNodes()
const accounts = testAccounts(3)
const params = testChainParams(accounts.slice(0, 2))
const [SENDER, RECEIVER, UNFUNDED] = accounts as [
  (typeof accounts)[0],
  (typeof accounts)[0],
  (typeof accounts)[0],
]
const NOT_A_BLOCK = sha256(new TextEncoder().encode('not a block'))
const NOT_A_TRANSACTION = sha256(new TextEncoder().encode('not a transaction'))

let wired: WiredState[] = []
afterEach(async () => {
  const all = wired
  wired = []
  await Promise.allSettled(all.map((entry) => entry.protocol.stop()))
})

type Started = ChainNode & { lines: string[] }

async function start(init: Parameters<typeof startChainNode>[2] = {}): Promise<Started> {
  const lines: string[] = []
  const started = await startChainNode(nodes.node, params, {
    logger: testLogger(lines),
    autoSync: false,
    ...init,
  })
  return { ...started, lines }
}

/**
 * A full node whose block 1 moves 1,000 base units from SENDER to RECEIVER (`included`),
 * with a second transfer in its pool (`pending`).
 */
async function servingNode(init: Parameters<typeof startChainNode>[2] = {}) {
  const node = await start(init)
  const full = node.full
  if (full === undefined) throw new Error('not a full node')
  const included = transfer(params, SENDER, RECEIVER.address, 0n)
  await node.node.submitTransaction(included)
  await full.chain.addBlock(await nextBlock(full))
  const pending = transfer(params, SENDER, RECEIVER.address, 1n)
  await node.node.submitTransaction(pending)
  const verifier = referenceStateVerifier({ bestHeader: (hash) => full.chain.bestHeader(hash) })
  return {
    ...node,
    full,
    included: txHash(included),
    pending: txHash(pending),
    verifier,
    tip: full.chain.tip().hash,
  }
}

async function connect(from: ChainNode, to: ChainNode): Promise<void> {
  await from.node.connectToPeer(tcpAddress(to.node))
  const fromId = from.node.peerId.toString()
  const toId = to.node.peerId.toString()
  await waitFor('both sides connected', () => {
    return from.node.peer(toId)?.state === 'connected' && to.node.peer(fromId)?.state === 'connected'
  })
}

/** An asking node (light) connected to `server`, with a requester-only StateProtocol of its own. */
async function askerOf(
  server: ChainNode,
  timeoutMs?: number,
): Promise<{ asker: Started; state: WiredState }> {
  const asker = await start({ type: 'light' })
  await connect(asker, server)
  const state = await wireState(asker.node, timeoutMs === undefined ? {} : { timeoutMs })
  wired.push(state)
  return { asker, state }
}

async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise
    return undefined
  } catch (error) {
    return isPawError(error) ? error.wireCode : -1
  }
}

/** A raw peer handshaken with `server`, and a new /paw/state/1 stream to it as frames. */
async function rawStream(server: ChainNode) {
  const raw = await nodes.raw()
  const connection = await handshakeRaw(raw, server.node)
  const open = async () => new RawFrames(await connection.newStream(STATE_PROTOCOL))
  return { raw, rawId: raw.libp2p.peerId.toString(), open }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('/paw/state/1 answers, verified by the reference chain', () => {
  it('get_account: found and absent, each with a proof the verifier accepts; unknown_block off its chain', async () => {
    const server = await servingNode()
    const { state } = await askerOf(server)
    const serverId = server.node.peerId.toString()

    const found = await state.protocol.askAccount(serverId, server.tip, RECEIVER.address)
    expect(found.status).toBe('found')
    if (found.status !== 'found') return
    const judged = await server.verifier.verifyAccount(server.tip, RECEIVER.address, found)
    expect(judged.status).toBe('accepted')
    const account = (judged as { value: { account: AccountState; height: number } }).value
    expect(account.account).toEqual(server.full.chain.accountOf(RECEIVER.address))
    expect(account.account.balance).toBe(1_000_000_000_000n + 1_000n)
    expect(account.height).toBe(1)

    const absent = await state.protocol.askAccount(serverId, server.tip, UNFUNDED.address)
    expect(absent.status).toBe('absent')
    if (absent.status !== 'absent') return
    const none = await server.verifier.verifyAccount(server.tip, UNFUNDED.address, absent)
    expect(none).toMatchObject({ status: 'accepted', value: { account: { balance: 0n, nonce: 0n } } })

    // The same proof does not pass for another address: the verifier is not a rubber stamp.
    expect((await server.verifier.verifyAccount(server.tip, SENDER.address, found)).status).toBe('invalid')

    const unknown = await state.protocol.askAccount(serverId, NOT_A_BLOCK, RECEIVER.address)
    expect(unknown.status).toBe('unknown-block')
    expect(toHex(unknown.block)).toBe(toHex(NOT_A_BLOCK))
    expect(state.protocol.stats().asked.accounts).toBe(3)
  })

  it('get_transaction_status: included (the proof verifies), pending, unknown', async () => {
    const server = await servingNode()
    const { state } = await askerOf(server)
    const serverId = server.node.peerId.toString()

    const included = await state.protocol.askTransaction(serverId, server.included)
    expect(included.status).toBe('included')
    if (included.status !== 'included') return
    expect(toHex(included.block)).toBe(toHex(server.tip))
    const judged = await server.verifier.verifyTransaction(server.included, included.block, included.proof)
    expect(judged).toMatchObject({ status: 'accepted', value: { height: 1 } })
    // Not a proof for the pending transaction.
    expect(
      (await server.verifier.verifyTransaction(server.pending, included.block, included.proof)).status,
    ).toBe('invalid')

    const pending = await state.protocol.askTransaction(serverId, server.pending)
    expect([pending.status, toHex(pending.transaction)]).toEqual(['pending', toHex(server.pending)])
    const unknown = await state.protocol.askTransaction(serverId, NOT_A_TRANSACTION)
    expect([unknown.status, toHex(unknown.transaction)]).toEqual(['unknown', toHex(NOT_A_TRANSACTION)])
  })
})

describe('/paw/state/1 frame limits', () => {
  it('are the table of protocols/state.md "Frame limits", each where the stream accepts it', async () => {
    const { readFile } = await import('node:fs/promises')
    const doc = await readFile(new URL('../../protocols/state.md', import.meta.url), 'utf8')
    const documented = Object.fromEntries(
      [...doc.matchAll(/^\| `([a-z_]+)` +\| [\d.,]+ +\| +([\d,]+) +\|$/gm)].map((m) => [
        m[1],
        Number((m[2] as string).replace(/,/g, '')),
      ]),
    )
    const enforced = Object.fromEntries(
      [REQUEST_LIMITS, ACCOUNT_ANSWER_LIMITS, TRANSACTION_ANSWER_LIMITS].flatMap((limits) => [
        ...limits.accepted,
      ]),
    )
    expect(enforced).toEqual(documented)
    expect(ANSWERED_LIMITS.accepted.size).toBe(0)
    for (const limits of [
      REQUEST_LIMITS,
      ANSWERED_LIMITS,
      ACCOUNT_ANSWER_LIMITS,
      TRANSACTION_ANSWER_LIMITS,
    ]) {
      expect(limits.ceiling).toBe(documented.account)
    }
    expect(STATE_CEILING).toBe(17_454)
  })
})

describe('/paw/state/1 stream rules, against a raw peer', () => {
  it('answers one request per stream; the frames are those of the vectors', async () => {
    const server = await servingNode()
    const { open } = await rawStream(server)
    const frames = await open()
    frames.send(StateFrameType.GetAccount, encodeGetAccount({ block: server.tip, address: SENDER.address }))
    const answer = await frames.next()
    expect(answer?.type).toBe(StateFrameType.Account)
    expect(decodeAccount(answer?.payload ?? new Uint8Array()).status).toBe('found')
    expect(await frames.next()).toBeUndefined()

    const second = await open()
    second.send(StateFrameType.GetTransactionStatus, encodeGetTransactionStatus(server.pending))
    const status = await second.next()
    expect(status?.type).toBe(StateFrameType.TransactionStatus)
    expect(decodeTransactionStatus(status?.payload ?? new Uint8Array()).status).toBe('pending')
  })

  it('0x05 for a malformed request and for an address the chain does not have (31 bytes)', async () => {
    const server = await servingNode()
    const { open, rawId } = await rawStream(server)
    const malformed = await open()
    // Address length 0: outside 1..64.
    malformed.send(StateFrameType.GetAccount, Uint8Array.of(...server.tip, 0))
    expect(await malformed.next()).toBeUndefined()
    await waitFor('0x05 charged', () => server.node.enforcement().charged.invalidMessage === 1)

    const short = await open()
    short.send(
      StateFrameType.GetAccount,
      encodeGetAccount({ block: server.tip, address: SENDER.address.slice(1) }),
    )
    expect(await short.next()).toBeUndefined()
    await waitFor('0x05 charged again', () => server.node.enforcement().charged.invalidMessage === 2)
    expect(warnings(server.lines, '0x05').some((line) => line.includes('not an address of this chain'))).toBe(
      true,
    )
    expect(server.node.peer(rawId)?.state).toBe('connected')
  })

  it('0x09 over the stateRequests limit, a get_transaction_status costing 4 tokens', async () => {
    const server = await servingNode({
      rateLimits: { stateRequests: { ratePerSecond: 0.001, burst: 6, rationale: 'test' } },
    })
    const { open, rawId } = await rawStream(server)
    const ask = async (type: string, payload: Uint8Array) => {
      const frames = await open()
      frames.send(type, payload)
      return frames.next()
    }
    const account = encodeGetAccount({ block: server.tip, address: SENDER.address })
    const status = encodeGetTransactionStatus(server.included)
    expect((await ask(StateFrameType.GetTransactionStatus, status))?.type).toBe(
      StateFrameType.TransactionStatus,
    )
    expect((await ask(StateFrameType.GetAccount, account))?.type).toBe(StateFrameType.Account)
    // 6 - 4 - 1 = 1 token left: too few for an inclusion, enough for an account.
    expect(await ask(StateFrameType.GetTransactionStatus, status)).toBeUndefined()
    expect((await ask(StateFrameType.GetAccount, account))?.type).toBe(StateFrameType.Account)
    expect(await ask(StateFrameType.GetAccount, account)).toBeUndefined()
    await waitFor('0x09 logged', () => warnings(server.lines, '0x09').length === 2)
    expect(server.node.peer(rawId)?.score).toBeLessThan(0)
  })

  it("0x04 from the header alone: over the protocol ceiling, and over get_account's own limit", async () => {
    const server = await servingNode()
    const { open, rawId } = await rawStream(server)
    const frames = await open()
    // A header announcing L = ceiling + 1, and none of its body.
    const header = new Uint8Array(4)
    new DataView(header.buffer).setUint32(0, STATE_CEILING + 1)
    frames.sendBytes(header)
    expect(await frames.next()).toBeUndefined()
    await waitFor('disconnected for 0x04', () => server.node.peer(rawId)?.state !== 'connected')
    expect(warnings(server.lines, '0x04')).toHaveLength(1)

    const again = await rawStream(server)
    const big = await again.open()
    // 98 bytes: L = 111, over get_account's 110 but under the ceiling.
    big.sendBytes(encodeFrame(StateFrameType.GetAccount, new Uint8Array(98)))
    expect(await big.next()).toBeUndefined()
    await waitFor('disconnected for 0x04', () => server.node.peer(again.rawId)?.state !== 'connected')
    expect(warnings(server.lines, '0x04')).toHaveLength(2)
  })

  it('0x0A for an answer nobody asked for, and for a second request on a stream', async () => {
    const server = await servingNode()
    const { open } = await rawStream(server)
    const unasked = await open()
    unasked.send(StateFrameType.Account, encodeAccount({ status: 'unknown-block', block: server.tip }))
    expect(await unasked.next()).toBeUndefined()
    await waitFor('0x0A charged', () => server.node.enforcement().charged.unexpectedMessage === 1)

    const twice = await open()
    const request = encodeGetAccount({ block: server.tip, address: SENDER.address })
    twice.send(StateFrameType.GetAccount, request)
    twice.send(StateFrameType.GetAccount, request)
    await twice.next()
    expect(await twice.next()).toBeUndefined()
    await waitFor('0x0A charged again', () => server.node.enforcement().charged.unexpectedMessage === 2)
    expect(server.node.enforcement().charged.invalidMessage).toBeUndefined()
  })

  it('a light node does not serve /paw/state/1: multistream refuses it, and identify says so', async () => {
    const server = await servingNode()
    const light = await start({ type: 'light' })
    expect(server.node.libp2p.getProtocols()).toContain(STATE_PROTOCOL)
    expect(light.node.libp2p.getProtocols()).not.toContain(STATE_PROTOCOL)
    const raw = await nodes.raw()
    const connection = await handshakeRaw(raw, light.node)
    await expect(connection.newStream(STATE_PROTOCOL)).rejects.toThrow(/protocol/i)

    await connect(light, server)
    const known = (store: typeof light.node.libp2p.peerStore, peer: PeerId) => servesState(store, peer)
    await until('identify to list the full node serving', async () => {
      return (await known(light.node.libp2p.peerStore, server.node.peerId)) === true
    })
    await until('identify to list the light node not serving', async () => {
      return (await known(server.node.libp2p.peerStore, light.node.peerId)) === false
    })
  })
})

describe('/paw/state/1 asking', () => {
  /** A raw peer, handshaken with a light asker, answering each request with `answer`. */
  async function rawServer(answer: (request: Uint8Array) => Uint8Array | undefined, timeoutMs?: number) {
    const server = await start({ type: 'light' })
    const { asker, state } = await askerOf(server, timeoutMs)
    const raw = await nodes.raw()
    await raw.libp2p.handle(STATE_PROTOCOL, (stream: Stream) => {
      const frames = new RawFrames(stream)
      void frames.next().then((request) => {
        const reply = request === undefined ? undefined : answer(request.payload.subarray())
        if (reply === undefined) return
        frames.send(StateFrameType.Account, reply)
        void stream.close()
      })
    })
    await handshakeRaw(raw, asker.node)
    return { state, rawId: raw.libp2p.peerId.toString() }
  }

  it('an answer about another block than the one asked about is 0x0A, charged', async () => {
    const { state, rawId } = await rawServer(() =>
      encodeAccount({ status: 'unknown-block', block: NOT_A_BLOCK }),
    )
    const block = sha256(new TextEncoder().encode('the block asked about'))
    expect(await codeOf(state.protocol.askAccount(rawId, block, SENDER.address))).toBe(
      ErrorCode.UnexpectedMessage,
    )
    expect(state.scoreOf(rawId)).toBeCloseTo(-10, 2)
    // The same answer to the question it answers is taken.
    const answer = await state.protocol.askAccount(rawId, NOT_A_BLOCK, SENDER.address)
    expect([answer.status, toHex(answer.block)]).toEqual(['unknown-block', toHex(NOT_A_BLOCK)])
    expect(state.scoreOf(rawId)).toBeCloseTo(-10, 2)
  })

  it('a peer that does not answer in time: NetworkError, not charged', async () => {
    const { state, rawId } = await rawServer(() => undefined, 300)
    const started = Date.now()
    expect(await codeOf(state.protocol.askAccount(rawId, NOT_A_BLOCK, SENDER.address))).toBe(
      ErrorCode.NetworkError,
    )
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(state.scoreOf(rawId)).toBe(0)
  })
})
