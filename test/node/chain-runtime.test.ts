import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from 'vitest'
import { PAW_DEVNET, paramsToJson } from '../../src/chain/params.ts'
import { resolveSettings } from '../../src/config/settings.ts'
import { silentLogger } from '../../src/logging.ts'
import { loadChainParams, openChainRuntime } from '../../src/node/chain-runtime.ts'
import { initHome } from '../../src/node/home.ts'

const homes: string[] = []
afterEach(async () => {
  await Promise.all(homes.splice(0).map((home) => rm(home, { recursive: true, force: true })))
})

async function newHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'paw-runtime-'))
  homes.push(home)
  await initHome({ home })
  return home
}

describe('chain parameters', () => {
  it('come built in for paw-devnet', async () => {
    expect((await loadChainParams(await newHome(), 'paw-devnet')).chainId).toBe('paw-devnet')
  })

  it('come from config/genesis.json for another chain, which must define that chain', async () => {
    const home = await newHome()
    const custom = { ...paramsToJson(PAW_DEVNET), chainId: 'paw-local' }
    await writeFile(join(home, 'config', 'genesis.json'), JSON.stringify(custom))
    expect((await loadChainParams(home, 'paw-local')).chainId).toBe('paw-local')
    await expect(loadChainParams(home, 'paw-elsewhere')).rejects.toMatchObject({ key: 'chain_id' })
  })

  it('an unknown chain without genesis.json, or a broken genesis.json, is a ConfigError on chain_id', async () => {
    const home = await newHome()
    await expect(loadChainParams(home, 'paw-nowhere')).rejects.toMatchObject({
      key: 'chain_id',
      message: expect.stringMatching(/not a built-in chain/),
    })
    await writeFile(join(home, 'config', 'genesis.json'), '{"chainId": 5}')
    await expect(loadChainParams(home, 'paw-nowhere')).rejects.toMatchObject({ key: 'chain_id' })
  })
})

describe('node types', () => {
  it.each([
    ['full', true, false, false],
    ['miner', true, true, false],
    ['light', false, false, true],
  ] as const)('%s: chain %s, miner %s, headers %s', async (nodeType, chain, miner, headers) => {
    const home = await newHome()
    const runtime = await openChainRuntime({
      home,
      settings: resolveSettings({ chainId: 'paw-devnet', nodeType }),
      privateKey: await generateKeyPair('Ed25519'),
      log: silentLogger,
    })
    try {
      expect(runtime.chain !== undefined).toBe(chain)
      expect(runtime.miner !== undefined).toBe(miner)
      expect(runtime.headers !== undefined).toBe(headers)
    } finally {
      await runtime.close()
    }
  })
})
