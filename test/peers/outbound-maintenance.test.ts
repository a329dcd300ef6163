/**
 * The dials of a maintenance pass (src/peers/outbound-maintenance.ts): persistent peers
 * due, known peers up to min_outbound from the address book or the peer store, one fill
 * at a time, none in seed mode, and failures logged by whose business they are (004 §7.2).
 */
import type { AbortOptions, Peer, PeerId } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { beforeAll, describe, expect, it } from 'vitest'
import type { PeerInfo } from '../../src/api/index.ts'
import { NetworkError } from '../../src/errors.ts'
import { AddressBook } from '../../src/peers/address-book.ts'
import { OutboundMaintenance } from '../../src/peers/outbound-maintenance.ts'
import { PeerGate } from '../../src/peers/peer-gate.ts'
import { PeerRegistry } from '../../src/peers/peer-registry.ts'
import { keptLogger, newPeerIds } from './peer-fakes.ts'

let self: PeerId
let ids: PeerId[]
beforeAll(async () => {
  ;[self, ...ids] = await newPeerIds(6)
})

interface HarnessInit {
  minOutbound?: number
  seedMode?: boolean
  withBook?: boolean
  bootstrap?: string[]
  /** How a dial ends; by default at once, connected. */
  dial?: (address: Multiaddr) => Promise<PeerInfo>
}

function harness(init: HarnessInit = {}) {
  const { log, lines } = keptLogger()
  const registry = new PeerRegistry({ log })
  const gate = new PeerGate()
  const addressBook =
    init.withBook === false ? undefined : new AddressBook({ self: self.toString(), chainId: 'c' })
  const dialled: Array<{ address: string; options: AbortOptions }> = []
  const pending = new Set<string>()
  const known: Peer[] = []
  const outbound = new OutboundMaintenance({
    libp2p: { peerId: self, peerStore: { all: async () => known } as never },
    settings: {
      bootstrap: init.bootstrap ?? [],
      seedMode: init.seedMode ?? false,
      limits: { maxPeers: 10, maxInbound: 5, maxOutbound: 5, minOutbound: init.minOutbound ?? 2 },
      dialQueueSize: 8,
    },
    registry,
    dialler: {
      pending,
      activeOutbound: () => pending.size,
      connectToPeer: (target, options = {}) => {
        const address = typeof target === 'string' ? multiaddr(target) : target
        dialled.push({ address: address.toString(), options })
        return init.dial?.(address) ?? Promise.resolve({ state: 'connected' } as PeerInfo)
      },
    },
    gate,
    addressBook,
    log,
  })
  const learn = (peerId: PeerId, ip: string): void => {
    addressBook?.add({ peerId: peerId.toString(), ip, port: 26656, source: 'manual' })
  }
  return { outbound, registry, addressBook, dialled, known, lines, learn }
}

describe('OutboundMaintenance', () => {
  it('dials persistent peers whose backoff has run out, whatever the outbound count', () => {
    const { outbound, registry, dialled } = harness({ minOutbound: 0 })
    const due = registry.record(ids[0] as PeerId)
    due.persistent = multiaddr(`/ip4/203.0.113.1/tcp/1/p2p/${ids[0]}`)
    const waiting = registry.record(ids[1] as PeerId)
    waiting.persistent = multiaddr(`/ip4/203.0.113.2/tcp/1/p2p/${ids[1]}`)
    waiting.nextDialAt = Date.now() + 60_000
    outbound.dial()
    expect(dialled.map(({ address }) => address)).toEqual([due.persistent.toString()])
  })

  it('fills toward min_outbound from the address book candidates', async () => {
    const { outbound, dialled, learn } = harness({ minOutbound: 4 })
    learn(ids[0] as PeerId, '203.0.113.1')
    learn(ids[1] as PeerId, '198.51.100.1')
    await Promise.all(outbound.dial())
    expect(dialled.map(({ address }) => address).sort()).toEqual(
      [`/ip4/198.51.100.1/tcp/26656/p2p/${ids[1]}`, `/ip4/203.0.113.1/tcp/26656/p2p/${ids[0]}`].sort(),
    )
  })

  it('passes the pass’s signal to its dials', async () => {
    const { outbound, dialled, learn } = harness({ minOutbound: 1, dial: () => new Promise(() => {}) })
    learn(ids[0] as PeerId, '203.0.113.1')
    const signal = new AbortController().signal
    outbound.dial(Date.now(), { signal })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(dialled[0]?.options.signal).toBe(signal)
  })

  it('skips peers not disconnected or backing off, and says whether the book has a candidate', () => {
    const { outbound, registry, learn } = harness()
    learn(ids[0] as PeerId, '203.0.113.1')
    expect(outbound.hasCandidates()).toBe(true)
    registry.record(ids[0] as PeerId).nextDialAt = Date.now() + 60_000
    expect(outbound.hasCandidates()).toBe(false)
    expect(harness({ withBook: false }).outbound.hasCandidates()).toBe(false)
  })

  it('runs one fill at a time', async () => {
    const { outbound, lines, learn, dialled } = harness({ minOutbound: 1, dial: () => new Promise(() => {}) })
    learn(ids[0] as PeerId, '203.0.113.1')
    const first = outbound.dial()
    expect(outbound.dial()).toEqual([])
    expect(lines.some((line) => line.msg === 'outbound fill still running')).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(dialled).toHaveLength(1)
    expect(first).toHaveLength(1)
  })

  it('keeps no outbound peers in seed mode', async () => {
    const { outbound, dialled, learn } = harness({ seedMode: true })
    learn(ids[0] as PeerId, '203.0.113.1')
    await Promise.all(outbound.dial())
    expect(dialled).toEqual([])
  })

  it('falls back to the peer store without an address book', async () => {
    const { outbound, dialled, known } = harness({ withBook: false, minOutbound: 1 })
    known.push({ id: ids[0], addresses: [{ multiaddr: multiaddr('/ip4/203.0.113.7/tcp/26656') }] } as Peer)
    await Promise.all(outbound.dial())
    expect(dialled.map(({ address }) => address)).toEqual([`/ip4/203.0.113.7/tcp/26656/p2p/${ids[0]}`])
  })

  it('logs an unreachable bootstrap or persistent peer at INFO, other candidates at DEBUG', async () => {
    const bootstrap = `/ip4/203.0.113.1/tcp/26656/p2p/${ids[0]}`
    const { outbound, lines, learn } = harness({
      minOutbound: 3,
      bootstrap: [bootstrap],
      dial: async () => {
        throw new NetworkError('refused')
      },
    })
    learn(ids[0] as PeerId, '203.0.113.1')
    learn(ids[1] as PeerId, '198.51.100.1')
    await Promise.all(outbound.dial())
    const failures = lines.filter((line) => line.msg.startsWith('min-outbound'))
    expect(failures.map(({ level, address }) => [level, address]).sort()).toEqual(
      [
        ['info', bootstrap],
        ['debug', `/ip4/198.51.100.1/tcp/26656/p2p/${ids[1]}`],
      ].sort(),
    )
  })
})
