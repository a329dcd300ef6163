/**
 * The operator's peers at start (src/peers/configured-peers.ts): persistent peers become
 * records due for a dial, configured addresses with an id go into libp2p's peer store and
 * the address book; this node's own address and addresses without an id are not dialled.
 */
import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { beforeAll, describe, expect, it } from 'vitest'
import { AddressBook } from '../../src/peers/address-book.ts'
import { loadConfiguredPeers } from '../../src/peers/configured-peers.ts'
import { nodeIdOfPeer } from '../../src/peers/node-id.ts'
import { PeerRegistry } from '../../src/peers/peer-registry.ts'
import { fakeConnection, keptLogger, newPeerIds } from './peer-fakes.ts'

let self: PeerId
let a: PeerId
let b: PeerId
beforeAll(async () => {
  ;[self, a, b] = (await newPeerIds(3)) as [PeerId, PeerId, PeerId]
})

/** `answering` is the peer a dial reaches, whatever the address. */
function harness(bootstrap: string[], persistentPeers: string[], answering?: () => PeerId) {
  const { log, lines } = keptLogger()
  const registry = new PeerRegistry({ log })
  const addressBook = new AddressBook({ self: self.toString(), chainId: 'c' })
  const merged: Array<{ peerId: string; addresses: string[]; signal: AbortSignal | undefined }> = []
  const dialled: string[] = []
  const connections: Array<Connection & { closes: number }> = []
  const events = new EventTarget()
  const libp2p = {
    peerId: self,
    status: 'started' as const,
    addEventListener: events.addEventListener.bind(events),
    removeEventListener: events.removeEventListener.bind(events),
    dial: (async (address: Multiaddr) => {
      dialled.push(address.toString())
      if (answering === undefined) throw new Error('connection refused')
      const connection = fakeConnection({ remotePeer: answering(), remoteAddr: address.toString() })
      connections.push(connection)
      return connection
    }) as never,
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
  const settings = { bootstrap, persistentPeers, timeouts: { dialMs: 1_000 } as never }
  const init = { libp2p, settings, registry, addressBook, log }
  return { init, registry, addressBook, merged, lines, dialled, connections, events }
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
    const warning = lines.find((line) => line.msg.startsWith('persistent peer without an id ignored'))
    expect(warning?.level).toBe('warn')
    expect(warning?.msg).toContain('<peer id or hex node id>@host:port')
  })
})

describe('persistent peers given with a hex node ID', () => {
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  }

  it('dials the address without a peer ID and makes the peer whose key matches persistent', async () => {
    const hex = nodeIdOfPeer(a) as string
    const { init, registry, dialled, lines } = harness(
      [],
      [`${hex.toUpperCase()}@203.0.113.7:26656`],
      () => a,
    )
    const resolver = await loadConfiguredPeers(init)
    await until(() => resolver.unresolved === 0)
    expect(dialled).toEqual(['/ip4/203.0.113.7/tcp/26656'])
    expect(registry.get(a.toString())?.persistent?.toString()).toBe(`/ip4/203.0.113.7/tcp/26656/p2p/${a}`)
    expect(lines.find((line) => line.msg === 'persistent peer identified')).toMatchObject({
      nodeId: hex,
      peer: a.toString(),
    })
  })

  it('closes a connection to another key, logs what answered, and tries again later', async () => {
    const hex = nodeIdOfPeer(a) as string
    const { init, registry, connections, lines } = harness([], [`${hex}@203.0.113.7:26656`], () => b)
    const resolver = await loadConfiguredPeers(init)
    try {
      await until(() => lines.some((line) => line.msg.startsWith('persistent peer refused')))
      const refusal = lines.find((line) => line.msg.startsWith('persistent peer refused'))
      expect(refusal?.level).toBe('warn')
      expect(refusal?.error).toBe(
        `/ip4/203.0.113.7/tcp/26656 is not node ${hex}: it answered with ${b} (node ID ${nodeIdOfPeer(b)})`,
      )
      expect(refusal?.retryInMs).toBeGreaterThan(0)
      await until(() => connections[0]?.status === 'closed')
      expect(connections[0]?.status).toBe('closed')
      expect(registry.get(b.toString())?.persistent).toBeUndefined()
      expect(resolver.unresolved).toBe(1)
    } finally {
      resolver.stop()
    }
  })

  it('retries an unreachable address with backoff, and stops when libp2p stops', async () => {
    const hex = nodeIdOfPeer(a) as string
    const first = harness([], [`${hex}@203.0.113.7:26656`])
    const resolver = await loadConfiguredPeers(first.init)
    try {
      // The first retry comes after 1 s ± 20 % (src/peers/backoff.ts).
      await until(() => first.dialled.length === 1)
      expect(first.lines.find((line) => line.msg === 'persistent peer unreachable')?.level).toBe('info')
      await new Promise((resolve) => setTimeout(resolve, 1_300))
      expect(first.dialled).toHaveLength(2)
    } finally {
      resolver.stop()
    }

    const second = harness([], [`${hex}@203.0.113.7:26656`])
    const stopped = await loadConfiguredPeers(second.init)
    await until(() => second.dialled.length === 1)
    second.events.dispatchEvent(new Event('stop'))
    await new Promise((resolve) => setTimeout(resolve, 1_300))
    expect(second.dialled).toHaveLength(1)
    expect(stopped.unresolved).toBe(1)
  })
})
