import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../src/errors.ts'
import {
  decodeGetPeers,
  decodePeerList,
  encodeGetPeers,
  encodePeerList,
  type PeerAddress,
} from '../../src/wire/peer-list.ts'
import { type ByteSpec, bytesOf, errorCode, hex, loadVectors, wireCodeOf } from '../support/vectors.ts'

type PeersSpec = PeerAddress[] | { repeat: PeerAddress; count: number }
interface PeersVectors {
  request: {
    valid: Array<{ name: string; payload: string }>
    invalid: Array<{ name: string; payload: string; error: string }>
  }
  response: {
    valid: Array<{ name: string; payload: ByteSpec; peers: PeersSpec; skipped: number[] }>
    invalid: Array<{ name: string; payload: ByteSpec; error: string }>
    encodeInvalid: Array<{ name: string; peers: PeersSpec; error: string }>
  }
}

const vectors = loadVectors<PeersVectors>('peers')
const peersOf = (spec: PeersSpec): PeerAddress[] =>
  Array.isArray(spec) ? spec : Array.from({ length: spec.count }, () => ({ ...spec.repeat }))

describe('protocols/peers.vectors.json', () => {
  describe('get_peers request', () => {
    for (const vector of vectors.request.valid) {
      it(vector.name, () => {
        expect(wireCodeOf(() => decodeGetPeers(bytesOf(vector.payload)))).toBeUndefined()
        expect(hex(encodeGetPeers())).toBe(vector.payload)
      })
    }
    for (const vector of vectors.request.invalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        expect(wireCodeOf(() => decodeGetPeers(bytesOf(vector.payload)))).toBe(errorCode(vector.error))
      })
    }
  })

  describe('peers response: valid', () => {
    for (const vector of vectors.response.valid) {
      it(vector.name, () => {
        const decoded = decodePeerList(bytesOf(vector.payload))
        expect(decoded.peers).toEqual(peersOf(vector.peers))
        expect(decoded.skipped.map((s) => s.index)).toEqual(vector.skipped)
        if (vector.skipped.length === 0) {
          expect(hex(encodePeerList(decoded.peers))).toBe(hex(bytesOf(vector.payload)))
        }
      })
    }
  })

  describe('peers response: invalid (the whole message is rejected)', () => {
    for (const vector of vectors.response.invalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        expect(wireCodeOf(() => decodePeerList(bytesOf(vector.payload)))).toBe(errorCode(vector.error))
      })
    }
  })

  describe('peers response: lists this node refuses to send', () => {
    for (const vector of vectors.response.encodeInvalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        expect(wireCodeOf(() => encodePeerList(peersOf(vector.peers)))).toBe(errorCode(vector.error))
      })
    }
  })
})

describe('peer-list codec properties (1,000 runs each)', () => {
  // The PeerId of any 32-byte Ed25519 public key, in either string form peers.md allows.
  const idArb = fc
    .tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean())
    .map(([raw, asCid]) => {
      const peerId = peerIdFromPublicKey(publicKeyFromRaw(raw))
      return asCid ? peerId.toCID().toString() : peerId.toString()
    })
  const peerArb: fc.Arbitrary<PeerAddress> = fc.record({
    id: idArb,
    port: fc.integer({ min: 1, max: 65535 }),
    ip: fc.oneof(fc.ipV4(), fc.ipV6()),
  })

  it('round trip', () => {
    fc.assert(
      fc.property(fc.array(peerArb, { maxLength: 40 }), (peers) => {
        const decoded = decodePeerList(encodePeerList(peers))
        expect(decoded.skipped).toEqual([])
        expect(decoded.peers).toEqual(peers)
      }),
      { numRuns: 1000 },
    )
  })

  it('decoding arbitrary bytes succeeds or fails with 0x05, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const code = wireCodeOf(() => decodePeerList(bytes))
        if (code !== undefined) expect(code).toBe(ErrorCode.InvalidMessageFormat)
      }),
      { numRuns: 1000 },
    )
  })

  it('cutting a valid list anywhere is rejected with 0x05', () => {
    fc.assert(
      fc.property(fc.array(peerArb, { minLength: 1, maxLength: 10 }), fc.nat(), (peers, cut) => {
        const payload = encodePeerList(peers)
        const at = cut % payload.length
        expect(wireCodeOf(() => decodePeerList(payload.subarray(0, at)))).toBe(ErrorCode.InvalidMessageFormat)
      }),
      { numRuns: 1000 },
    )
  })
})
