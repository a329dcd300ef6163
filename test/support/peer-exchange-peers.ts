/**
 * Helpers for /paw/peers/1 tests: a raw peer's request stream seen as frames, a raw peer
 * that answers get_peers with a list of its choosing, and real peer IDs in bulk.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { PEERS_PROTOCOL } from '../../src/protocols/peers/peers-protocol.ts'
import { FrameType } from '../../src/wire/constants.ts'
import { encodePeerList, type PeerAddress } from '../../src/wire/peer-list.ts'
import { RawFrames } from './mempool-peers.ts'
import type { RawPeer } from './nodes.ts'

/** Opens /paw/peers/1 on the raw peer's connection to a node. */
export async function openPeersStream(connection: Connection): Promise<RawFrames> {
  return new RawFrames(await connection.newStream(PEERS_PROTOCOL))
}

/**
 * Makes the raw peer answer every get_peers on /paw/peers/1 with `list` (one `peers`
 * frame, then close). Returns how many requests it has answered so far.
 */
export async function servePeerList(peer: RawPeer, list: readonly PeerAddress[]): Promise<() => number> {
  let answered = 0
  const payload = encodePeerList(list)
  await peer.libp2p.handle(PEERS_PROTOCOL, async (stream) => {
    const frames = new RawFrames(stream)
    const request = await frames.next(5_000).catch(() => undefined)
    if (request?.type !== FrameType.GetPeers) {
      stream.abort(new Error('expected get_peers'))
      return
    }
    frames.send(FrameType.Peers, payload)
    answered++
    await stream.close().catch(() => {})
  })
  return () => answered
}

/** `count` distinct real peer IDs (Ed25519), as strings. */
export async function peerIds(count: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) ids.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())
  return ids
}
