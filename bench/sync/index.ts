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
 *     uses them, 1 MiB writes waiting for 'drain' events) whose reader only counts the
 *     bytes; the same stream whose reader makes every block's bytes one contiguous array
 *     (what any reader handing blocks on pays: they arrive in Noise messages of at most
 *     64 KiB, so decodeBlocks copies each block once); and a raw node:net socket. The
 *     three libp2p cases take turns going first; ratios are medians of per-round ratios,
 *     with the CPU both processes spent per MiB (rates wobble on shared cores, CPU less).
 * (b) a full sync with validation: a fresh full node syncs --b-blocks blocks of
 *     --b-tx transfers (syncBlockchain: headers, then bodies, each block added with
 *     chain.addBlock), next to the chain's own rate: the same encodings decoded and added
 *     to a fresh chain here, no network. Both cold: the signature cache is cleared before
 *     each (the server validated the blocks in its own process, so its cache is not ours).
 *     Network share of sync time = 1 - sync rate / local rate.
 *
 * --throughput-only runs (a) alone (for profiling: node --cpu-prof profiles both processes).
 *
 *   npm run bench:sync [-- --json] [-- --rounds 5 --mib 256 --a-blocks 8 --b-blocks 500 --b-tx 200 --throughput-only]
 */
import { fork } from 'node:child_process'
import { parseArgs } from 'node:util'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { PawNode } from '../../src/api/index.ts'
import { decodeBlock, encodeBlock } from '../../src/chain/encoding.ts'
import { clearSignatureCache, signatureVerifyCounts } from '../../src/chain/signing.ts'
import { createPawNode } from '../../src/node/index.ts'
import { bulkAccounts } from '../../test/support/bulk-sign.ts'
import { openTestFullChain, testChainParams } from '../../test/support/chain-nodes.ts'
import { machine, positiveInteger, round } from '../report.ts'
import { buildBlocks } from './blocks.ts'
import {
  type SyncFigures,
  syncJson,
  syncLines,
  type ThroughputCases,
  throughputJson,
  throughputLines,
} from './report.ts'
import { pawRound, rawLibp2pRound, rawTcpRound, requester } from './rounds.ts'
import { type ServerInit, type ServerReady, STREAM_READ_BUFFER } from './server.ts'

const MIB = 1024 * 1024
/** 157 + 152 × (6,896 + 1) = 1,048,501 bytes: the largest block within 1 MiB. */
const A_TRANSFERS = 6_896

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
      'throughput-only': { type: 'boolean', default: false },
    },
  })
  const rounds = positiveInteger(values.rounds, '--rounds')
  const totalBytes = positiveInteger(values.mib, '--mib') * MIB
  const aBlocks = positiveInteger(values['a-blocks'], '--a-blocks')
  const throughputOnly = values['throughput-only']
  const bBlocks = throughputOnly ? 0 : positiveInteger(values['b-blocks'], '--b-blocks')
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
    const pid = child.pid ?? 0
    const blockBytes = (blocksA[0] as Uint8Array).length
    const cases: ThroughputCases = { tcp: [], libp2p: [], contiguous: [], paw: [] }
    const run = {
      libp2p: (bytes: number) => rawLibp2pRound(rawConnection, bytes, pid),
      contiguous: (bytes: number) => rawLibp2pRound(rawConnection, bytes, pid, blockBytes),
      paw: (bytes: number) => pawRound(blocks, serverA.peerId, aBlocks, bytes, pid),
    }
    const order = ['libp2p', 'contiguous', 'paw'] as const
    await rawTcpRound(ready.rawTcpPort, warm, pid)
    for (const name of order) await run[name](warm)
    log('warmed up')
    for (let r = 0; r < rounds; r++) {
      cases.tcp.push(await rawTcpRound(ready.rawTcpPort, totalBytes, pid))
      // Each round starts with another case, so no case always follows the same one.
      for (let i = 0; i < order.length; i++) {
        const name = order[(r + i) % order.length] as (typeof order)[number]
        cases[name].push(await run[name](totalBytes))
      }
      log(`throughput round ${r + 1}/${rounds} done`)
    }
    await blocks.stop()
    const answerBytes = blocksA.reduce((sum, b) => sum + b.length, 0)
    const aTitle =
      `(a) ${totalBytes / MIB} MiB to one peer, ${rounds} rounds (PAW: ${aBlocks} stored blocks of ` +
      `${(answerBytes / aBlocks / 1024).toFixed(0)} KiB served again and again, ${(answerBytes / MIB).toFixed(2)} MiB ` +
      `per get_blocks answer, ${cases.paw[0]?.requests} requests a round, answers split into blocks, not validated)`

    let sync: SyncFigures | undefined
    if (!throughputOnly) {
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
      const synced = await clientB.syncBlockchain()
      const syncMs = performance.now() - t0
      const signaturesVerified =
        signatureVerifyCounts.fast + signatureVerifyCounts.noble - countsBefore.fast - countsBefore.noble
      if (synced.blocks !== bBlocks)
        throw new Error(`sync added ${synced.blocks} blocks, expected ${bBlocks}`)
      log(`synced ${synced.blocks} blocks`)
      const local = await openTestFullChain(paramsB)
      clearSignatureCache()
      const t1 = performance.now()
      for (const bytes of blocksB) await local.chain.addBlock(decodeBlock(bytes))
      const localMs = performance.now() - t1
      if (local.chain.tip().height !== bBlocks) throw new Error('local validation did not add every block')
      log('local validation done')
      sync = {
        blocks: bBlocks,
        transfersPerBlock: bTx,
        bytes: blocksB.reduce((sum, b) => sum + b.length, 0),
        syncMs,
        signaturesVerified,
        localMs,
      }
    }
    const seconds = (performance.now() - started) / 1000

    if (values.json) {
      const throughput = {
        mibPerRound: totalBytes / MIB,
        storedBlocks: aBlocks,
        answerBytes,
        ...throughputJson(cases),
      }
      const report = { ...environment, seconds: round(seconds, 1), throughput }
      console.log(JSON.stringify(sync === undefined ? report : { ...report, sync: syncJson(sync) }, null, 2))
    } else {
      console.log(
        `sync bench | node ${environment.node} | ${environment.cpu} (${environment.cores} cores, ` +
          `${environment.memoryGiB} GiB) | load avg ${environment.loadAverageAtStart} at start | ${environment.date} | ` +
          `server and client in separate processes, loopback TCP | ${seconds.toFixed(0)} s`,
      )
      console.log('')
      console.log(aTitle)
      for (const line of throughputLines(cases)) console.log(line)
      if (sync !== undefined) {
        console.log('')
        for (const line of syncLines(sync)) console.log(line)
      }
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
