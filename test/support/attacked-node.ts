/**
 * A real `paw-node start --type full` to attack (test/reliability/resource-budget.test.ts,
 * bench/budget): its chain in LevelDB holds 16 blocks of ~600 KB of signed transfers, so
 * that one `get_blocks` is answered with ~8 MiB; its RSS is sampled from /proc and its
 * admin API read for the budget in use.
 *
 *   const template = await AttackedNodeTemplate.create()
 *   const target = await template.start(['--max-buffer-mib', '128'])
 *   …
 *   await target.stop()
 *   await template.remove()
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openFullChain } from '../../src/chain/full-chain.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import { LevelBlockStore } from '../../src/chain/store/level-store.ts'
import type { ChainParams } from '../../src/chain/types.ts'
import { type BulkAccount, bulkAccounts, signBulk } from './bulk-sign.ts'
import { TestChain } from './chain-builder.ts'
import { testChainParams } from './chain-nodes.ts'
import { loopbackStartFlags } from './cli-joiner.ts'
import { adminGet, type CliProcess, prepareHome, startCli, stopCli } from './cli-process.ts'
import { TEST_CHAIN, waitFor } from './nodes.ts'
import { MiB, RssSampler } from './process-memory.ts'

const BLOCKS = 16
const TRANSFERS_PER_BLOCK = 4_000
const ACCOUNTS = 200

/** The parts of GET /status an attack is judged by. */
export interface BudgetStatus {
  peerId: string
  memory: {
    usedBytes: number
    peakBytes: number
    nodeLimitBytes: number
    refused: { peer: number; node: number }
    revoked: { reservations: number; bytes: number }
  }
  process: { rssBytes: number; heapUsedBytes: number; externalBytes: number }
  enforcement: {
    charged: Record<string, number>
    bans: Record<string, number>
    disconnects: Record<string, number>
  }
}

export interface AttackedNode {
  home: string
  cli: CliProcess
  /** Its TCP multiaddr with /p2p/<id>. */
  address: string
  peerId: string
  rss: RssSampler
  status(): Promise<BudgetStatus | undefined>
  /** Its RSS once start-up has settled (two samples 1 s apart within 2 MiB). */
  settledRss(): Promise<number>
  /** The log lines at WARN naming `peerId` and `code`. */
  warnings(peerId: string, code: string): string[]
  stop(signal?: NodeJS.Signals): Promise<void>
}

export class AttackedNodeTemplate {
  readonly params: ChainParams
  readonly genesisHash: Uint8Array
  readonly #template: string
  readonly #homes: string[] = []

  private constructor(params: ChainParams, template: string) {
    this.params = params
    this.#template = template
    this.genesisHash = blockHash(new TestChain(params).tip)
  }

  /** A home initialised for the test chain, its chain filled (about 15 s). */
  static async create(): Promise<AttackedNodeTemplate> {
    const accounts = bulkAccounts(ACCOUNTS, 'paw-budget-account')
    const params = testChainParams(accounts, TEST_CHAIN)
    const template = await mkdtemp(join(tmpdir(), 'paw-attacked-template-'))
    const made = new AttackedNodeTemplate(params, template)
    await prepareHome(template, made.#args(template), params)
    // Every attacker comes from 127.0.0.1: libp2p's guard of 20 new connections per second
    // from one host would refuse most of them before any PAW code ran. Lifted deliberately,
    // so that the node's own defences are what is measured.
    const configFile = join(template, 'config', 'config.toml')
    const config = await readFile(configFile, 'utf8')
    await writeFile(
      configFile,
      config.replace(/^inbound_per_host_per_second = \d+$/m, 'inbound_per_host_per_second = 10000'),
    )
    await made.#fillChain(accounts)
    return made
  }

  /** Blocks of ~600 KB of signed transfers, stored in the template's LevelDB as the CLI keeps them. */
  async #fillChain(accounts: readonly BulkAccount[]): Promise<void> {
    const builder = new TestChain(this.params)
    const full = await openFullChain({
      params: this.params,
      store: new LevelBlockStore(join(this.#template, 'data', 'chain', this.params.chainId)),
    })
    try {
      const nonces = new Map<BulkAccount, bigint>()
      for (let height = 1; height <= BLOCKS; height++) {
        const transactions = Array.from({ length: TRANSFERS_PER_BLOCK }, (_, i) => {
          const account = accounts[i % accounts.length] as BulkAccount
          const nonce = nonces.get(account) ?? 0n
          nonces.set(account, nonce + 1n)
          return signBulk(this.params.chainId, account, new Uint8Array(32).fill(9), nonce)
        })
        await full.chain.addBlock(await builder.extend({ transactions }))
      }
    } finally {
      await full.chain.close()
    }
  }

  #args(home: string, extra: readonly string[] = []): string[] {
    return [
      'start',
      ...loopbackStartFlags(home),
      '--chain-id',
      this.params.chainId,
      '--seeds',
      'none',
      '--min-outbound',
      '0',
      ...extra,
    ]
  }

  /** A node on a copy of the template (or on `home` again, for a restart), with `flags`. */
  async start(flags: readonly string[] = [], home?: string): Promise<AttackedNode> {
    const dir = home ?? (await mkdtemp(join(tmpdir(), 'paw-attacked-')))
    if (home === undefined) {
      this.#homes.push(dir)
      await cp(this.#template, dir, { recursive: true })
    }
    const cli = startCli(this.#args(dir, flags))
    let address = ''
    await waitFor(
      'the node listening',
      () => {
        address = /\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+/.exec(cli.stdout())?.[0] ?? ''
        return address !== ''
      },
      60_000,
    )
    const status = () => adminGet<BudgetStatus>(dir, '/status')
    let first: BudgetStatus | undefined
    await waitFor(
      'the admin API',
      () => {
        void status().then((s) => {
          first = s
        })
        return first !== undefined
      },
      30_000,
    )
    const rss = new RssSampler(cli.child.pid as number)
    return {
      home: dir,
      cli,
      address,
      peerId: (first as BudgetStatus).peerId,
      rss,
      status,
      settledRss: async () => {
        let previous = rss.sample() ?? 0
        for (let i = 0; i < 10; i++) {
          await new Promise((resolve) => setTimeout(resolve, 1_000))
          const current = rss.sample() ?? 0
          if (Math.abs(current - previous) < 2 * MiB) return current
          previous = current
        }
        return previous
      },
      warnings: (peerId, code) =>
        cli
          .stderr()
          .split('\n')
          .filter(
            (line) => line.includes(' WARN ') && line.includes(peerId) && line.includes(`code=${code}`),
          ),
      stop: async (signal = 'SIGKILL') => {
        rss.stop()
        await stopCli(cli.child, signal)
      },
    }
  }

  /** Removes the template and every home made from it. */
  async remove(): Promise<void> {
    for (const home of [this.#template, ...this.#homes.splice(0)])
      await rm(home, { recursive: true, force: true })
  }
}
