/**
 * The chain a node runs, by node type (000 "Node Types"), on LevelDB in the home:
 * - full: the whole chain, validated (<home>/data/chain/<chain id>), with a mempool;
 * - miner: a full node whose Miner produces blocks, paying the node's own key;
 * - light: headers only (<home>/data/headers/<chain id>).
 * Chain parameters come from the chain ID's built-in definition, or config/genesis.json.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import type { NodeChain, PawNode } from '../api/index.ts'
import { openFullChain } from '../chain/full-chain.ts'
import { HeaderChain } from '../chain/header-chain.ts'
import type { Mempool } from '../chain/mempool/index.ts'
import { Miner, type MinerEvents } from '../chain/miner.ts'
import { builtInParams, paramsFromJson } from '../chain/params.ts'
import type { ReferenceChain } from '../chain/reference-chain.ts'
import { LevelBlockStore } from '../chain/store/level-store.ts'
import type { ChainParams } from '../chain/types.ts'
import { ConfigError, type Settings } from '../config/settings.ts'
import type { Logger } from '../logging.ts'
import { toHex } from '../wire/bytes.ts'
import { homePaths } from './home.ts'

export interface ChainRuntime {
  /** What createPawNode takes as `chain`: { chain, mempool } or { headers }. */
  nodeChain: NodeChain
  /** Full and miner nodes. */
  chain: ReferenceChain | undefined
  mempool: Mempool | undefined
  miner: Miner | undefined
  /** Light nodes. */
  headers: HeaderChain | undefined
  /** Starts the miner (if any). */
  start(): void
  /** Stops the miner, then closes the store; what was stored stays stored. */
  close(): Promise<void>
}

/** The chain's parameters: built in for paw-devnet/testnet/mainnet, else config/genesis.json. */
export async function loadChainParams(home: string, chainId: string): Promise<ChainParams> {
  const builtIn = builtInParams(chainId)
  if (builtIn !== undefined) return builtIn
  const file = join(homePaths(home).configDir, 'genesis.json')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ConfigError(
      'chain_id',
      `${JSON.stringify(chainId)} is not a built-in chain and ${file} does not exist: ` +
        `\`paw-node init --home ${home} --chain-id ${chainId}\` writes one for a new chain, ` +
        `\`--genesis FILE\` copies an existing chain's (docs/chain.md "Custom chains")`,
    )
  }
  let params: ChainParams
  try {
    params = paramsFromJson(JSON.parse(text))
  } catch (error) {
    throw new ConfigError('chain_id', `${file}: ${(error as Error).message}`)
  }
  if (params.chainId !== chainId) {
    throw new ConfigError(
      'chain_id',
      `${file} defines ${JSON.stringify(params.chainId)}, not ${JSON.stringify(chainId)}`,
    )
  }
  return params
}

export async function openChainRuntime(init: {
  home: string
  settings: Settings
  privateKey: PrivateKey
  log: Logger
}): Promise<ChainRuntime> {
  const { home, settings, privateKey, log } = init
  const params = await loadChainParams(home, settings.chainId)
  const dataDir = homePaths(home).dataDir

  if (settings.nodeType === 'light') {
    const store = new LevelBlockStore(join(dataDir, 'headers', settings.chainId))
    const headers = await HeaderChain.open({ params, store })
    const tip = headers.tip()
    log.info('header chain opened', { type: 'light', height: tip.height, tip: toHex(tip.hash).slice(0, 16) })
    return {
      nodeChain: { headers },
      chain: undefined,
      mempool: undefined,
      miner: undefined,
      headers,
      start: () => {},
      close: () => headers.close(),
    }
  }

  const store = new LevelBlockStore(join(dataDir, 'chain', settings.chainId))
  const { chain: opened, mempool } = await openFullChain({ params, store })
  const tip = opened.tip()
  log.info('chain opened', { type: settings.nodeType, height: tip.height, tip: toHex(tip.hash).slice(0, 16) })
  logReorgs(opened, log)
  const miner =
    settings.nodeType === 'miner'
      ? new Miner({
          chain: opened,
          mempool,
          // Coinbases pay the node's own identity key: an Ed25519 public key is an address.
          rewardAddress: privateKey.publicKey.raw,
          log: log.child({ component: 'miner' }),
          hashesPerSecond: settings.minerHashesPerSecond,
        })
      : undefined
  return {
    nodeChain: { chain: opened, mempool },
    chain: opened,
    mempool,
    miner,
    headers: undefined,
    start: () => miner?.start(),
    close: async () => {
      await miner?.stop()
      await opened.close()
    },
  }
}

/**
 * A reorg is news to an operator (a partition healed, a competing miner won): one INFO line
 * with its depth, the new tip and how many rolled-back transactions went back to the mempool.
 */
function logReorgs(chain: ReferenceChain, log: Logger): void {
  chain.addEventListener('reorg', (event) => {
    const { disconnected, connected, restored } = event.detail
    const tip = chain.tip()
    log.info('chain reorganised', {
      disconnected: disconnected.length,
      connected: connected.length,
      height: tip.height,
      tip: toHex(tip.hash).slice(0, 16),
      restoredTransactions: restored?.length ?? 0,
    })
  })
}

/**
 * 000 announceBlock for a miner: floods every block it mines that became the tip. A
 * block that lost the race to a peer's is not sent (peers would only Ignore it).
 * Returns a function that stops announcing.
 */
export function announceMinedBlocks(node: PawNode, miner: Miner, log: Logger): () => void {
  const onBlock = (event: MinerEvents['block']): void => {
    const { block, stats } = event.detail
    if (stats.outcome !== 'extended' && stats.outcome !== 'reorg') return
    node.announceBlock(block).then(
      ({ recipients }) => log.debug('mined block announced', { height: stats.height, recipients }),
      (error: unknown) => log.warn('announcing a mined block failed', { height: stats.height, error }),
    )
  }
  miner.addEventListener('block', onBlock)
  return () => miner.removeEventListener('block', onBlock)
}
