/**
 * One timed round of each case of bench/sync (a): the same number of bytes from the server
 * process to this one on a bare TCP socket, on a raw libp2p stream, and as /paw/blocks/1
 * get_blocks answers. Each round also reports the CPU both processes spent on it (this
 * process from process.cpuUsage, the server from /proc/<pid>/stat): on 2 shared cores the
 * rates wobble with the load, CPU per MiB much less.
 */
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import type { Connection, Libp2p } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import type { PawNode } from '../../src/api/index.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import { resolveSettings } from '../../src/config/settings.ts'
import { createLogger } from '../../src/logging.ts'
import { PeerRateLimiter } from '../../src/peers/rate-limits.ts'
import { BlocksProtocol, REQUEST_STREAMS_PER_PEER } from '../../src/protocols/blocks/blocks-protocol.ts'
import { RAW_PROTOCOL } from './server.ts'

export interface Round {
  ms: number
  bytes: number
  /** CPU ms of this process (the receiver) and of the server process during the round. */
  clientCpuMs: number
  serverCpuMs: number
  /** get_blocks requests (PAW rounds only). */
  requests?: number
}

/** CPU ms (user + system, every thread) a process has used, from /proc; 0 where there is none. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return (ticks * 1000) / 100 // USER_HZ is 100 on Linux
  } catch {
    return 0
  }
}

/** Runs `body`, timing it and the CPU both processes used meanwhile. */
async function measured(
  serverPid: number,
  body: () => Promise<{ bytes: number; requests?: number }>,
): Promise<Round> {
  const server0 = processCpuMs(serverPid)
  const client0 = process.cpuUsage()
  const t0 = performance.now()
  const { bytes, requests } = await body()
  const ms = performance.now() - t0
  const client = process.cpuUsage(client0)
  return {
    ms,
    bytes,
    clientCpuMs: (client.user + client.system) / 1000,
    serverCpuMs: processCpuMs(serverPid) - server0,
    ...(requests === undefined ? {} : { requests }),
  }
}

/**
 * Bytes of a raw libp2p stream: asks for `total` bytes and reads them. With `blockBytes`,
 * the reader also makes every `blockBytes` of them one contiguous Uint8Array, as a reader
 * that hands blocks on must (the bytes arrive in Noise messages of at most 64 KiB): one
 * copy of every byte, the copy decodeBlocks makes; without, it only counts them.
 */
export function rawLibp2pRound(
  connection: Connection,
  total: number,
  serverPid: number,
  blockBytes?: number,
): Promise<Round> {
  return measured(serverPid, async () => {
    const stream = await connection.newStream(RAW_PROTOCOL)
    const pending = new Uint8ArrayList()
    const blocks: Uint8Array[] = []
    const done = new Promise<void>((resolve, reject) => {
      let got = 0
      stream.addEventListener('message', (event) => {
        got += event.data.byteLength
        if (blockBytes !== undefined) {
          pending.append(event.data)
          while (pending.byteLength >= blockBytes || (got >= total && pending.byteLength > 0)) {
            const length = Math.min(blockBytes, pending.byteLength)
            blocks.push(pending.subarray(0, length))
            pending.consume(length)
          }
          // Blocks are handed on and dropped, like the answers of the PAW rounds.
          blocks.length = 0
        }
        if (got >= total) resolve()
      })
      stream.addEventListener('close', (event) =>
        got >= total ? resolve() : reject(event.error ?? new Error(`closed after ${got} bytes`)),
      )
    })
    const head = new Uint8Array(4)
    new DataView(head.buffer).setUint32(0, total)
    stream.send(head)
    await done
    await stream.close().catch(() => undefined)
    return { bytes: total }
  })
}

/** The same on a bare TCP socket (a new connection each round, like the stream above). */
export function rawTcpRound(port: number, total: number, serverPid: number): Promise<Round> {
  return measured(
    serverPid,
    () =>
      new Promise((resolve, reject) => {
        let got = 0
        const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => {
          const head = Buffer.alloc(4)
          head.writeUInt32BE(total)
          socket.write(head)
        })
        socket.on('data', (data) => {
          got += data.length
          if (got >= total) {
            resolve({ bytes: total })
            socket.destroy()
          }
        })
        socket.on('error', reject)
        socket.on('close', () => {
          if (got < total) reject(new Error(`tcp closed after ${got} bytes`))
        })
      }),
  )
}

/**
 * get_blocks for `count` blocks from height 1 until `total` bytes of blocks arrived, with
 * REQUEST_STREAMS_PER_PEER requests in flight as the node's sync keeps them.
 */
export function pawRound(
  blocks: BlocksProtocol,
  peerId: string,
  count: number,
  total: number,
  serverPid: number,
): Promise<Round> {
  return measured(serverPid, async () => {
    let bytes = 0
    let requests = 0
    const loop = async (): Promise<void> => {
      while (bytes < total) {
        const answer = await blocks.getBlocks(peerId, 1, count)
        if (answer.length === 0) throw new Error('empty answer')
        for (const block of answer) bytes += block.length
        requests++
      }
    }
    await Promise.all(Array.from({ length: REQUEST_STREAMS_PER_PEER }, loop))
    return { bytes, requests }
  })
}

/**
 * The node's /paw/blocks/1 requester (BlocksProtocol) on `node`'s handshaken connection
 * to `peerId`. A second instance, so it registers no handler (the node's own serves); its
 * requests run exactly as the node's getBlocks would.
 */
export function requester(node: PawNode, peerId: string, chainId: string): BlocksProtocol {
  const connection = node.libp2p.getConnections().find((c) => c.remotePeer.toString() === peerId)
  if (connection === undefined) throw new Error('not connected to the server')
  const noHandlers = { handle: async () => undefined, unhandle: async () => undefined } as unknown as Libp2p
  return new BlocksProtocol({
    libp2p: noHandlers,
    peers: {
      connected: () => [{ info: { peerId }, connection }] as never,
      traffic: () => undefined as never,
    },
    settings: resolveSettings({ chainId }),
    log: createLogger({ level: 'error' }),
    isHandshaken: () => true,
    chain: undefined,
    shape: REFERENCE_SHAPE,
    limiter: new PeerRateLimiter(),
    // The server is honest: nothing is charged in this benchmark.
    enforcer: { charge: () => 0 },
  })
}
