/**
 * Peer addresses as operators write them: multiaddrs and CometBFT's id@host:port, the id a
 * peer ID or the legacy hex node ID.
 */
import { describe, expect, it } from 'vitest'
import { AddressError, parsePeerAddress, parsePeerTarget } from '../../src/peers/address.ts'

const ID = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'

describe('parsePeerAddress', () => {
  it('a multiaddr text is kept as it is', () => {
    const text = `/ip4/10.0.0.1/tcp/26656/p2p/${ID}`
    expect(parsePeerAddress(text).toString()).toBe(text)
    expect(parsePeerAddress(`  ${text}\n`).toString()).toBe(text)
    expect(parsePeerAddress('/ip4/10.0.0.1/tcp/26656').toString()).toBe('/ip4/10.0.0.1/tcp/26656')
  })

  it('id@1.2.3.4:26656 → /ip4', () => {
    expect(parsePeerAddress(`${ID}@1.2.3.4:26656`).toString()).toBe(`/ip4/1.2.3.4/tcp/26656/p2p/${ID}`)
  })

  it('id@[::1]:26656 → /ip6', () => {
    expect(parsePeerAddress(`${ID}@[::1]:26656`).toString()).toBe(`/ip6/::1/tcp/26656/p2p/${ID}`)
  })

  it('id@seed1.example.org:26656 → /dns', () => {
    expect(parsePeerAddress(`${ID}@seed1.example.org:26656`).toString()).toBe(
      `/dns/seed1.example.org/tcp/26656/p2p/${ID}`,
    )
  })

  it('ports 1 and 65535 are accepted', () => {
    expect(parsePeerAddress(`${ID}@1.2.3.4:1`).toString()).toContain('/tcp/1/')
    expect(parsePeerAddress(`${ID}@1.2.3.4:65535`).toString()).toContain('/tcp/65535/')
  })

  it.each([
    ['garbage', 'not an address'],
    ['an empty string', ''],
    ['a bad multiaddr', '/ip4/999.1.1.1/tcp/1'],
    ['an unknown protocol', '/nonsense/1'],
    ['port 0', `${ID}@1.2.3.4:0`],
    ['port 70000', `${ID}@1.2.3.4:70000`],
    ['a missing id', '@1.2.3.4:26656'],
    ['a missing port', `${ID}@1.2.3.4`],
    // Caught at parse time, so config.toml and --persistent-peers name the bad entry.
    ['an id that is not a peer id', 'notapeerid@1.2.3.4:26656'],
    ['a multiaddr whose /p2p/ is not a peer id', '/ip4/1.2.3.4/tcp/26656/p2p/notapeerid'],
    ['an unbracketed IPv6 host', `${ID}@::1:26656`],
  ])('%s is an AddressError', (_what, text) => {
    let caught: unknown
    try {
      parsePeerAddress(text)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(AddressError)
    expect((caught as AddressError).code).toBe('ERR_INVALID_ADDRESS')
  })
})

describe('seed addresses', () => {
  it('host:port without a peer ID → a multiaddr without /p2p (004 §2.2 seeds)', () => {
    expect(parsePeerAddress('seed1.paw.network:26656').toString()).toBe('/dns/seed1.paw.network/tcp/26656')
    expect(parsePeerAddress('35.184.142.101:26656').toString()).toBe('/ip4/35.184.142.101/tcp/26656')
    expect(parsePeerAddress('[2001:db8::1]:26656').toString()).toBe('/ip6/2001:db8::1/tcp/26656')
    expect(() => parsePeerAddress('seed1.paw.network')).toThrow(/host:port/)
  })
})

describe('the hex node ID of show-node-id', () => {
  const HEX = '8a2bc65a9e5989c3a2a9c8de0970b48001fcca3e'

  it('<hex>@host:port → dialled without a peer ID, the hex kept (lower case) to check the key', () => {
    expect(parsePeerTarget(`${HEX}@127.0.0.1:26656`)).toEqual({
      address: parsePeerAddress('127.0.0.1:26656'),
      nodeId: HEX,
    })
    expect(parsePeerTarget(`${HEX.toUpperCase()}@[::1]:26656`).nodeId).toBe(HEX)
    expect(parsePeerTarget(`${HEX}@seed1.example.org:26656`).address.toString()).toBe(
      '/dns/seed1.example.org/tcp/26656',
    )
    expect(parsePeerAddress(`${HEX}@127.0.0.1:26656`).toString()).toBe('/ip4/127.0.0.1/tcp/26656')
    expect(parsePeerTarget(`${ID}@1.2.3.4:26656`).nodeId).toBeUndefined()
    expect(parsePeerTarget('1.2.3.4:26656').nodeId).toBeUndefined()
  })

  it.each([
    ['39 hex digits', `${HEX.slice(1)}@1.2.3.4:26656`],
    ['41 hex digits', `${HEX}0@1.2.3.4:26656`],
    ['a typo in a peer ID', `${ID.slice(0, -1)}@1.2.3.4:26656`],
  ])('%s: the error names the accepted ids', (_what, text) => {
    expect(() => parsePeerAddress(text)).toThrow(
      /not a valid peer ID in .*\(expected a peer ID \(12D3KooW…, Qm…\) or the 40 hex digits of the node ID that `show-node-id` prints second\)/,
    )
  })

  it('a hex node ID in a multiaddr points to the id@host:port form', () => {
    expect(() => parsePeerAddress(`/ip4/1.2.3.4/tcp/26656/p2p/${HEX}`)).toThrow(
      `/p2p/ takes a peer ID (12D3KooW…); write a hex node ID as ${HEX}@host:port`,
    )
  })

  it('text of no form at all names every form', () => {
    expect(() => parsePeerAddress('nowhere')).toThrow(
      /expected a multiaddr \(.*\), id@host:port \(id: a peer ID .* or the 40 hex digits .*\) or host:port/,
    )
  })
})
