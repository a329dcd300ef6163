/**
 * The attackers of flood.test.ts's connection flood, in a process of their own (forked by
 * flood-attacker.ts): their key generation, Noise handshakes and libp2p instances would
 * otherwise run on the event loop of the node they attack. Every attempt binds a source
 * address of its own among 127.0.0.2 … 127.0.0.250 (Linux routes all of 127/8 to
 * loopback), so the node sees many hosts, as it would from a botnet, and libp2p's per-host
 * rate guard alone cannot stop them.
 *
 * Two kinds of attempt, interleaved on a fixed schedule (open loop: an attempt starts on
 * time whether or not the earlier ones finished):
 * - full: a fresh Ed25519 identity dials over TCP + Noise + yamux, sends a valid
 *   /paw/handshake/1 and, if admitted, holds the connection, answering keep-alive pings
 *   like an idle honest peer, until the node closes it or the parent releases it;
 * - raw: a bare TCP connection that never speaks and hangs up after RAW_HOLD_MS (a scanner).
 *
 * Exits when the parent goes away (the IPC channel closes).
 */
import net from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, Libp2p, PrivateKey } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { type TCPSocketOptions, tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { HANDSHAKE_PROTOCOL } from '../../src/protocols/handshake/constants.ts'
import { FrameType } from '../../src/wire/constants.ts'
import { encodeFrame, type Frame } from '../../src/wire/frame.ts'
import { FrameDecoder } from '../../src/wire/frame-decoder.ts'
import { decodeReject, encodeHandshake } from '../../src/wire/handshake.ts'
import type { AttackerMessage, AttackerRequest, AttackPlan, AttackReport } from './flood-attacker.ts'

process.title = 'paw-flood-attacker'

const PING_PROTOCOL = '/ipfs/ping/1.0.0'
/** How long a raw connection stays open, saying nothing, before the scanner hangs up. */
const RAW_HOLD_MS = 1_000
/** Dial (TCP + Noise + yamux) and handshake answer: the node's own 10 s handshake deadline. */
const ATTEMPT_TIMEOUT_MS = 10_000

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function send(message: AttackerMessage): void {
  if (process.send !== undefined && process.connected) process.send(message)
}

function emptyReport(): AttackReport {
  return {
    attempts: 0,
    full: 0,
    raw: 0,
    launchMs: 0,
    settledMs: 0,
    sourceAddresses: 0,
    admitted: 0,
    rejected: {},
    dialFailed: {},
    noAnswer: 0,
    closedAfterAdmission: 0,
    held: 0,
    rawOpened: 0,
    rawClosedByNode: 0,
    rawFailed: 0,
    errorSamples: {},
  }
}

const report = emptyReport()
/** Every attacker libp2p instance still running, stopped on release. */
const instances = new Set<Libp2p>()
const rawSockets = new Set<net.Socket>()
let released = false

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}

function sample(kind: string, error: unknown): void {
  report.errorSamples[kind] ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

async function stopInstance(libp2p: Libp2p): Promise<void> {
  instances.delete(libp2p)
  try {
    await libp2p.stop()
  } catch {
    // Already stopping; nothing of ours to release.
  }
}

/** The node's answer to our handshake: its first frame, or undefined if the stream ended first. */
async function exchangeHandshake(connection: Connection, privateKey: PrivateKey, chainId: string) {
  const stream = await connection.newStream(HANDSHAKE_PROTOCOL, {
    signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
  })
  const decoder = new FrameDecoder()
  let timer: ReturnType<typeof setTimeout> | undefined
  const answer = new Promise<Frame | undefined>((resolve) => {
    stream.addEventListener('message', (event) => {
      const parts = event.data instanceof Uint8Array ? [event.data] : [...event.data]
      for (const part of parts) {
        for (const item of decoder.decode(part)) if ('type' in item) resolve(item)
      }
    })
    stream.addEventListener('close', () => resolve(undefined))
    stream.addEventListener('remoteCloseWrite', () => resolve(undefined))
    timer = setTimeout(() => resolve(undefined), ATTEMPT_TIMEOUT_MS)
  })
  const handshake = encodeHandshake({ version: 1, chainId, nodeId: privateKey.publicKey.raw })
  stream.send(encodeFrame(FrameType.Handshake, handshake))
  return answer.finally(() => clearTimeout(timer))
}

async function fullAttempt(plan: AttackPlan, localAddress: string): Promise<void> {
  const privateKey = await generateKeyPair('Ed25519')
  // @libp2p/tcp passes dialOpts on to net.connect; its type lists only some of the keys.
  const dialOpts: TCPSocketOptions & { localAddress: string } = { localAddress }
  const libp2p = await createLibp2p({
    privateKey,
    transports: [tcp({ dialOpts })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
  })
  instances.add(libp2p)
  await libp2p.start()
  // An idle honest peer answers keep-alive pings; an attacker that holds a slot does too.
  await libp2p.handle(PING_PROTOCOL, (stream) => {
    stream.addEventListener('message', (event) => {
      stream.send(event.data instanceof Uint8Array ? event.data : event.data.subarray())
    })
  })
  let connection: Connection
  try {
    connection = await libp2p.dial(multiaddr(plan.target), {
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    })
  } catch (error) {
    // libp2p's inbound guards drop the socket before or during Noise.
    bump(report.dialFailed, (error as Error).name ?? 'Error')
    sample(`dial ${(error as Error).name}`, error)
    await stopInstance(libp2p)
    return
  }
  let answer: Frame | undefined
  try {
    answer = await exchangeHandshake(connection, privateKey, plan.chainId)
  } catch (error) {
    sample('handshake stream', error)
  }
  if (answer?.type === FrameType.Handshake) {
    report.admitted++
    if (connection.status !== 'open') report.closedAfterAdmission++
    else {
      connection.addEventListener('close', () => {
        if (released) return
        report.closedAfterAdmission++
        void stopInstance(libp2p)
      })
    }
    return
  }
  if (answer?.type === FrameType.Reject) {
    const { code } = decodeReject(answer.payload)
    bump(report.rejected, `0x${code.toString(16).padStart(2, '0')}`)
  } else {
    report.noAnswer++
  }
  await stopInstance(libp2p)
}

function rawAttempt(plan: AttackPlan, localAddress: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: plan.host, port: plan.port, localAddress })
    rawSockets.add(socket)
    let opened = false
    let hungUp = false
    let timer: ReturnType<typeof setTimeout> | undefined
    // The node hung up first (a guard refused it, or its upgrade timed out): FIN or RST.
    const closedByNode = (): void => {
      if (hungUp) return
      hungUp = true
      report.rawClosedByNode++
      socket.destroy()
    }
    socket.on('connect', () => {
      opened = true
      report.rawOpened++
      timer = setTimeout(() => {
        hungUp = true
        socket.destroy()
      }, RAW_HOLD_MS)
    })
    socket.on('error', (error) => {
      if (opened) {
        closedByNode()
        return
      }
      report.rawFailed++
      sample('raw connect', error)
    })
    socket.on('end', closedByNode)
    socket.on('close', () => {
      clearTimeout(timer)
      rawSockets.delete(socket)
      resolve()
    })
  })
}

/** The i-th source address, cycling through 127.0.0.2 … 127.0.0.<lastHost>. */
function sourceAddress(plan: AttackPlan, index: number): string {
  const hosts = plan.lastHost - 1
  return `127.0.0.${2 + (index % hosts)}`
}

async function attack(plan: AttackPlan): Promise<AttackReport> {
  const started = performance.now()
  const interval = plan.durationMs / plan.attempts
  const pending: Promise<void>[] = []
  const sources = new Set<string>()
  for (let index = 0; index < plan.attempts; index++) {
    const due = started + index * interval
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    const localAddress = sourceAddress(plan, index)
    sources.add(localAddress)
    report.attempts++
    // Every attempt whose index ends in 0, 3 or 6 is a raw TCP scanner: 30 % of them.
    const raw = index % 10 === 0 || index % 10 === 3 || index % 10 === 6
    if (raw) report.raw++
    else report.full++
    const attempt = raw ? rawAttempt(plan, localAddress) : fullAttempt(plan, localAddress)
    pending.push(
      attempt.catch((error: unknown) => {
        sample(raw ? 'raw attempt' : 'full attempt', error)
      }),
    )
  }
  report.launchMs = performance.now() - started
  report.sourceAddresses = sources.size
  await Promise.all(pending)
  report.settledMs = performance.now() - started
  report.held = [...instances].filter((libp2p) => libp2p.getConnections().length > 0).length
  return { ...report }
}

async function release(): Promise<void> {
  released = true
  for (const socket of rawSockets) socket.destroy()
  await Promise.allSettled([...instances].map((libp2p) => stopInstance(libp2p)))
}

async function handle(request: AttackerRequest): Promise<unknown> {
  switch (request.type) {
    case 'attack':
      return attack(request.plan)
    case 'release':
      await release()
      return undefined
  }
}

if (process.send === undefined) {
  console.error('flood-attacker-child.ts is forked by flood-attacker.ts: it needs an IPC channel')
  process.exit(2)
}

process.on('disconnect', () => process.exit(0))

process.on('message', (request: AttackerRequest) => {
  void (async () => {
    try {
      send({ type: 'result', id: request.id, value: await handle(request) })
      if (request.type === 'release') process.exit(0)
    } catch (error) {
      send({
        type: 'error',
        id: request.id,
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      })
    }
  })()
})

send({ type: 'loaded' })
