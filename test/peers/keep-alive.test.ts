/**
 * 004 §10.1 keep-alive (src/peers/keep-alive.ts): a ping every interval measures the RTT;
 * no answer within the read timeout, a peer without ping, or no traffic for the inactivity
 * timeout drops the peer.
 */
import type { AbortOptions, PeerId } from '@libp2p/interface'
import { beforeAll, describe, expect, it } from 'vitest'
import { AddressBook } from '../../src/peers/address-book.ts'
import { BackgroundWork } from '../../src/peers/background-work.ts'
import { KeepAlive, PING_PROTOCOL } from '../../src/peers/keep-alive.ts'
import { PeerRegistry } from '../../src/peers/peer-registry.ts'
import { fakeConnection, keptLogger, newPeerIds } from './peer-fakes.ts'

const timeouts = { pingIntervalMs: 1_000, readIdleMs: 50, inactivityMs: 10_000 }
let a: PeerId
beforeAll(async () => {
  ;[a] = (await newPeerIds(1)) as [PeerId]
})

function harness(ping: (options?: AbortOptions) => Promise<number>) {
  const { log, lines } = keptLogger()
  const registry = new PeerRegistry({ log })
  const addressBook = new AddressBook({ self: 'self', chainId: 'c' })
  addressBook.add({ peerId: a.toString(), ip: '203.0.113.1', port: 1, source: 'manual' })
  const work = new BackgroundWork()
  const pings: AbortOptions[] = []
  const keepAlive = new KeepAlive({
    ping: {
      ping: (_peer, options) => {
        pings.push(options ?? {})
        return ping(options)
      },
    },
    settings: { timeouts },
    registry,
    work,
    addressBook,
    log,
  })
  const record = registry.record(a)
  const connection = fakeConnection({ remotePeer: a })
  record.connection = connection
  registry.setState(record, 'connected')
  return {
    keepAlive,
    record,
    connection,
    addressBook,
    lines,
    pings,
    stop: () => work.end(),
  }
}

function unsupported(): Error {
  return Object.assign(new Error('protocol selection failed'), { name: 'UnsupportedProtocolError' })
}

const neverAnswers = (options?: AbortOptions): Promise<number> =>
  new Promise((_, reject) => options?.signal?.addEventListener('abort', () => reject(options.signal?.reason)))

describe('KeepAlive', () => {
  it('pings a peer when due and records its RTT, once at a time', async () => {
    const { keepAlive, record, addressBook, pings } = harness(async () => 42)
    const now = Date.now()
    const pinging = keepAlive.check(record, now)
    expect(record.pinging).toBe(true)
    expect(keepAlive.check(record, now + 5_000)).toBeUndefined()
    await pinging
    expect(record).toMatchObject({ rttMs: 42, pinging: false, lastPingAt: now, state: 'connected' })
    expect(addressBook.get(a.toString())?.rttMs).toBe(42)
    expect(keepAlive.check(record, now + 999)).toBeUndefined()
    expect(pings).toHaveLength(1)
  })

  it('does nothing for a peer not connected', () => {
    const { keepAlive, record } = harness(async () => 1)
    record.state = 'handshaking'
    expect(keepAlive.check(record)).toBeUndefined()
  })

  it('drops a peer that does not answer within the read timeout', async () => {
    const { keepAlive, record, connection, lines } = harness(neverAnswers)
    await keepAlive.check(record)
    expect(record.state).toBe('disconnecting')
    expect(connection.status).toBe('closed')
    expect(record.lastError).toMatch(/^no ping answer and nothing else from it within 50 ms/)
    expect(lines.some((line) => line.msg === 'dropping unresponsive peer')).toBe(true)
  })

  it('keeps a peer whose ping failed while it kept sending: it is alive, its answer queued behind its messages', async () => {
    const { keepAlive, record, connection, lines } = harness(async (options) => {
      // A message from the peer arrives while the ping waits (50 ms), then the ping fails.
      setTimeout(() => record.traffic.received(152, 1), 30)
      await neverAnswers(options)
      return 0
    })
    await keepAlive.check(record)
    expect(record.state).toBe('connected')
    expect(connection.status).toBe('open')
    expect(lines.some((line) => line.msg === 'ping failed, peer still sending: kept')).toBe(true)
    expect(lines.some((line) => line.msg === 'dropping unresponsive peer')).toBe(false)
  })

  it('drops a peer whose ping fails at once when nothing else came from it within the read timeout', async () => {
    const { keepAlive, record, connection } = harness(async () => {
      throw new Error('Cannot write to a stream that is closed')
    })
    record.traffic.lastActivity = Date.now() - 1_000
    await keepAlive.check(record)
    expect(connection.status).toBe('closed')
    expect(record.lastError).toMatch(/^no ping answer and nothing else from it within 50 ms \(Cannot write/)
  })

  it(`drops a peer without ${PING_PROTOCOL}, which every PAW peer must answer`, async () => {
    const { keepAlive, record, lines } = harness(async () => {
      throw unsupported()
    })
    await keepAlive.check(record)
    expect(record.lastError).toMatch(/does not speak \/ipfs\/ping\/1.0.0/)
    expect(lines.find((line) => line.msg === 'dropping peer without ping')?.level).toBe('warn')
  })

  it('keeps the peer when the ping was cut short by stop or by the caller', async () => {
    const stopped = harness(neverAnswers)
    const pinging = stopped.keepAlive.check(stopped.record)
    stopped.stop()
    await pinging
    expect(stopped.record.state).toBe('connected')
    const called = harness(neverAnswers)
    const controller = new AbortController()
    const asked = called.keepAlive.check(called.record, Date.now(), { signal: controller.signal })
    controller.abort()
    await asked
    expect(called.record.state).toBe('connected')
  })

  it('drops a peer inactive for the inactivity timeout, without pinging it', async () => {
    const { keepAlive, record, connection, pings } = harness(async () => 1)
    record.traffic.lastActivity = Date.now() - timeouts.inactivityMs - 1
    await keepAlive.check(record)
    expect(record.lastError).toBe('inactive for 10000 ms')
    expect(record.state).toBe('disconnecting')
    expect(connection.status).toBe('closed')
    expect(pings).toEqual([])
  })
})
