/**
 * Issue 18, "say how an existing home is upgraded or refused, with a clear error": a home
 * whose chain data was written with header version 1 (before the state root; docs/chain.md
 * "Header") makes `start` stop at once with one line naming the directory, the version and
 * what to do, exit 1; once that directory is moved away, the same home starts and mines the
 * new chain. The old data is a LevelDB store holding a version-1 genesis (153 bytes, the
 * layout the old node wrote), made here byte by byte. Runs the built CLI (dist/).
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PAW_DEVNET } from '../../src/chain/params.ts'
import { workForTarget } from '../../src/chain/pow.ts'
import { LevelBlockStore } from '../../src/chain/store/level-store.ts'
import { encodeChainId } from '../../src/wire/handshake.ts'
import { cliEntry, loopbackStartFlags } from '../support/cli-joiner.ts'
import { adminHeight, cliEnv, startCli, stopCli } from '../support/cli-process.ts'
import { projectRoot } from '../support/system-node.ts'
import { until } from '../support/until.ts'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-old-header-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** paw-devnet's genesis as header version 1 wrote it: version 1, no stateRoot, 153 + 4 + 152·n bytes. */
function versionOneGenesis(): Uint8Array {
  const header = new Uint8Array(153)
  const view = new DataView(header.buffer)
  header[0] = 1
  header.set(encodeChainId(PAW_DEVNET.chainId), 1)
  view.setBigUint64(73, BigInt(PAW_DEVNET.genesisTimestamp))
  header.set(PAW_DEVNET.initialTarget, 113)
  const block = new Uint8Array(157)
  block.set(header, 0)
  return block
}

describe('a home written with header version 1', () => {
  it('is refused at start with what to do; moved away, the home starts on version 2', async () => {
    const home = join(dir, 'home')
    const init = spawnSync(process.execPath, [cliEntry, 'init', '--home', home], {
      cwd: projectRoot,
      env: cliEnv(),
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(init.status, init.stderr).toBe(0)
    const chainDir = join(home, 'data', 'chain', PAW_DEVNET.chainId)
    const store = new LevelBlockStore(chainDir)
    await store.open()
    const genesis = versionOneGenesis()
    const hash = sha256(genesis.subarray(0, 153))
    const tip = { hash, height: 0, totalWork: workForTarget(PAW_DEVNET.initialTarget) }
    await store.commit({
      blocks: [
        { hash, encoded: genesis, meta: { height: 0, parent: new Uint8Array(32), totalWork: tip.totalWork } },
      ],
      bestChain: { set: [[0, hash]] },
      tip,
    })
    await store.close()

    // A miner on loopback (loopbackStartFlags starts a full node).
    const startArgs = ['start', ...loopbackStartFlags(home).map((flag) => (flag === 'full' ? 'miner' : flag))]
    const refused = spawnSync(process.execPath, [cliEntry, ...startArgs], {
      cwd: projectRoot,
      env: cliEnv(),
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(refused.status).toBe(1)
    const errorLine = refused.stderr.split('\n').find((line) => line.includes('ERROR')) ?? refused.stderr
    expect(errorLine).toContain(chainDir)
    expect(errorLine).toContain('header version 1')
    expect(errorLine).toContain('reads version 2 only')
    expect(errorLine).toContain('Move the chain data away')
    expect(refused.stderr).not.toMatch(/\n\s+at /) // one line, no stack trace

    await rename(chainDir, `${chainDir}.v1`)
    const node = startCli(startArgs)
    try {
      await until('the upgraded home mining', async () => ((await adminHeight(home)) ?? 0) >= 2, 60_000)
    } finally {
      await stopCli(node.child, 'SIGTERM')
    }
  }, 120_000)
})
