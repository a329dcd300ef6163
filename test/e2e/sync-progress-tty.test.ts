/**
 * Issue 6 "progress is visible (height, target, blocks/s) in the log and a progress bar on a
 * terminal": the real `paw-node start` syncing 4,000 blocks under a pseudo-terminal
 * (util-linux `script`) draws the bar, keeps log lines above it, and erases it when the sync
 * is done; with its output on a pipe it draws none and logs "sync progress" lines instead.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { PawNode } from '../../src/api/index.ts'
import type { FullChain } from '../../src/chain/full-chain.ts'
import { paramsToJson } from '../../src/chain/params.ts'
import type { ChainParams } from '../../src/chain/types.ts'
import { nextBlock, openTestFullChain, testAccounts, testChainParams } from '../support/chain-nodes.ts'
import { cliEntry, joinerStartFlags } from '../support/cli-joiner.ts'
import { trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()
const BLOCKS = 4_000
const ERASE_LINE = '\x1b[2K\r'
const children: ChildProcess[] = []
const homes: string[] = []
let params: ChainParams
let source: FullChain
let holder: PawNode

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })))
})

beforeAll(async () => {
  params = testChainParams(testAccounts(1))
  source = await openTestFullChain(params)
  for (let i = 0; i < BLOCKS; i++) await source.chain.addBlock(await nextBlock(source))
}, 60_000)

// Nodes are stopped after each test: each test gets a holder of its own.
beforeEach(async () => {
  holder = await nodes.node({ chainId: params.chainId, nodeType: 'full', chain: source, autoSync: false })
})

/** A new home for the test chain: `paw-node init`, then the chain's genesis.json. */
async function newHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'paw-sync-tty-'))
  homes.push(home)
  const init = spawn(process.execPath, [cliEntry, 'init', '--home', home, '--chain-id', params.chainId], {
    stdio: 'ignore',
  })
  await new Promise((resolve) => init.once('close', resolve))
  await writeFile(join(home, 'config', 'genesis.json'), JSON.stringify(paramsToJson(params), null, 2))
  return home
}

function startArgs(home: string): string[] {
  return [cliEntry, 'start', ...joinerStartFlags(home, holder)]
}

const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`

/** Runs `command` until its output contains `until`, then stops it; returns all output. */
async function runUntil(child: ChildProcess, until: string): Promise<string> {
  children.push(child)
  let output = ''
  const collect = (chunk: Buffer) => {
    output += chunk.toString()
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const closed = new Promise((resolve) => child.once('close', resolve))
  await waitFor(`"${until}" in the output`, () => output.includes(until), 30_000).catch((error: Error) => {
    throw new Error(`${error.message}: ${output.slice(-3000)}`)
  })
  child.kill('SIGTERM')
  await closed
  return output
}

describe('sync progress on a terminal', () => {
  it('draws a progress bar under the log lines on a terminal and erases it when the sync is done', async () => {
    const home = await newHome()
    // script(1) gives the node a pseudo-terminal for stdin, stdout and stderr.
    const command = [process.execPath, ...startArgs(home)].map(quote).join(' ')
    const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
      env: { ...process.env, COLUMNS: '120', LINES: '40' },
    })
    const output = await runUntil(child, 'sync finished')
    const bars = output.split(ERASE_LINE).filter((part) => part.startsWith('sync ['))
    expect(bars.length, JSON.stringify(bars.slice(0, 3))).toBeGreaterThan(0)
    expect(bars[0], JSON.stringify(bars[0])).toMatch(
      /^sync \[[#-]{24}\] +\d+\.\d% {2}height [\d,]+ \/ 4,000 {2}[\d,]+ blocks\/s/,
    )
    // The log line that ends the sync comes after an erase, on a line of its own.
    const finished = output.indexOf('sync finished')
    expect(output.lastIndexOf(ERASE_LINE, finished)).toBeGreaterThan(output.lastIndexOf('\n', finished))
    // No log line was written onto the bar's line: every bar is followed by an erase.
    for (const bar of bars) expect(bar).not.toMatch(/\n/)
  }, 60_000)

  it('draws no bar when its output is not a terminal, and logs the progress instead', async () => {
    const home = await newHome()
    const child = spawn(process.execPath, startArgs(home), { stdio: ['ignore', 'pipe', 'pipe'] })
    const output = await runUntil(child, 'sync finished')
    expect(output).not.toContain(ERASE_LINE)
    expect(output).not.toContain('sync [')
    expect(output).toMatch(/sync progress .*height=\d+.*target=4000/)
  }, 60_000)
})
