/**
 * Block transfer and sync (issue 6), all in one run, server and client in separate
 * processes on loopback (server.ts is forked; the client runs here):
 *
 * (a) throughput of /paw/blocks/1: a client sends get_blocks with BlocksProtocol.getBlocks
 *     (the requester the node uses, with the REQUEST_STREAMS_PER_PEER requests in flight
 *     that sync keeps per peer, each on its own lock-step stream; answers split into blocks
 *     by decodeBlocks, nothing validated) until --mib MiB have arrived. The server stores
 *     --a-blocks blocks of ~1 MiB (6,896 transfers) and every request asks for all of them
 *     from height 1 (one 8 MiB answer of 8 blocks by default), so the same stored blocks
 *     are served again and again: signing and validating 256 MiB of distinct blocks (~1.77M
 *     transfers) would take far longer than the bench. The server's blockRequests limit is
 *     raised for this (the default, one token per started MiB at 32/s with a burst of 512,
 *     caps a peer at 32 MiB/s after its first 512 MiB). Next to it, in the same
 *     rounds: a raw libp2p stream (two plain libp2p nodes, TCP + Noise + yamux as PAW
 *     uses them, 1 MiB writes waiting for 'drain' events) and a raw node:net socket
 *     carrying the same bytes. Medians of --rounds rounds, after one smaller warm-up.
 * (b) a full sync with validation: a fresh full node syncs --b-blocks blocks of
 *     --b-tx transfers (syncBlockchain: headers, then bodies, each block added with
 *     chain.addBlock), next to the chain's own rate: the same encodings decoded and added
 *     to a fresh chain here, no network. Both cold: the signature cache is cleared before
 *     each (the server validated the blocks in its own process, so its cache is not ours).
 *     Network share of sync time = 1 - sync rate / local rate.
 *
 *   npm run bench:sync [-- --json] [-- --rounds 5 --mib 256 --a-blocks 8 --b-blocks 500 --b-tx 200]
 */
import { fork } from 'node:child_process'
import { connect } from 'node:net'
import { parseArgs } from 'node:util'
import { identify } from '@libp2p/identify'
import type { Connection, Libp2p } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { PawNode } from '../../src/api/index.ts'
import { decodeBlock, encodeBlock } from '../../src/chain/encoding.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import { clearSignatureCache, signatureVerifyCounts } from '../../src/chain/signing.ts'
import { resolveSettings } from '../../src/config/settings.ts'
import { createLogger } from '../../src/logging.ts'
import { createPawNode } from '../../src/node/index.ts'
import { PeerRateLimiter } from '../../src/peers/rate-limits.ts'
import { BlocksProtocol, REQUEST_STREAMS_PER_PEER } from '../../src/protocols/blocks/blocks-protocol.ts'
import { bulkAccounts } from '../../test/support/bulk-sign.ts'
import { openTestFullChain, testChainParams } from '../../test/support/chain-nodes.ts'
import { machine, positiveInteger, round, table } from '../report.ts'
import { median } from '../stats.ts'
import { buildBlocks } from './blocks.ts'
import { RAW_PROTOCOL, type ServerInit, type ServerReady, STREAM_READ_BUFFER } from './server.ts'

const MIB = 1024 * 1024
/** 157 + 152 × (6,896 + 1) = 1,048,501 bytes: the largest block within 1 MiB. */
const A_TRANSFERS = 6_896

/** Bytes of a raw libp2p stream: asks for `total` bytes, returns ms until the last arrived. */
async function rawLibp2pRound(connection: Connection, total: number): Promise<number> {
  const t0 = performance.now()
  const stream = await connection.newStream(RAW_PROTOCOL)
  const done = new Promise<void>((resolve, reject) => {
    let got = 0
    stream.addEventListener('message', (event) => {
      got += event.data.byteLength
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
  const ms = performance.now() - t0
  await stream.close().catch(() => undefined)
  return ms
}

/** The same on a bare TCP socket (a new connection each round, like the stream above). */
function rawTcpRound(port: number, total: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    let got = 0
    const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => {
      const head = Buffer.alloc(4)
      head.writeUInt32BE(total)
      socket.write(head)
    })
    socket.on('data', (data) => {
      got += data.length
      if (got >= total) {
        resolve(performance.now() - t0)
        socket.destroy()
      }
    })
    socket.on('error', reject)
    socket.on('close', () => {
      if (got < total) reject(new Error(`tcp closed after ${got} bytes`))
    })
  })
}

/**
 * The node's /paw/blocks/1 requester (BlocksProtocol) on `node`'s handshaken connection
 * to `peerId`. A second instance, so it registers no handler (the node's own serves); its
 * requests run exactly as the node's getBlocks would.
 */
function requester(node: PawNode, peerId: string, chainId: string): BlocksProtocol {
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

/**
 * get_blocks for `count` blocks from height 1 until `total` bytes of blocks arrived, with
 * REQUEST_STREAMS_PER_PEER requests in flight as the node's sync keeps them: ms.
 */
async function pawRound(
  blocks: BlocksProtocol,
  peerId: string,
  count: number,
  total: number,
): Promise<{ ms: number; bytes: number; requests: number }> {
  const t0 = performance.now()
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
  return { ms: performance.now() - t0, bytes, requests }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '5' },
      mib: { type: 'string', default: '256' },
      'a-blocks': { type: 'string', default: '8' },
      'b-blocks': { type: 'string', default: '500' },
      'b-tx': { type: 'string', default: '200' },
      'timeout-s': { type: 'string', default: '300' },
    },
  })
  const rounds = positiveInteger(values.rounds, '--rounds')
  const totalBytes = positiveInteger(values.mib, '--mib') * MIB
  const aBlocks = positiveInteger(values['a-blocks'], '--a-blocks')
  const bBlocks = positiveInteger(values['b-blocks'], '--b-blocks')
  const bTx = positiveInteger(values['b-tx'], '--b-tx')
  const timeoutS = positiveInteger(values['timeout-s'], '--timeout-s')
  const environment = machine()
  const started = performance.now()
  const log = (line: string) => {
    if (!values.json)
      console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`)
  }

  // Test data: (a) aBlocks ~1 MiB blocks (4 transfers per sender each), (b) bBlocks of bTx.
  const accountsA = bulkAccounts(A_TRANSFERS / 4, 'bench-sync-a')
  const accountsB = bulkAccounts(Math.min(bTx, 100), 'bench-sync-b')
  const paramsA = testChainParams(accountsA, 'paw-bench-sync-a')
  const paramsB = testChainParams(accountsB, 'paw-bench-sync-b')
  const blocksA = (await buildBlocks(paramsA, accountsA, aBlocks, A_TRANSFERS)).map(encodeBlock)
  const blocksB = (await buildBlocks(paramsB, accountsB, bBlocks, bTx)).map(encodeBlock)
  log(`signed ${aBlocks * A_TRANSFERS + bBlocks * bTx} transfers`)

  const child = fork(new URL('./server.ts', import.meta.url), [], {
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const watchdog = setTimeout(() => {
    console.error(`bench/sync: no result within ${timeoutS} s, giving up`)
    child.kill()
    process.exit(1)
  }, timeoutS * 1000)
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    child.once('message', (message) => resolve(message as ServerReady))
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
    const init: ServerInit = { type: 'init', paramsA, blocksA, paramsB, blocksB }
    child.send(init)
  })
  log(`server ready: both chains validated and stored in ${(ready.setupMs / 1000).toFixed(1)} s`)

  const nodes: PawNode[] = []
  let rawClient: Libp2p | undefined
  try {
    // (a) throughput.
    const clientA = await createPawNode({
      chainId: paramsA.chainId,
      nodeType: 'full',
      chain: await openTestFullChain(paramsA),
      listenHost: '127.0.0.1',
      tcpPort: 0,
      wsPort: null,
      autoSync: false,
      logLevel: 'error',
    })
    nodes.push(clientA)
    await clientA.start()
    const serverA = await clientA.connectToPeer(ready.pawA)
    const blocks = requester(clientA, serverA.peerId, paramsA.chainId)
    await blocks.start()
    rawClient = await createLibp2p({
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux({ streamOptions: { maxReadBufferLength: STREAM_READ_BUFFER } })],
      connectionMonitor: { enabled: false },
      services: { identify: identify() },
    })
    await rawClient.start()
    const rawConnection = await rawClient.dial(multiaddr(ready.rawLibp2p))

    const warm = 32 * MIB
    await rawTcpRound(ready.rawTcpPort, warm)
    await rawLibp2pRound(rawConnection, warm)
    await pawRound(blocks, serverA.peerId, aBlocks, warm)
    log('warmed up')
    const tcpMs: number[] = []
    const libp2pMs: number[] = []
    const paw: Array<{ ms: number; bytes: number; requests: number }> = []
    for (let r = 0; r < rounds; r++) {
      tcpMs.push(await rawTcpRound(ready.rawTcpPort, totalBytes))
      libp2pMs.push(await rawLibp2pRound(rawConnection, totalBytes))
      paw.push(await pawRound(blocks, serverA.peerId, aBlocks, totalBytes))
      log(`throughput round ${r + 1}/${rounds} done`)
    }
    await blocks.stop()
    const mibps = (bytes: number, ms: number) => bytes / MIB / (ms / 1000)
    const tcpRate = median(tcpMs.map((ms) => mibps(totalBytes, ms)))
    const libp2pRate = median(libp2pMs.map((ms) => mibps(totalBytes, ms)))
    const pawRate = median(paw.map((p) => mibps(p.bytes, p.ms)))
    const answerBytes = blocksA.reduce((sum, b) => sum + b.length, 0)

    // (b) sync with validation, then the same blocks validated locally.
    const clientB = await createPawNode({
      chainId: paramsB.chainId,
      nodeType: 'full',
      chain: await openTestFullChain(paramsB),
      listenHost: '127.0.0.1',
      tcpPort: 0,
      wsPort: null,
      autoSync: false,
      logLevel: 'error',
    })
    nodes.push(clientB)
    await clientB.start()
    await clientB.connectToPeer(ready.pawB)
    clearSignatureCache()
    const countsBefore = { ...signatureVerifyCounts }
    const t0 = performance.now()
    const sync = await clientB.syncBlockchain()
    const syncMs = performance.now() - t0
    const syncVerified =
      signatureVerifyCounts.fast + signatureVerifyCounts.noble - countsBefore.fast - countsBefore.noble
    if (sync.blocks !== bBlocks) throw new Error(`sync added ${sync.blocks} blocks, expected ${bBlocks}`)
    log(`synced ${sync.blocks} blocks`)
    const local = await openTestFullChain(paramsB)
    clearSignatureCache()
    const t1 = performance.now()
    for (const bytes of blocksB) await local.chain.addBlock(decodeBlock(bytes))
    const localMs = performance.now() - t1
    if (local.chain.tip().height !== bBlocks) throw new Error('local validation did not add every block')
    log('local validation done')

    const txs = bBlocks * bTx
    const syncBlocksPerS = bBlocks / (syncMs / 1000)
    const localBlocksPerS = bBlocks / (localMs / 1000)
    const networkShare = 1 - syncBlocksPerS / localBlocksPerS
    const syncBytes = blocksB.reduce((sum, b) => sum + b.length, 0)
    const seconds = (performance.now() - started) / 1000

    if (values.json) {
      console.log(
        JSON.stringify(
          {
            ...environment,
            seconds: round(seconds, 1),
            throughput: {
              mibPerRound: totalBytes / MIB,
              storedBlocks: aBlocks,
              answerBytes,
              requestsPerRound: paw[0]?.requests,
              rawTcpMiBps: round(tcpRate, 1),
              rawLibp2pMiBps: round(libp2pRate, 1),
              pawMiBps: round(pawRate, 1),
              pawOverRawLibp2p: round(pawRate / libp2pRate, 3),
              rawLibp2pOverRawTcp: round(libp2pRate / tcpRate, 3),
              roundsMs: {
                rawTcp: tcpMs.map((v) => round(v, 0)),
                rawLibp2p: libp2pMs.map((v) => round(v, 0)),
                paw: paw.map((p) => round(p.ms, 0)),
              },
            },
            sync: {
              blocks: bBlocks,
              transfersPerBlock: bTx,
              bytes: syncBytes,
              syncMs: round(syncMs, 0),
              signaturesVerifiedDuringSync: syncVerified,
              syncBlocksPerS: round(syncBlocksPerS, 1),
              syncTxPerS: round(txs / (syncMs / 1000), 0),
              localMs: round(localMs, 0),
              localBlocksPerS: round(localBlocksPerS, 1),
              localTxPerS: round(txs / (localMs / 1000), 0),
              networkShare: round(networkShare, 3),
            },
          },
          null,
          2,
        ),
      )
    } else {
      const rate = (v: number) => v.toFixed(1)
      console.log(
        `sync bench | node ${environment.node} | ${environment.cpu} (${environment.cores} cores, ` +
          `${environment.memoryGiB} GiB) | load avg ${environment.loadAverageAtStart} at start | ${environment.date} | ` +
          `server and client in separate processes, loopback TCP | ${seconds.toFixed(0)} s`,
      )
      console.log('')
      console.log(
        `(a) ${totalBytes / MIB} MiB to one peer, median of ${rounds} rounds (PAW: ${aBlocks} stored blocks of ` +
          `${(answerBytes / aBlocks / 1024).toFixed(0)} KiB served again and again, ${(answerBytes / MIB).toFixed(2)} MiB ` +
          `per get_blocks answer, ${paw[0]?.requests} requests a round, answers split, not validated)`,
      )
      for (const line of table([
        ['case', 'MiB/s', 'rounds (ms)', 'ratio'],
        ['raw TCP (node:net), 1 MiB writes', rate(tcpRate), tcpMs.map((v) => v.toFixed(0)).join(' '), '-'],
        [
          'raw libp2p stream (TCP + Noise + yamux), 1 MiB writes',
          rate(libp2pRate),
          libp2pMs.map((v) => v.toFixed(0)).join(' '),
          `${(libp2pRate / tcpRate).toFixed(2)}x raw TCP`,
        ],
        [
          '/paw/blocks/1 get_blocks (BlocksProtocol.getBlocks)',
          rate(pawRate),
          paw.map((p) => p.ms.toFixed(0)).join(' '),
          `${(pawRate / libp2pRate).toFixed(2)}x raw libp2p (goal >= 0.80)`,
        ],
      ]))
        console.log(line)
      console.log('')
      console.log(
        `(b) full sync with validation: ${bBlocks} blocks x ${bTx} transfers (${(syncBytes / MIB).toFixed(1)} MiB), ` +
          `cold signature cache (${syncVerified} signatures verified during the sync)`,
      )
      for (const line of table([
        ['case', 'ms', 'blocks/s', 'tx/s'],
        [
          'syncBlockchain from one peer (headers, bodies, addBlock)',
          syncMs.toFixed(0),
          rate(syncBlocksPerS),
          (txs / (syncMs / 1000)).toFixed(0),
        ],
        [
          'local: decodeBlock + chain.addBlock, no network',
          localMs.toFixed(0),
          rate(localBlocksPerS),
          (txs / (localMs / 1000)).toFixed(0),
        ],
      ]))
        console.log(line)
      console.log(
        `network share of sync time: ${(networkShare * 100).toFixed(1)}% (1 - sync rate / local rate)`,
      )
    }
  } finally {
    clearTimeout(watchdog)
    await Promise.allSettled([...nodes.map((n) => n.stop()), rawClient?.stop()])
    child.disconnect()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exit(1)
})
