/**
 * Discovery's answer to the caller's signal (src/peers/discovery.ts): the signal reaches
 * the dials and get_peers requests, an aborted call rejects with the signal's reason, and
 * a seed the caller gave up on is not backed off as if it had failed; and which new peers
 * are asked on connecting (protocols/peers.md "How a node uses it"). The rest of discovery
 * runs between real nodes in test/e2e/peer-discovery.test.ts.
 */
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { beforeAll, describe, expect, it } from 'vitest'
import type { PeerInfo } from '../../src/api/index.ts'
import { silentLogger } from '../../src/logging.ts'
import { AddressBook } from '../../src/peers/address-book.ts'
import { Discovery } from '../../src/peers/discovery.ts'
import type { PeerList } from '../../src/wire/peer-list.ts'
import { newPeerIds } from './peer-fakes.ts'

let self: PeerId
let seed: PeerId
let listed: PeerId
beforeAll(async () => {
  ;[self, seed, listed] = (await newPeerIds(3)) as [PeerId, PeerId, PeerId]
})

function harness(
  connect: (address: Multiaddr, options?: AbortOptions) => Promise<PeerInfo>,
  connected: PeerInfo[] = [],
) {
  const book = new AddressBook({ self: self.toString(), chainId: 'c' })
  const signals: Array<AbortSignal | undefined> = []
  const asked: string[] = []
  const discovery = new Discovery({
    book,
    peers: {
      connectToPeer: (address, options) => {
        signals.push(options?.signal)
        return connect(address, options)
      },
      connectedPeers: () => connected,
      disconnectPeer: () => {},
      outbound: () => 0,
      minOutbound: () => 1,
      hasCandidates: () => false,
    },
    getPeers: async (peerId, options): Promise<PeerList> => {
      asked.push(peerId)
      signals.push(options?.signal)
      return { peers: [{ id: listed.toString(), ip: '203.0.113.5', port: 26656 }], skipped: [] }
    },
    mayAsk: () => true,
    seeds: ['198.51.100.1:26656'],
    log: silentLogger,
  })
  return { discovery, book, signals, asked }
}

describe('Discovery with a signal', () => {
  it('hands the signal to the seed dial and the get_peers request', async () => {
    const { discovery, book, signals } = harness(async () => ({ peerId: seed.toString() }) as PeerInfo)
    const signal = new AbortController().signal
    expect(await discovery.discoverPeers({ signal })).toBe(1)
    expect(signals).toEqual([signal, signal])
    expect(book.size).toBe(1)
  })

  it("rejects with the signal's reason, and does not back the seed off for it", async () => {
    const controller = new AbortController()
    const { discovery, signals } = harness(
      (_address, options) =>
        new Promise((_, reject) =>
          options?.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
        ),
    )
    const discovering = discovery.discoverPeers({ signal: controller.signal })
    while (signals.length === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    controller.abort(new Error('enough'))
    await expect(discovering).rejects.toThrow('enough')
    expect(discovery.stats()).toMatchObject({ seedDials: 1, seedFailures: 0 })
    await expect(discovery.tick({ signal: controller.signal })).rejects.toThrow('enough')
  })
})

describe('Discovery on a new connection', () => {
  const peer = (direction: 'inbound' | 'outbound'): PeerInfo =>
    ({ peerId: (direction === 'outbound' ? seed : listed).toString(), direction }) as PeerInfo

  it('asks a peer it dialled, not one that dialled it', async () => {
    const { discovery, book, asked } = harness(() => Promise.reject(new Error('no dial here')))
    expect(await discovery.onConnected(peer('inbound'))).toBe(0)
    expect(asked).toEqual([])
    expect(await discovery.onConnected(peer('outbound'))).toBe(1)
    expect(asked).toEqual([seed.toString()])
    expect(book.size).toBe(1)
  })

  it('still asks an inbound peer when discoverPeers() is called', async () => {
    const inbound = peer('inbound')
    const { discovery, asked } = harness(() => Promise.reject(new Error('no dial here')), [inbound])
    await discovery.onConnected(inbound)
    expect(asked).toEqual([])
    expect(await discovery.discoverPeers()).toBe(1)
    expect(asked).toEqual([inbound.peerId])
  })
})
