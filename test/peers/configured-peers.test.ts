/**
 * The operator's peers at start (src/peers/configured-peers.ts): persistent peers become
 * records due for a dial, configured addresses with an id go into libp2p's peer store and
 * the address book; this node's own address and addresses without an id are not dialled.
 */
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { beforeAll, describe, expect, it } from 'vitest'
import { AddressBook } from '../../src/peers/address-book.ts'
import { loadConfiguredPeers } from '../../src/peers/configured-peers.ts'
import { PeerRegistry } from '../../src/peers/peer-registry.ts'
import { keptLogger, newPeerIds } from './peer-fakes.ts'

let self: PeerId
let a: PeerId
let b: PeerId
beforeAll(async () => {
  ;[self, a, b] = (await newPeerIds(3)) as [PeerId, PeerId, PeerId]
})

function harness(bootstrap: string[], persistentPeers: string[]) {
  const { log, lines } = keptLogger()
  const registry = new PeerRegistry({ log })
  const addressBook = new AddressBook({ self: self.toString(), chainId: 'c' })
  const merged: Array<{ peerId: string; addresses: string[]; signal: AbortSignal | undefined }> = []
  const libp2p = {
    peerId: self,
    peerStore: {
      merge: async (
        peerId: PeerId,
        data: { multiaddrs: Multiaddr[] },
        options?: { signal?: AbortSignal },
      ) => {
        merged.push({
          peerId: peerId.toString(),
          addresses: data.multiaddrs.map(String),
          signal: options?.signal,
        })
      },
    } as never,
  }
  const init = { libp2p, settings: { bootstrap, persistentPeers }, registry, addressBook, log }
  return { init, registry, addressBook, merged, lines }
}

describe('loadConfiguredPeers', () => {
  it('marks persistent peers due now and remembers every configured address with an id', async () => {
    const persistent = `/ip4/203.0.113.1/tcp/26656/p2p/${a}`
    const bootstrap = `${b}@198.51.100.2:26656`
    const { init, registry, addressBook, merged } = harness([bootstrap, '192.0.2.9:26656'], [persistent])
    const signal = new AbortController().signal
    await loadConfiguredPeers(init, { signal })
    const record = registry.get(a.toString())
    expect(record?.persistent?.toString()).toBe(persistent)
    expect(record?.nextDialAt).toBe(0)
    expect(merged).toEqual([
      { peerId: b.toString(), addresses: ['/ip4/198.51.100.2/tcp/26656'], signal },
      { peerId: a.toString(), addresses: ['/ip4/203.0.113.1/tcp/26656'], signal },
    ])
    expect(addressBook.get(b.toString())).toMatchObject({
      ip: '198.51.100.2',
      port: 26656,
      source: 'bootstrap',
    })
    expect(addressBook.size).toBe(2)
  })

  it('skips this node itself, and warns of a persistent peer without an id', async () => {
    const { init, registry, merged, lines } = harness(
      [`/ip4/127.0.0.1/tcp/1/p2p/${self}`],
      ['203.0.113.3:26656'],
    )
    await loadConfiguredPeers(init)
    expect(merged).toEqual([])
    expect(registry.records.size).toBe(0)
    expect(lines.find((line) => line.msg === 'persistent peer without /p2p/<id> ignored')?.level).toBe('warn')
  })
})
