/**
 * The legacy hex node ID (src/peers/node-id.ts): what `show-node-id` prints second and what a
 * dial to `<hex>@host:port` checks, one definition for both.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { isPawError } from '../../src/errors.ts'
import { legacyNodeId } from '../../src/node/home.ts'
import { checkNodeId, NODE_ID_HEX, nodeIdOfKey, nodeIdOfPeer } from '../../src/peers/node-id.ts'

describe('legacy node ID', () => {
  it('is the hex of the first 20 bytes of the Ed25519 key, as the home prints it', async () => {
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key)
    const hex = nodeIdOfKey(key.publicKey.raw)
    expect(hex).toMatch(NODE_ID_HEX)
    expect(hex).toBe(Buffer.from(key.publicKey.raw.subarray(0, 20)).toString('hex'))
    expect(hex).toBe(legacyNodeId(key.publicKey))
    expect(nodeIdOfPeer(peerId)).toBe(hex)
    // A peer ID without an Ed25519 key in it has none.
    expect(nodeIdOfPeer(peerIdFromString('QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC'))).toBeUndefined()
  })

  it('checkNodeId passes the key it names, in either case, and explains any other', async () => {
    const [a, b] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519')])
    const peerA = peerIdFromPrivateKey(a)
    const peerB = peerIdFromPrivateKey(b)
    const hexA = nodeIdOfKey(a.publicKey.raw)
    expect(checkNodeId(peerA, hexA, '/ip4/127.0.0.1/tcp/1')).toBeUndefined()
    expect(checkNodeId(peerA, hexA.toUpperCase(), '/ip4/127.0.0.1/tcp/1')).toBeUndefined()
    const mismatch = checkNodeId(peerB, hexA, '/ip4/127.0.0.1/tcp/1')
    expect(isPawError(mismatch)).toBe(true)
    expect(mismatch).toMatchObject({ code: 'ERR_NODE_ID_MISMATCH', name: 'NodeIdMismatch', expected: hexA })
    expect(mismatch?.message).toBe(
      `/ip4/127.0.0.1/tcp/1 is not node ${hexA}: it answered with ${peerB} (node ID ${nodeIdOfKey(b.publicKey.raw)})`,
    )
  })
})
