/**
 * The paw-node side of bench/handshake, in its own process (forked by index.ts with
 * --expose-gc): listens on 127.0.0.1 TCP, announces its address over IPC, and answers
 * requests for its memory use and its stats. Exits when the parent goes away.
 *
 *   argv[2]: the chain ID
 */
import { createPawNode } from '../../src/node/index.ts'
import type { MemoryReading, Request, ServerMessage } from './ipc.ts'
import { BENCH_INBOUND, BENCH_LIMITS } from './nodes.ts'

function send(message: ServerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) resolve()
    else process.send(message, () => resolve())
  })
}

async function readMemory(): Promise<MemoryReading> {
  const gc = globalThis.gc
  if (gc !== undefined) {
    // Two full collections with a turn of the event loop between them, so that objects
    // freed by finalizers or by the first pass are gone too.
    gc()
    await new Promise((resolve) => setTimeout(resolve, 50))
    gc()
  }
  const usage = process.memoryUsage()
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, gc: gc !== undefined }
}

async function main(): Promise<void> {
  if (process.send === undefined) throw new Error('run by bench/handshake/index.ts: needs an IPC channel')
  const chainId = process.argv[2] ?? 'paw-bench'
  const node = await createPawNode({
    chainId,
    listenHost: '127.0.0.1',
    tcpPort: 0,
    wsPort: null,
    limits: BENCH_LIMITS,
    inbound: BENCH_INBOUND,
    logLevel: 'error',
  })
  await node.start()
  const address = node.getMultiaddrs().find((a) => a.toString().includes('/tcp/'))
  if (address === undefined) throw new Error('the node has no TCP address')

  let stopping: Promise<void> | undefined
  const shutdown = (): Promise<void> => {
    stopping ??= node.stop().catch(() => undefined)
    return stopping
  }
  process.on('disconnect', () => {
    void shutdown().finally(() => process.exit(0))
  })
  process.on('message', (request: Request) => {
    void (async () => {
      try {
        if (request.type === 'memory') {
          await send({ type: 'result', id: request.id, memory: await readMemory() })
        } else if (request.type === 'stats') {
          const stats = { ...node.stats(), connections: node.libp2p.getConnections().length }
          await send({ type: 'result', id: request.id, stats })
        } else if (request.type === 'stop') {
          await shutdown()
          await send({ type: 'result', id: request.id })
          process.exit(0)
        }
      } catch (error) {
        await send({ type: 'error', id: request.id, message: (error as Error).message })
      }
    })()
  })
  await send({ type: 'ready', address: address.toString(), peerId: node.peerId.toString() })
}

main().catch(async (error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
  console.error(message)
  await send({ type: 'error', id: undefined, message })
  process.exit(1)
})
