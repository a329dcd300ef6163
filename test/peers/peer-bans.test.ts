/**
 * Banning (src/peers/peer-bans.ts): the ban is in force at once and the peer disconnected,
 * the public IP it was seen at is banned with it (never a private one), and unban lifts it.
 */
import type { PeerId } from '@libp2p/interface'
import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode, type PawError } from '../../src/errors.ts'
import { silentLogger } from '../../src/logging.ts'
import { BanList, type BanListDocument } from '../../src/peers/ban-list.ts'
import { MemoryJsonStore } from '../../src/peers/json-store.ts'
import { PeerBans } from '../../src/peers/peer-bans.ts'
import { PeerRegistry } from '../../src/peers/peer-registry.ts'
import { fakeConnection, keptLogger, newPeerIds } from './peer-fakes.ts'

let a: PeerId
let b: PeerId
beforeAll(async () => {
  ;[a, b] = (await newPeerIds(2)) as [PeerId, PeerId]
})

async function harness(withList = true) {
  const bans = withList ? await BanList.open({ store: new MemoryJsonStore<BanListDocument>() }) : undefined
  const registry = new PeerRegistry({ log: silentLogger })
  const disconnects: Array<{ peerId: string; error: PawError; bannedYet: boolean }> = []
  const { log, lines } = keptLogger()
  const peerBans = new PeerBans({
    bans,
    registry,
    log,
    disconnect: (peerId, error) =>
      disconnects.push({ peerId, error, bannedYet: bans?.isBanned(peerId) !== undefined }),
  })
  const connect = (peerId: PeerId, remoteAddr: string) => {
    registry.record(peerId).connection = fakeConnection({ remotePeer: peerId, remoteAddr })
  }
  return { bans, peerBans, disconnects, lines, connect }
}

const options = { durationMs: 60_000, reason: 'spam', source: 'operator' } as const

describe('PeerBans', () => {
  it('bans a connected peer and its public IP, disconnecting it with 0x07 once the ban holds', async () => {
    const { peerBans, disconnects, lines, connect } = await harness()
    connect(a, '/ip4/203.0.113.5/tcp/4001')
    const ban = await peerBans.ban(a.toString(), options)
    expect(ban).toMatchObject({ peerId: a.toString(), ip: '203.0.113.5', reason: 'spam' })
    expect(disconnects).toHaveLength(1)
    expect(disconnects[0]).toMatchObject({ peerId: a.toString(), bannedYet: true })
    expect(disconnects[0]?.error.wireCode).toBe(ErrorCode.ReputationRejection)
    expect(disconnects[0]?.error.message).toBe('banned: spam')
    expect(lines.find((line) => line.msg === 'peer banned')).toMatchObject({
      peer: a.toString(),
      source: 'operator',
    })
    expect(peerBans.list().map((entry) => entry.peerId)).toEqual([a.toString()])
  })

  it('never bans a loopback or private IP it saw, but takes one it is given', async () => {
    const { peerBans, connect } = await harness()
    connect(a, '/ip4/192.168.1.20/tcp/4001')
    expect((await peerBans.ban(a.toString(), options)).ip).toBeUndefined()
    expect((await peerBans.ban(b.toString(), { ...options, ip: '198.51.100.7' })).ip).toBe('198.51.100.7')
  })

  it('lifts a ban once', async () => {
    const { peerBans, lines } = await harness()
    await peerBans.ban(a.toString(), options)
    expect(await peerBans.unban(a.toString())).toBe(true)
    expect(await peerBans.unban(a.toString())).toBe(false)
    expect(peerBans.list()).toEqual([])
    expect(lines.filter((line) => line.msg === 'peer unbanned')).toHaveLength(1)
  })

  it('refuses to ban without a ban list; unban and list say there is none', async () => {
    const { peerBans } = await harness(false)
    await expect(peerBans.ban(a.toString(), options)).rejects.toBeInstanceOf(TypeError)
    expect(await peerBans.unban(a.toString())).toBe(false)
    expect(peerBans.list()).toEqual([])
  })

  it("rejects with the signal's reason when already aborted, banning nobody", async () => {
    const { peerBans, bans } = await harness()
    const signal = AbortSignal.abort(new Error('stop'))
    await expect(peerBans.ban(a.toString(), { ...options, signal })).rejects.toThrow('stop')
    await expect(peerBans.unban(a.toString(), { signal })).rejects.toThrow('stop')
    expect(bans?.isBanned(a.toString())).toBeUndefined()
  })
})
