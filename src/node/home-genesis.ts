/**
 * `<home>/config/genesis.json`: the definition of a chain that is not built in (docs/chain.md
 * "Custom chains"). As CometBFT's `init` writes a genesis naming the node as its validator,
 * `paw-node init --chain-id my-chain` writes one that funds the node's own key (an Ed25519
 * public key is an address; a miner's coinbase pays the same key), so the new chain can be
 * mined and spent from at once. Every other node of that chain needs the same file:
 * `init --genesis <file>` copies it, after checking it.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { genesisHash } from '../chain/genesis.ts'
import {
  BASE_UNITS_PER_PAW,
  builtInParams,
  PAW_DEVNET,
  paramsFromJson,
  paramsToJson,
} from '../chain/params.ts'
import type { ChainParams } from '../chain/types.ts'
import { toHex } from '../wire/bytes.ts'
import { createFileOnce, HomeError } from './home-files.ts'

/** What a new custom chain gives the node that creates it: 1,000,000 PAW, as a devnet account. */
export const CUSTOM_CHAIN_ALLOCATION = 1_000_000n * BASE_UNITS_PER_PAW

/** Where a home keeps its chain definition: beside config.toml. */
export function genesisFilePath(configDir: string): string {
  return join(configDir, 'genesis.json')
}

/**
 * A new chain's definition: the devnet's easy start, 2 s blocks and 20-block retargeting (a
 * chain begun with `init` is a development chain until its operators edit the file), its
 * genesis at `now` (whole seconds), `fundedAddress` holding {@link CUSTOM_CHAIN_ALLOCATION}.
 */
export function newChainParams(chainId: string, fundedAddress: Uint8Array, now: number): ChainParams {
  return {
    ...PAW_DEVNET,
    chainId,
    genesisTimestamp: Math.floor(now / 1000) * 1000,
    allocations: [{ address: fundedAddress, amount: CUSTOM_CHAIN_ALLOCATION }],
  }
}

export interface GenesisFileResult {
  file: string
  params: ChainParams
  /** True if this call wrote the file; false if it was there (and was kept). */
  created: boolean
  /** Where the written definition came from: a new chain, or the --genesis file copied. */
  source: 'new-chain' | 'copied' | 'existing'
}

/** The definition in `file`, checked, for `chainId`. */
async function readDefinition(file: string, chainId: string): Promise<{ text: string; params: ChainParams }> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new HomeError(file, `cannot read ${file}: ${(error as Error).message}`)
  }
  let params: ChainParams
  try {
    params = paramsFromJson(JSON.parse(text))
  } catch (error) {
    throw new HomeError(
      file,
      `${file} is not a valid chain definition: ${(error as Error).message} (docs/chain.md "Custom chains")`,
    )
  }
  if (params.chainId !== chainId) {
    throw new HomeError(
      file,
      `${file} defines chain ${JSON.stringify(params.chainId)}, not ${JSON.stringify(chainId)}`,
    )
  }
  return { text, params }
}

/**
 * Makes sure a home whose chain is `chainId` has its genesis.json: nothing for a built-in
 * chain (undefined); an existing file is kept as it is (and must define `chainId`); else the
 * file `copyFrom` names is checked and copied, or a new chain funding `fundedAddress` written.
 */
export async function ensureGenesisFile(init: {
  configDir: string
  chainId: string
  fundedAddress: Uint8Array
  copyFrom?: string
  now?: number
}): Promise<GenesisFileResult | undefined> {
  const { chainId } = init
  const file = genesisFilePath(init.configDir)
  if (builtInParams(chainId) !== undefined) {
    if (init.copyFrom !== undefined) {
      throw new HomeError(init.copyFrom, `${chainId} is built in: it takes no genesis file (--genesis)`)
    }
    return undefined
  }
  let text: string
  let params: ChainParams
  let source: GenesisFileResult['source']
  if (init.copyFrom !== undefined) {
    ;({ text, params } = await readDefinition(init.copyFrom, chainId))
    source = 'copied'
  } else {
    params = newChainParams(chainId, init.fundedAddress, init.now ?? Date.now())
    text = `${JSON.stringify(paramsToJson(params), null, 2)}\n`
    source = 'new-chain'
  }
  if (await createFileOnce(file, text, false)) return { file, params, created: true, source }
  const existing = await readDefinition(file, chainId)
  if (init.copyFrom !== undefined && existing.text !== text) {
    throw new HomeError(
      file,
      `${file} exists and differs from ${init.copyFrom}: remove it first to replace it`,
    )
  }
  return { file, params: existing.params, created: false, source: 'existing' }
}

/** One line for the operator: the chain, its genesis hash and who it funds. */
export function describeGenesis(result: GenesisFileResult): string {
  const hash = toHex(genesisHash(result.params))
  const what =
    result.source === 'new-chain'
      ? `created ${result.file}: a new chain ${result.params.chainId} (genesis ${hash}) funding this node's key with ${CUSTOM_CHAIN_ALLOCATION / BASE_UNITS_PER_PAW} PAW; copy it to every other node of the chain (init --genesis FILE)`
      : result.source === 'copied'
        ? `created ${result.file} from the given file: chain ${result.params.chainId}, genesis ${hash}`
        : `kept the existing ${result.file}: chain ${result.params.chainId}, genesis ${hash}`
  return what
}
