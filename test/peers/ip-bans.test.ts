/**
 * Banning an IP or a subnet (src/peers/ip-bans.ts): in force at once, the peers connected from
 * inside it disconnected, the others kept; lifted by the range it names.
 */
import type { PeerId } from '@libp2p/interface'
import { beforeAll, describe, expect, it } from 'vitest'
import type { PeerInfo } from '../../src/api/peers.ts'
import { ErrorCode, type PawError } from '../../src/errors.ts'
import { BanList, type BanListDocument } from '../../src/peers/ban-list.ts'
import { IpBans } from '../../src/peers/ip-bans.ts'
import { MemoryJsonStore } from '../../src/peers/json-store.ts'
import { keptLogger, newPeerIds } from './peer-fakes.ts'

let ids: PeerId[]
beforeAll(async () => {
  ids = await newPeerIds(4)
})

function peer(id: PeerId, remoteAddr: string | undefined, state: PeerInfo['state'] = 'connected'): PeerInfo {
  return { peerId: id.toString(), state, remoteAddr } as PeerInfo
}

describe('IpBans', () => {
  it('disconnects the peers inside the range at once, and only those', async () => {
    const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>() })
    const { log, lines } = keptLogger()
    const disconnected: Array<{ peerId: string; error: PawError }> = []
    const [inside, outside, mapped, gone] = ids as [PeerId, PeerId, PeerId, PeerId]
    const ipBans = new IpBans({
      bans,
      peers: () => [
        peer(inside, '/ip4/10.1.7.7/tcp/4001'),
        peer(outside, '/ip4/10.2.0.1/tcp/4001'),
        peer(mapped, '/ip6/::ffff:10.1.0.9/tcp/4001', 'handshaking'),
        peer(gone, undefined, 'disconnected'),
      ],
      disconnect: (peerId, error) => {
        // In force before the save: nothing inside can connect again meanwhile.
        expect(bans.isIpBanned('10.1.0.1')).toBeDefined()
        disconnected.push({ peerId, error })
      },
      log,
    })
    const ban = await ipBans.ban('10.1.0.0/16', { durationMs: 60_000, reason: 'scanner', source: 'operator' })
    expect(ban.ip).toBe('10.1.0.0/16')
    expect(disconnected.map((d) => d.peerId)).toEqual([inside.toString(), mapped.toString()])
    expect(disconnected[0]?.error.wireCode).toBe(ErrorCode.ReputationRejection)
    expect(disconnected[0]?.error.message).toBe('banned: scanner')
    expect(lines.find((line) => line.msg === 'address banned')).toMatchObject({
      level: 'warn',
      ip: '10.1.0.0/16',
      disconnected: 2,
    })
    expect(ipBans.list()).toEqual([ban])
    expect(await ipBans.unban('10.1.9.9/16')).toBe(true)
    expect(ipBans.list()).toEqual([])
    expect(lines.find((line) => line.msg === 'address unbanned')?.ip).toBe('10.1.0.0/16')
  })

  it('disconnects nobody when the ban is refused', async () => {
    const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>() })
    const disconnected: string[] = []
    const ipBans = new IpBans({
      bans,
      peers: () => [peer(ids[0] as PeerId, '/ip4/10.1.7.7/tcp/4001')],
      disconnect: (peerId) => disconnected.push(peerId),
      log: keptLogger().log,
    })
    await expect(
      ipBans.ban('10.1.0.0/16', { durationMs: 0, reason: 'r', source: 'operator' }),
    ).rejects.toThrow(RangeError)
    await expect(
      ipBans.ban('10.1.0.0/40', { durationMs: 1, reason: 'r', source: 'operator' }),
    ).rejects.toThrow(TypeError)
    expect(disconnected).toEqual([])
  })
})
