/**
 * Issue 7: "a banned peer is refused on dial and inbound, still refused after the banning
 * node restarts, and admitted again after the ban expires".
 *
 * Node A keeps its bans in a file (homePeerStores: <dir>/bans.json) and is restarted with the
 * same key, port and stores. A bans B for a few seconds: B is disconnected, A's dial of B is
 * refused with 0x07 ReputationRejection before any dial, and B's dial of A is dropped by A's
 * connection gater. The restarted A still lists the ban and still refuses both ways; once the
 * ban's `until` has passed, B connects again.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, describe, expect, it } from 'vitest'
import type { PawNode } from '../../src/api/index.ts'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import { homePeerStores } from '../../src/node/index.ts'
import { startTestNode, stopAll, tcpAddress, testLogger, waitFor } from '../support/nodes.ts'

const BAN_MS = 6_000
const dirs: string[] = []
const running: PawNode[] = []

afterAll(async () => {
  await stopAll(running)
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

function portOf(node: PawNode): number {
  return Number(tcpAddress(node).toString().split('/tcp/')[1]?.split('/')[0])
}

/** The PAW error code a promise rejects with; -1 for another error, undefined if it resolves. */
async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise
    return undefined
  } catch (error) {
    return isPawError(error) ? error.wireCode : -1
  }
}

/** How a promise ended within `timeoutMs`: 'resolved', 'timeout', or the rejection's message. */
async function outcomeOf(promise: Promise<unknown>, timeoutMs = 10_000): Promise<string> {
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs))
  try {
    const outcome = await Promise.race([promise, timeout])
    return outcome === 'timeout' ? 'timeout' : 'resolved'
  } catch (error) {
    return `rejected: ${(error as Error).message}`
  }
}

const connected = (node: PawNode, other: PawNode): boolean =>
  node.peer(other.peerId.toString())?.state === 'connected'

describe('peer bans', () => {
  it('a banned peer is refused on dial and inbound, still refused after a restart, and admitted after the ban expires', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paw-bans-'))
    dirs.push(dir)
    const key = await generateKeyPair('Ed25519')
    const linesA: string[] = []
    const startA = async (port: number): Promise<PawNode> => {
      const node = await startTestNode({
        privateKey: key,
        tcpPort: port,
        wsPort: null,
        logger: testLogger(linesA),
        ...homePeerStores(dir),
      })
      running.push(node)
      return node
    }
    let a = await startA(0)
    const port = portOf(a)
    const b = await startTestNode({ wsPort: null })
    running.push(b)
    const bId = b.peerId.toString()

    await b.connectToPeer(tcpAddress(a))
    await waitFor('A to list B connected', () => connected(a, b))

    const ban = await a.ban(bId, { durationMs: BAN_MS, reason: 'test' })
    expect(ban).toMatchObject({ peerId: bId, reason: 'test', source: 'operator' })
    await waitFor('B disconnected from A (both sides)', () => {
      return (
        !connected(a, b) &&
        !connected(b, a) &&
        a.libp2p.getConnections(b.peerId).length === 0 &&
        b.libp2p.getConnections(a.peerId).length === 0
      )
    })
    expect(a.bans().map((x) => x.peerId)).toEqual([bId])

    // Refused both ways while banned.
    expect(await codeOf(a.connectToPeer(tcpAddress(b)))).toBe(ErrorCode.ReputationRejection)
    const inbound = await outcomeOf(b.connectToPeer(tcpAddress(a)))
    console.log(`B dialling A while banned: ${inbound}`)
    expect(inbound).toMatch(/^rejected: /)
    expect(connected(a, b)).toBe(false)

    // The ban is on disk, with its reason.
    const saved = JSON.parse(await readFile(join(dir, 'bans.json'), 'utf8')) as {
      version: number
      bans: Array<{ peerId: string; reason: string; until: number }>
    }
    expect(saved.bans).toEqual([expect.objectContaining({ peerId: bId, reason: 'test', until: ban.until })])

    // Restart A: same key, same port, same stores.
    const restartStarted = performance.now()
    await a.stop()
    a = await startA(port)
    expect(portOf(a)).toBe(port)
    console.log(`A restarted in ${Math.round(performance.now() - restartStarted)} ms`)
    expect(a.bans()).toEqual([expect.objectContaining({ peerId: bId, reason: 'test', until: ban.until })])
    expect(Date.now()).toBeLessThan(ban.until)
    expect(await codeOf(a.connectToPeer(tcpAddress(b)))).toBe(ErrorCode.ReputationRejection)
    const afterRestart = await outcomeOf(b.connectToPeer(tcpAddress(a)))
    console.log(`B dialling the restarted A while banned: ${afterRestart}`)
    expect(afterRestart).toMatch(/^rejected: /)
    expect(connected(a, b)).toBe(false)
    // The refusals above all came before the ban ended (else this test proves nothing).
    expect(Date.now()).toBeLessThan(ban.until)

    // Expired: admitted again.
    const wait = ban.until - Date.now() + 100
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    expect(a.bans()).toEqual([])
    const info = await b.connectToPeer(tcpAddress(a))
    expect(info).toMatchObject({ peerId: a.peerId.toString(), state: 'connected' })
    await waitFor('A to list B connected after the ban', () => connected(a, b))
    expect(linesA.some((line) => line.includes(' WARN ') && line.includes('peer banned'))).toBe(true)
  }, 40_000)
})
