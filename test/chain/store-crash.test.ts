/**
 * Crash test of the LevelDB block store: a real process (test/chain/crash/writer.ts)
 * commits blocks and reorgs as fast as it can and is killed with SIGKILL at 20 random
 * moments, 50–400 ms after it reports its store open. After each kill this process opens
 * the store itself and checks what issue 4 asks: the store opens; the tip is a block whose
 * bytes hash to it; the best-chain index is complete, linked and agrees with the metadata;
 * every block the writer acknowledged is there, and the index is exactly what the writer
 * acknowledged, or that plus the one commit it had in flight (all of it or none: never a
 * part). The next run goes on from the stored tip in the same directory.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { LevelBlockStore } from '../../src/chain/store/level-store.ts'
import { readU64, TIP_HEIGHT_KEY } from './crash/protocol.ts'

const KILLS = 20
const MIN_RUN_MS = 50
const MAX_RUN_MS = 400
const WRITER = join(import.meta.dirname, 'crash/writer.ts')
/**
 * STORE_CRASH_NO_SYNC=1 runs the writer without fsync: a killed process must still lose
 * nothing it acknowledged (LevelDB hands each batch to the OS before it resolves).
 */
const NO_SYNC = process.env.STORE_CRASH_NO_SYNC === '1'

interface Intent {
  tip: { height: number; hash: string }
  removeAbove: number | undefined
  set: Array<[number, string]>
}

interface RunLog {
  intents: Intent[]
  acked: Array<[number, string]>
  ready: boolean
  stderr: string
  signal: NodeJS.Signals | null
  code: number | null
}

function parseIntent(fields: string[]): Intent {
  const [tipHeight, tipHash, removeAbove, entries] = fields
  return {
    tip: { height: Number(tipHeight), hash: tipHash as string },
    removeAbove: removeAbove === '-' ? undefined : Number(removeAbove),
    set: (entries as string).split(',').map((entry) => {
      const [height, hash] = entry.split(':')
      return [Number(height), hash as string]
    }),
  }
}

/** Runs the writer until a random moment after it reports ready, then SIGKILLs it. */
function runWriter(dir: string, runMs: number): Promise<RunLog> {
  const log: RunLog = { intents: [], acked: [], ready: false, stderr: '', signal: null, code: null }
  const child = spawn(process.execPath, [WRITER, dir, ...(NO_SYNC ? ['--no-sync'] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    log.stderr += chunk
  })
  const guard = setTimeout(() => child.kill('SIGKILL'), 15_000)
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [kind, ...fields] = line.split(' ')
    if (kind === 'intent') log.intents.push(parseIntent(fields))
    else if (kind === 'acked') log.acked.push([Number(fields[0]), fields[1] as string])
    else if (kind === 'ready' && !log.ready) {
      log.ready = true
      setTimeout(() => child.kill('SIGKILL'), runMs)
    }
  })
  // 'close' comes after the exit and after stdout is drained: every line is in the log.
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(guard)
      log.code = code
      log.signal = signal
      resolve(log)
    })
  })
}

/** The best-chain index as the writer believes it: height → hash. */
type Index = Map<number, string>

function applyIntent(index: Index, intent: Intent): Index {
  const next = new Map(index)
  if (intent.removeAbove !== undefined) {
    for (const height of [...next.keys()]) if (height > intent.removeAbove) next.delete(height)
  }
  for (const [height, hash] of intent.set) next.set(height, hash)
  return next
}

function sha256hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-store-crash-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

it(`keeps a consistent chain and every acknowledged block through ${KILLS} SIGKILLs`, async () => {
  let index: Index = new Map()
  const ackedHashes = new Set<string>()
  let verifiedHashes = new Set<string>()
  let inFlightLanded = 0
  let inFlightLost = 0

  for (let run = 0; run < KILLS; run++) {
    const runMs = MIN_RUN_MS + Math.floor(Math.random() * (MAX_RUN_MS - MIN_RUN_MS + 1))
    const log = await runWriter(dir, runMs)
    const where = `run ${run + 1} (killed ${runMs} ms after ready)`
    expect(log.signal, `${where}: the writer exited by itself\n${log.stderr}`).toBe('SIGKILL')
    expect(log.ready, `${where}: the writer never opened its store\n${log.stderr}`).toBe(true)

    // Replay what the writer said: intents in order, each acked one moves the belief.
    let ackedIndex = index
    let inFlight: Intent | undefined
    /** Some of the in-flight commit's acks were printed: then it resolved, so it must be there. */
    let inFlightResolved = false
    let ackCursor = 0
    for (const intent of log.intents) {
      const acks = log.acked.slice(ackCursor, ackCursor + intent.set.length)
      if (acks.length === intent.set.length) {
        expect(acks, `${where}: acks follow their intent`).toEqual(intent.set)
        ackedIndex = applyIntent(ackedIndex, intent)
        for (const [, hash] of intent.set) ackedHashes.add(hash)
        ackCursor += acks.length
      } else {
        expect(intent, `${where}: only the last commit can be unacknowledged`).toBe(log.intents.at(-1))
        expect(acks, `${where}: partial acks follow their intent`).toEqual(intent.set.slice(0, acks.length))
        for (const [, hash] of acks) ackedHashes.add(hash)
        inFlight = intent
        inFlightResolved = acks.length > 0
      }
    }

    const store = new LevelBlockStore(dir)
    await store.open()
    try {
      const stored = await store.getTip()
      expect(stored, `${where}: a tip`).toBeDefined()
      const tip = stored as NonNullable<typeof stored>
      const tipHex = hex(tip.hash)
      const ackedTip = [...ackedIndex.entries()].at(-1)
      let expected: Index
      if (!inFlightResolved && ackedTip?.[1] === tipHex && ackedTip[0] === tip.height) {
        expected = ackedIndex
        if (inFlight !== undefined) inFlightLost++
      } else if (
        inFlight !== undefined &&
        inFlight.tip.hash === tipHex &&
        inFlight.tip.height === tip.height
      ) {
        expected = applyIntent(ackedIndex, inFlight)
        inFlightLanded++
      } else {
        throw new Error(
          `${where}: the stored tip ${tip.height} ${tipHex} is neither the last acknowledged one ` +
            `(${ackedTip?.[0]} ${ackedTip?.[1]}) nor the one in flight (${inFlight?.tip.height} ${inFlight?.tip.hash})`,
        )
      }

      const tipBlock = await store.getBlock(tip.hash)
      expect(tipBlock, `${where}: the tip's block is stored`).toBeDefined()
      expect(sha256hex(tipBlock as Uint8Array), `${where}: the tip's bytes hash to the tip`).toBe(tipHex)
      const stateHeight = await store.getState(TIP_HEIGHT_KEY)
      expect(readU64(stateHeight as Uint8Array), `${where}: state written with the tip`).toBe(tip.height)
      expect(await store.getUndo(tip.hash), `${where}: the tip's undo record`).toBeDefined()

      // The index: complete from 0 to the tip, nothing above, linked, as acknowledged.
      const hashes = await store.getHashesFrom(0, tip.height + 2)
      expect(hashes.length, `${where}: index entries 0..tip`).toBe(tip.height + 1)
      expect(await store.getHashAtHeight(tip.height + 1)).toBeUndefined()
      expect(new Map(hashes.map((hash, height) => [height, hex(hash)])), `${where}: the index`).toEqual(
        expected,
      )
      let previous: { hash: string; work: bigint } | undefined
      for (const [height, hash] of hashes.entries()) {
        const meta = await store.getMeta(hash)
        expect(meta?.height, `${where}: meta height at ${height}`).toBe(height)
        if (previous !== undefined) {
          expect(hex(meta?.parent as Uint8Array), `${where}: parent link at ${height}`).toBe(previous.hash)
          expect((meta?.totalWork as bigint) > previous.work, `${where}: work grows at ${height}`).toBe(true)
        }
        previous = { hash: hex(hash), work: meta?.totalWork as bigint }
      }
      expect(previous?.work).toBe(tip.totalWork)

      // Every acknowledged block, on the best chain or reorged away, is still stored;
      // the ones not yet checked are read back whole and hashed.
      const nextVerified = new Set<string>()
      for (const hash of ackedHashes) {
        const bytes = Buffer.from(hash, 'hex')
        if (verifiedHashes.has(hash)) {
          expect(await store.hasBlock(bytes), `${where}: acknowledged block ${hash}`).toBe(true)
        } else {
          const stored = await store.getBlock(bytes)
          expect(stored, `${where}: acknowledged block ${hash}`).toBeDefined()
          expect(sha256hex(stored as Uint8Array)).toBe(hash)
        }
        nextVerified.add(hash)
      }
      verifiedHashes = nextVerified
      index = expected
    } finally {
      await store.close()
    }
  }

  const tipHeight = Math.max(...index.keys())
  console.log(
    `store crash test${NO_SYNC ? ' (no fsync)' : ''}: ${KILLS} kills, ${ackedHashes.size} blocks acked, ${verifiedHashes.size} found ` +
      `(tip height ${tipHeight}; the commit in flight at the kill was found whole ${inFlightLanded} times, ` +
      `absent ${inFlightLost} times)`,
  )
  expect(verifiedHashes.size).toBe(ackedHashes.size)
}, 60_000)
