/**
 * Real nodes on loopback for e2e tests: PAW nodes (src/node) and a raw libp2p peer that
 * can say anything on /paw/handshake/1 (to test what a misbehaving peer gets).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach } from 'vitest'
import type { PawNode, PawNodeInit } from '../../src/api/index.ts'
import { createLogger, type Logger } from '../../src/logging.ts'
import { createPawNode } from '../../src/node/index.ts'
import { HANDSHAKE_PROTOCOL } from '../../src/protocols/handshake/constants.ts'
import type { Frame } from '../../src/wire/frame.ts'
import { FrameDecoder } from '../../src/wire/frame-decoder.ts'

export const TEST_CHAIN = 'paw-test'

/** Log lines of a test node, kept for assertions and printed only with PAW_TEST_LOG=1. */
export function testLogger(lines: string[] = []): Logger {
  return createLogger({
    level: 'debug',
    sink: (line) => {
      lines.push(line)
      if (process.env.PAW_TEST_LOG === '1') console.error(line)
    },
  })
}

/** A started PAW node on 127.0.0.1 with free ports; no automatic outbound dialling. */
export async function startTestNode(init: PawNodeInit = {}): Promise<PawNode> {
  const node = await createPawNode({
    chainId: TEST_CHAIN,
    listenHost: '127.0.0.1',
    tcpPort: 0,
    wsPort: 0,
    logger: testLogger(),
    ...init,
    limits: { minOutbound: 0, ...init.limits },
  })
  await node.start()
  return node
}

export function tcpAddress(node: PawNode): Multiaddr {
  const found = node.getMultiaddrs().find((m) => !m.toString().includes('/ws'))
  if (found === undefined) throw new Error('node has no TCP address')
  return found
}

export function wsAddress(node: PawNode): Multiaddr {
  const found = node.getMultiaddrs().find((m) => m.toString().includes('/ws'))
  if (found === undefined) throw new Error('node has no WebSockets address')
  return found
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Stops nodes, ignoring ones already stopped. */
export async function stopAll(nodes: ReadonlyArray<{ stop(): unknown } | undefined>): Promise<void> {
  await Promise.allSettled(nodes.map(async (node) => node?.stop()))
}

export interface RawPeer {
  libp2p: Libp2p
  privateKey: PrivateKey
  /** Dials `address`; the raw peer runs no PAW code, so it never handshakes by itself. */
  connect(address: Multiaddr): Promise<Connection>
  /** Opens /paw/handshake/1 on `connection`, sends `bytes`, returns the frames the node answers. */
  exchange(connection: Connection, bytes: Uint8Array): Promise<{ frames: Frame[]; stream: Stream }>
}

export async function startRawPeer(): Promise<RawPeer> {
  const privateKey = await generateKeyPair('Ed25519')
  const libp2p = await createLibp2p({
    privateKey,
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  })
  await libp2p.start()
  return {
    libp2p,
    privateKey,
    connect: (address) => libp2p.dial(address),
    async exchange(connection, bytes) {
      const stream = await connection.newStream(HANDSHAKE_PROTOCOL)
      const decoder = new FrameDecoder()
      const frames: Frame[] = []
      const done = new Promise<void>((resolve) => {
        stream.addEventListener('message', (event) => {
          const parts = event.data instanceof Uint8Array ? [event.data] : [...event.data]
          for (const part of parts) {
            for (const item of decoder.decode(part)) if ('type' in item) frames.push(item)
          }
        })
        stream.addEventListener('close', () => resolve())
        stream.addEventListener('remoteCloseWrite', () => resolve())
      })
      stream.send(bytes)
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5_000))])
      return { frames, stream }
    },
  }
}

/**
 * Starters for PAW nodes and raw peers that are all stopped after each test of the calling
 * file (stopping one twice is harmless, so a test may stop a node itself).
 */
export function trackedNodes(): {
  node(init?: PawNodeInit): Promise<PawNode>
  raw(): Promise<RawPeer>
} {
  let started: Array<{ stop(): unknown }> = []
  afterEach(async () => {
    const all = started
    started = []
    await stopAll(all)
  })
  return {
    async node(init = {}) {
      const node = await startTestNode(init)
      started.push(node)
      return node
    },
    async raw() {
      const peer = await startRawPeer()
      started.push(peer.libp2p)
      return peer
    },
  }
}
