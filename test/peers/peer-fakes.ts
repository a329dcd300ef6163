/**
 * Cheap stand-ins for the peer manager's unit tests: peer IDs, libp2p connections that
 * close when asked, and a logger that keeps its lines. Real objects everywhere else.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createLogger, type Logger } from '../../src/logging.ts'

export async function newPeerId(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

export async function newPeerIds(count: number): Promise<PeerId[]> {
  return Promise.all(Array.from({ length: count }, () => newPeerId()))
}

export interface FakeConnectionInit {
  remotePeer: PeerId
  remoteAddr?: string
  direction?: 'inbound' | 'outbound'
  status?: 'open' | 'closing' | 'closed'
  openedAt?: number
}

let nextId = 0

/** A connection with what the peer manager reads; close() closes it and fires 'close'. */
export function fakeConnection(init: FakeConnectionInit): Connection & { closes: number } {
  const events = new EventTarget()
  const connection = {
    id: `fake-${nextId++}`,
    remotePeer: init.remotePeer,
    remoteAddr: multiaddr(init.remoteAddr ?? '/ip4/127.0.0.1/tcp/4001'),
    direction: init.direction ?? 'outbound',
    status: init.status ?? 'open',
    timeline: { open: init.openedAt ?? Date.now() },
    closes: 0,
    async close() {
      connection.closes++
      connection.status = 'closed'
      events.dispatchEvent(new Event('close'))
    },
    abort() {
      connection.status = 'closed'
      events.dispatchEvent(new Event('close'))
    },
    addEventListener: events.addEventListener.bind(events),
    removeEventListener: events.removeEventListener.bind(events),
  }
  return connection as unknown as Connection & { closes: number }
}

export interface LogLine {
  level: string
  msg: string
  [field: string]: unknown
}

/** A debug logger whose lines are kept, parsed, in `lines`. */
export function keptLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const log = createLogger({
    level: 'debug',
    format: 'json',
    sink: (line) => lines.push(JSON.parse(line) as LogLine),
  })
  return { log, lines }
}
