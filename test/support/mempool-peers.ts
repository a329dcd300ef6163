/**
 * Helpers for /paw/mempool/1 tests: many signed transactions quickly (bulk-sign.ts), a raw libp2p peer that
 * completes /paw/handshake/1 by hand, and a frame-level view of a raw peer's stream.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { PawNode } from '../../src/api/index.ts'
import type { Address, ChainParams, Transaction } from '../../src/chain/types.ts'
import { encodeFrame, type Frame } from '../../src/wire/frame.ts'
import { FrameDecoder } from '../../src/wire/frame-decoder.ts'
import { encodeHandshake } from '../../src/wire/handshake.ts'
import { type BulkAccount, bulkAccounts, signBulk } from './bulk-sign.ts'
import { type RawPeer, TEST_CHAIN, tcpAddress, waitFor } from './nodes.ts'

export type FastAccount = BulkAccount

/** The accounts of testAccounts(count) (same keys), with node:crypto keys for fast signing. */
export function fastAccounts(count: number): FastAccount[] {
  return bulkAccounts(count, 'paw-test-account')
}

/** A transfer signed like signTransaction (fee 1,000 and amount 1,000 unless given). */
export function fastTransfer(
  params: ChainParams,
  from: FastAccount,
  to: Address,
  nonce: bigint,
  options: { amount?: bigint; fee?: bigint } = {},
): Transaction {
  return signBulk(params.chainId, from, to, nonce, options)
}

const PING_PROTOCOL = '/ipfs/ping/1.0.0'

/**
 * Dials `target` from the raw peer and completes /paw/handshake/1 by hand; waits until the
 * node lists the peer connected. The raw peer echoes keep-alive pings so it is not dropped.
 */
export async function handshakeRaw(
  peer: RawPeer,
  target: PawNode,
  chainId = TEST_CHAIN,
): Promise<Connection> {
  if (!peer.libp2p.getProtocols().includes(PING_PROTOCOL)) {
    await peer.libp2p.handle(PING_PROTOCOL, (stream) => {
      stream.addEventListener('message', (event) => {
        // The node may close the ping stream (or the connection) while an echo is due.
        if (stream.writeStatus !== 'writable') return
        try {
          stream.send(event.data instanceof Uint8Array ? event.data : event.data.subarray())
        } catch {}
      })
    })
  }
  const connection = await peer.connect(tcpAddress(target))
  const handshake = encodeHandshake({ version: 1, chainId, nodeId: peer.privateKey.publicKey.raw })
  const { frames } = await peer.exchange(connection, encodeFrame('handshake', handshake))
  if (frames.map((frame) => frame.type).join() !== 'handshake') {
    throw new Error(`handshake refused: ${frames.map((frame) => frame.type).join()}`)
  }
  const id = peer.libp2p.peerId.toString()
  await waitFor('the node to list the raw peer connected', () => target.peer(id)?.state === 'connected')
  return connection
}

/** One raw stream seen as frames: what arrives is decoded and queued; anything may be sent. */
export class RawFrames {
  readonly stream: Stream
  readonly #frames: Frame[] = []
  readonly #decoder = new FrameDecoder()
  #ended = false
  #wake: (() => void) | undefined

  constructor(stream: Stream) {
    this.stream = stream
    stream.addEventListener('message', (event) => {
      const parts = event.data instanceof Uint8Array ? [event.data] : [...event.data]
      for (const part of parts) {
        for (const item of this.#decoder.decode(part)) if ('type' in item) this.#frames.push(item)
      }
      this.#wake?.()
    })
    const end = (): void => {
      this.#ended = true
      this.#wake?.()
    }
    stream.addEventListener('remoteCloseWrite', end)
    stream.addEventListener('close', end)
    // Closed before we listened (e.g. reset as soon as it was negotiated).
    if (stream.status !== 'open' || stream.remoteWriteStatus !== 'writable') this.#ended = true
  }

  /** Sends one frame; false if the stream was already closed or reset (nothing sent). */
  send(type: string, payload: Uint8Array): boolean {
    return this.sendBytes(encodeFrame(type, payload))
  }

  sendBytes(bytes: Uint8Array): boolean {
    try {
      this.stream.send(bytes)
      return true
    } catch {
      return false
    }
  }

  /** The next frame; undefined once the other side closed or reset the stream. */
  async next(timeoutMs = 5_000): Promise<Frame | undefined> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const frame = this.#frames.shift()
      if (frame !== undefined) return frame
      if (this.#ended) return undefined
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#wake = undefined
    }
  }

  /** Whether the other side closed or reset the stream. */
  get ended(): boolean {
    return this.#ended
  }
}

/** Log lines at WARN that carry `code` (plain format: "code=0x05"). */
export function warnings(lines: readonly string[], code: string): string[] {
  return lines.filter((line) => line.includes(' WARN ') && line.includes(`code=${code}`))
}
