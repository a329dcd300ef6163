/**
 * The per-type frame limits each protocol document states (its "Frame limits" table, and
 * `frameLimits` in its vector file) are the ones the node applies, and follow from the
 * payload layouts by L = 2 + T + payload. Those that depend on the chain's sizes are built
 * from its shape: the vectors are written for the reference chain's (REFERENCE_SHAPE).
 */
import { describe, expect, it } from 'vitest'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import * as blocks from '../../src/protocols/blocks/limits.ts'
import * as handshake from '../../src/protocols/handshake/limits.ts'
import * as mempool from '../../src/protocols/mempool/limits.ts'
import * as peers from '../../src/protocols/peers/limits.ts'
import type { FrameLimits } from '../../src/wire/frame-limits.ts'
import { loadVectors } from '../support/vectors.ts'

interface Table {
  accepted: Record<string, number>
  ceiling: number
}
const table = (limits: FrameLimits): Table => ({
  accepted: Object.fromEntries(limits.accepted),
  ceiling: limits.ceiling,
})
/** L of a frame of `type` with `payload` bytes: framing.md "Wire layout". */
const L = (type: string, payload: number) => 2 + type.length + payload

describe('frame limits in the protocol vectors', () => {
  it('handshake.vectors.json: a handshake is 65 bytes, a reject at most 1 + 256', () => {
    const v = loadVectors<{ frameLimits: Record<'listener' | 'dialer', Table> }>('handshake').frameLimits
    // Every stream of a protocol has its largest frame as ceiling: here a reject.
    expect(v.listener).toEqual({ accepted: { handshake: L('handshake', 65) }, ceiling: 265 })
    expect(v.dialer).toEqual({ accepted: { handshake: 76, reject: L('reject', 257) }, ceiling: 265 })
    expect(table(handshake.LISTENER_LIMITS)).toEqual(v.listener)
    expect(table(handshake.DIALER_LIMITS)).toEqual(v.dialer)
  })

  it('peers.vectors.json: get_peers is 1 byte, peers at most 2 + 1000 × (1 + 128 + 2 + 1 + 64)', () => {
    const v = loadVectors<{ frameLimits: Record<'responder' | 'requester', Table> }>('peers').frameLimits
    expect(v.responder.accepted.get_peers).toBe(L('get_peers', 1))
    expect(v.requester.accepted.peers).toBe(L('peers', 2 + 1000 * 196))
    expect(table(peers.RESPONDER_LIMITS)).toEqual(v.responder)
    expect(table(peers.REQUESTER_LIMITS)).toEqual(v.requester)
  })

  it('mempool.vectors.json: inventories, requests and answers sized by what was asked', () => {
    type Mempool = Record<'openedByPeer' | 'serving' | 'requesting', Table> & {
      answers: Array<Table & { requested: number }>
    }
    const v = loadVectors<{ frameLimits: Mempool }>('mempool').frameLimits
    expect(v.openedByPeer.accepted).toEqual({
      mempool_hashes: L('mempool_hashes', 2 + 4096 * 32),
      get_transactions: L('get_transactions', 2 + 256 * 32),
    })
    expect(table(mempool.OPENED_BY_PEER_LIMITS)).toEqual(v.openedByPeer)
    expect(table(mempool.SERVING_LIMITS)).toEqual(v.serving)
    const built = mempool.mempoolLimits(REFERENCE_SHAPE)
    expect(table(mempool.requestingLimits(REFERENCE_SHAPE))).toEqual(v.requesting)
    expect(table(built.requesting)).toEqual(v.requesting)
    for (const answer of v.answers) {
      const { transactionBytes } = REFERENCE_SHAPE
      expect(answer.accepted.transactions).toBe(L('transactions', 4 + transactionBytes * answer.requested))
      const { requested, ...limits } = answer
      expect(table(mempool.answerLimits(requested, REFERENCE_SHAPE))).toEqual(limits)
      expect(table(built.answer(requested))).toEqual(limits)
    }
  })

  it('blocks.vectors.json: requests, and answers sized by what was asked', () => {
    type Answer = Table & { request: 'get_block' | 'get_blocks' | 'get_headers'; count?: number }
    type Blocks = Record<'responder' | 'requesting', Table> & { answers: Answer[] }
    const v = loadVectors<{ frameLimits: Blocks }>('blocks').frameLimits
    expect(v.responder.accepted).toEqual({
      get_block: L('get_block', 32),
      get_blocks: L('get_blocks', 6),
      get_headers: L('get_headers', 6),
      // protocols/blocks.md: k ≤ ⌊maxBlockBytes / 152⌋ = 68,984.
      get_block_transactions: L('get_block_transactions', 36 + 4 * 68_984),
    })
    const built = blocks.blocksLimits(REFERENCE_SHAPE)
    expect(table(blocks.responderLimits(REFERENCE_SHAPE))).toEqual(v.responder)
    expect(table(built.responder)).toEqual(v.responder)
    expect(table(blocks.laneLimits(REFERENCE_SHAPE))).toEqual(v.requesting)
    expect(table(built.lane)).toEqual(v.requesting)
    for (const { request, count, ...limits } of v.answers) {
      const asked =
        request === 'get_block'
          ? ({ type: 'get_block' } as const)
          : ({ type: request, range: { startHeight: 0, count: count as number } } as const)
      expect(table(blocks.answerLimits(asked, REFERENCE_SHAPE)), `${request} ${count ?? ''}`).toEqual(limits)
      expect(table(built.answer(asked)), `${request} ${count ?? ''}`).toEqual(limits)
      if (request === 'get_headers') {
        const { headerBytes } = REFERENCE_SHAPE
        expect(limits.accepted.headers).toBe(L('headers', 2 + headerBytes * Math.min(count as number, 512)))
      }
    }
  })

  it("limits that depend on the chain follow another chain's shape", () => {
    const other = {
      headerBytes: 100,
      transactionBytes: 64,
      maxBlockBytes: 1_000_000,
    }
    const headers = blocks.answerLimits(
      { type: 'get_headers', range: { startHeight: 0, count: 65_535 } },
      other,
    )
    expect(headers.accepted.get('headers')).toBe(L('headers', 2 + 100 * 512))
    const one = blocks.answerLimits({ type: 'get_block' }, other)
    expect(one.accepted.get('blocks')).toBe(L('blocks', 2 + 4 + 1_000_000))
    expect(mempool.answerLimits(10, other).accepted.get('transactions')).toBe(L('transactions', 4 + 64 * 10))
    // Smaller than a hash: the answer's limit is its not-found hashes'.
    expect(mempool.answerLimits(10, { transactionBytes: 8 }).accepted.get('transactions')).toBe(
      L('transactions', 4 + 32 * 10),
    )
  })
})
