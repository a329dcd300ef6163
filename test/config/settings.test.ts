/**
 * Settings: the defaults of 004 §10.1, the profiles of §10.2, and validation errors that
 * name the config.toml key (DECISIONS.md "Connections").
 */
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  definitionOf,
  resolveSettings,
  SETTING_NAMES,
  type SettingsInput,
  setSetting,
} from '../../src/config/settings.ts'

/** The ConfigError `input` raises (fails the test if it raises nothing or something else). */
function configErrorOf(input: SettingsInput): ConfigError {
  try {
    resolveSettings(input)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error(`resolveSettings(${JSON.stringify(input)}) did not throw`)
}

describe('defaults (004 §10.1)', () => {
  const settings = resolveSettings()

  it('peer limits: 100 total, 50 inbound, 50 outbound, 10 min outbound', () => {
    expect(settings.profile).toBe('default')
    expect(settings.limits).toEqual({ maxPeers: 100, maxInbound: 50, maxOutbound: 50, minOutbound: 10 })
  })

  it('timeouts: dial 5 s, handshake 10 s, read 30 s, write 5 s, ping 30 s, inactivity 5 min', () => {
    expect(settings.timeouts).toEqual({
      dialMs: 5_000,
      handshakeMs: 10_000,
      readIdleMs: 30_000,
      writeMs: 5_000,
      pingIntervalMs: 30_000,
      inactivityMs: 300_000,
    })
  })

  it('dial queue of 100 (004 §6.2), info logs in plain text, TCP 26656', () => {
    expect(settings.dialQueueSize).toBe(100)
    expect(settings.logLevel).toBe('info')
    expect(settings.logFormat).toBe('plain')
    expect(settings.tcpPort).toBe(26656)
    expect(settings.chainId).toBe('paw-devnet')
    expect(settings.nodeType).toBe('miner')
  })

  it('a partial timeouts object keeps the other defaults', () => {
    const { timeouts } = resolveSettings({ timeouts: { pingIntervalMs: 200 } })
    expect(timeouts.pingIntervalMs).toBe(200)
    expect(timeouts.handshakeMs).toBe(10_000)
    expect(timeouts.inactivityMs).toBe(300_000)
  })
})

describe('profiles (004 §10.2)', () => {
  it('high-traffic: 200/100/100, min outbound 10', () => {
    expect(resolveSettings({ profile: 'high-traffic' }).limits).toEqual({
      maxPeers: 200,
      maxInbound: 100,
      maxOutbound: 100,
      minOutbound: 10,
    })
  })

  it('low-resource: 20/10/10, min outbound 10', () => {
    expect(resolveSettings({ profile: 'low-resource' }).limits).toEqual({
      maxPeers: 20,
      maxInbound: 10,
      maxOutbound: 10,
      minOutbound: 10,
    })
  })

  it('explicit limits override the profile, field by field', () => {
    const settings = resolveSettings({ profile: 'high-traffic', limits: { maxInbound: 30, minOutbound: 4 } })
    expect(settings.profile).toBe('high-traffic')
    expect(settings.limits).toEqual({ maxPeers: 200, maxInbound: 30, maxOutbound: 100, minOutbound: 4 })
  })

  it('an unknown profile names p2p.profile', () => {
    expect(configErrorOf({ profile: 'huge' as never }).key).toBe('p2p.profile')
  })
})

describe('validation names the config.toml key', () => {
  it.each<[string, SettingsInput, string]>([
    [
      'max_inbound above max_peers',
      { limits: { maxPeers: 10, maxInbound: 11, maxOutbound: 5 } },
      'p2p.max_inbound',
    ],
    [
      'max_outbound above max_peers',
      { limits: { maxPeers: 10, maxInbound: 5, maxOutbound: 11 } },
      'p2p.max_outbound',
    ],
    ['min_outbound above max_outbound', { limits: { maxOutbound: 5, minOutbound: 6 } }, 'p2p.min_outbound'],
    ['a chain ID of 33 bytes', { chainId: 'x'.repeat(33) }, 'chain_id'],
    ['an empty chain ID', { chainId: '' }, 'chain_id'],
    ["log level 'verbose'", { logLevel: 'verbose' as never }, 'log.level'],
    ["log format 'xml'", { logFormat: 'xml' as never }, 'log.format'],
    ['a negative port', { tcpPort: -1 }, 'p2p.port'],
    ['a port above 65535', { tcpPort: 65_536 }, 'p2p.port'],
    ['a negative WebSockets port', { wsPort: -5 }, 'p2p.ws_port'],
    ['dial_queue_size 101', { dialQueueSize: 101 }, 'p2p.dial_queue_size'],
    ['dial_queue_size 0', { dialQueueSize: 0 }, 'p2p.dial_queue_size'],
    ['max_peers 0', { limits: { maxPeers: 0 } }, 'p2p.max_peers'],
    ['a fractional max_peers', { limits: { maxPeers: 10.5 } }, 'p2p.max_peers'],
    ['a zero handshake timeout', { timeouts: { handshakeMs: 0 } }, 'p2p.handshake_timeout_ms'],
    ['a string read timeout', { timeouts: { readIdleMs: '30s' as never } }, 'p2p.read_timeout_ms'],
    ['a negative inactivity timeout', { timeouts: { inactivityMs: -1 } }, 'p2p.inactivity_timeout_ms'],
    ['a maintenance interval under 10 ms', { maintenanceIntervalMs: 5 }, 'p2p.maintenance_interval_ms'],
    ['a bootstrap entry that is empty', { bootstrap: [''] }, 'p2p.bootstrap'],
    ['an empty listen host', { listenHost: '' }, 'p2p.listen_host'],
  ])('%s → %s', (_what, input, key) => {
    const error = configErrorOf(input)
    expect(error.key).toBe(key)
    expect(error.code).toBe('ERR_INVALID_CONFIG')
    expect(error.message).toContain(key)
  })

  it('the edges are accepted: port 0 and null, dial queue 1 and 100, a 32-byte chain ID', () => {
    expect(resolveSettings({ tcpPort: 0, wsPort: null }).tcpPort).toBe(0)
    expect(resolveSettings({ tcpPort: 65_535 }).tcpPort).toBe(65_535)
    expect(resolveSettings({ wsPort: null }).wsPort).toBeNull()
    expect(resolveSettings({ dialQueueSize: 1 }).dialQueueSize).toBe(1)
    expect(resolveSettings({ dialQueueSize: 100 }).dialQueueSize).toBe(100)
    expect(resolveSettings({ chainId: 'x'.repeat(32) }).chainId).toBe('x'.repeat(32))
    expect(
      resolveSettings({ limits: { maxPeers: 10, maxInbound: 10, maxOutbound: 10, minOutbound: 10 } }).limits,
    ).toEqual({ maxPeers: 10, maxInbound: 10, maxOutbound: 10, minOutbound: 10 })
  })

  it('the low-resource profile with a lower max_outbound must lower min_outbound too', () => {
    expect(configErrorOf({ profile: 'low-resource', limits: { maxOutbound: 5 } }).key).toBe(
      'p2p.min_outbound',
    )
  })
})

describe('each setting checked as its definition says (src/config/setting-definitions.ts)', () => {
  const integers = SETTING_NAMES.filter((name) => definitionOf(name).kind === 'integer')

  it.each(integers)(
    '%s: one below its minimum and one above its maximum are refused, naming key and range',
    (name) => {
      const { key, min, max } = definitionOf(name)
      for (const value of [(min ?? 0) - 1, (max ?? 0) + 1]) {
        const input: SettingsInput = {}
        setSetting(input, name, value)
        const error = configErrorOf(input)
        expect(error.key).toBe(key)
        expect(error.message).toBe(
          `invalid setting ${key}: must be an integer from ${min} to ${max}, got ${value}`,
        )
      }
    },
  )

  it('relations name settings that exist', () => {
    for (const name of SETTING_NAMES) {
      const { atMost, pairedWith } = definitionOf(name)
      for (const other of [atMost, pairedWith]) {
        if (other !== undefined) expect(SETTING_NAMES, `${name} names ${other}`).toContain(other)
      }
    }
  })

  it('a chain ID that is not a string names chain_id', () => {
    expect(configErrorOf({ chainId: 7 as never }).message).toBe(
      'invalid setting chain_id: must be a string, got 7',
    )
  })

  it('the wss certificate and key go together', () => {
    expect(configErrorOf({ wsTlsCertFile: '/a' }).message).toBe(
      'invalid setting p2p.ws_tls_key_file: is needed with p2p.ws_tls_cert_file',
    )
    expect(configErrorOf({ wsTlsKeyFile: '/a' }).key).toBe('p2p.ws_tls_cert_file')
    expect(resolveSettings({ wsTlsCertFile: '/a', wsTlsKeyFile: '/b' }).wsTlsKeyFile).toBe('/b')
  })

  it('a per-peer memory budget above the node one names max_peer_buffer_mib', () => {
    expect(configErrorOf({ bufferMemory: { nodeMiB: 20 } }).message).toBe(
      'invalid setting p2p.max_peer_buffer_mib: 24 is above p2p.max_buffer_mib (20)',
    )
  })
})
