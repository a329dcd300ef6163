/**
 * Issue "Reference chain": a real node process mining and storing blocks is killed with
 * SIGKILL at 20 random moments; after each kill its store opens, the tip is a valid block,
 * and every block the node had reported stored ("mined block", logged after the store's
 * commit resolved) is still there. Each restart continues from the stored tip.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { blockHash } from '../../src/chain/hashing.ts'
import { PAW_DEVNET } from '../../src/chain/params.ts'
import { meetsTarget } from '../../src/chain/pow.ts'
import { ReferenceChain } from '../../src/chain/reference-chain.ts'
import { LevelBlockStore } from '../../src/chain/store/level-store.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { projectRoot } from '../support/system-node.ts'

const KILLS = 20
const launcher = join(projectRoot, 'bin', 'paw-node.js')
const homes: string[] = []

afterAll(async () => {
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })))
})

interface Run {
  /** Height → the short hash ("3fa2b1c0…9d41") of each block the node reported stored. */
  reported: Map<number, string>
  exited: Promise<void>
}

/** Starts a devnet miner on `home`; resolves once it listens. */
async function startMiner(home: string): Promise<{ child: ChildProcess; run: Run }> {
  const child = spawn(
    process.execPath,
    [
      launcher,
      'start',
      '--home',
      home,
      '--listen-host',
      '127.0.0.1',
      '--port',
      '0',
      '--ws-port',
      'off',
      '--log-format',
      'json',
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const reported = new Map<number, string>()
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (text: string) => {
    stderr += text
    const lines = stderr.split('\n')
    stderr = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.startsWith('{')) continue
      const record = JSON.parse(line) as { msg?: string; height?: number; hash?: string }
      if (record.msg === 'mined block' && record.height !== undefined && record.hash !== undefined) {
        reported.set(record.height, record.hash)
      }
    }
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`node exited with ${code} before listening`)))
  })
  return { child, run: { reported, exited } }
}

const short = (hash: Uint8Array) => {
  const hex = toHex(hash)
  return `${hex.slice(0, 8)}…${hex.slice(-4)}`
}

it(`a mining node killed with SIGKILL ${KILLS} times keeps every block it reported stored`, async () => {
  const home = await mkdtemp(join(tmpdir(), 'paw-crash-'))
  homes.push(home)
  const everReported = new Map<number, string>()
  let lastTip = 0
  for (let kill = 0; kill < KILLS; kill++) {
    const { child, run } = await startMiner(home)
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 900))
    child.kill('SIGKILL')
    await run.exited
    for (const [height, hash] of run.reported) everReported.set(height, hash)

    const store = new LevelBlockStore(join(home, 'data', 'chain', 'paw-devnet'))
    const chain = await ReferenceChain.open({ params: PAW_DEVNET, store })
    try {
      const tip = chain.tip()
      const tipBlock = await chain.getBlock(tip.hash)
      expect(tipBlock, `tip block after kill ${kill}`).toBeDefined()
      const header = tipBlock?.header
      if (header === undefined) throw new Error('no tip header')
      expect(toHex(blockHash(header))).toBe(toHex(tip.hash))
      expect(header.height).toBe(tip.height)
      if (tip.height > 0) expect(meetsTarget(tip.hash, header.target)).toBe(true)
      // The chain only grows between kills (one miner, no reorgs), and nothing reported is lost.
      expect(tip.height).toBeGreaterThanOrEqual(lastTip)
      lastTip = tip.height
      for (const [height, hash] of everReported) {
        const block = await chain.getBlockAtHeight(height)
        expect(block, `reported block at height ${height} after kill ${kill}`).toBeDefined()
        if (block !== undefined) expect(short(blockHash(block.header))).toBe(hash)
      }
    } finally {
      await chain.close()
    }
  }
  console.log(
    `node crash test: ${KILLS} kills, ${everReported.size} blocks reported stored, all found; tip height ${lastTip}`,
  )
  expect(everReported.size).toBeGreaterThan(KILLS)
}, 180_000)
