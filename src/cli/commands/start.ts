/**
 * `paw-node start`: home → config.toml → flags → validated settings → node. Prints each
 * full listen multiaddr on stdout (logs go to stderr) and stops gracefully on SIGINT or
 * SIGTERM (004 §5.2 "Graceful Shutdown"; src/cli/stop-signals.ts).
 */
import type { PawNode } from '../../api/index.ts'
import { ConfigError, resolveSettings } from '../../config/settings.ts'
import { createLogger } from '../../logging.ts'
import { type AdminServer, startHomeAdmin } from '../../node/admin/index.ts'
import { announceMinedBlocks, type ChainRuntime, openChainRuntime } from '../../node/chain-runtime.ts'
import { mergeSettings, readConfigFile } from '../../node/config-file.ts'
import { initHome, resolveHome } from '../../node/home.ts'
import { describeGenesis } from '../../node/home-genesis.ts'
import { createLibp2pMetrics, createPawNode, homePeerStores } from '../../node/index.ts'
import { type MetricsServer, startNodeMetrics } from '../../node/metrics/metrics-server.ts'
import { renderNodeMetrics } from '../../node/metrics/node-metrics.ts'
import { EXIT_FAILURE, EXIT_OK, parseFlags, START_OPTIONS, settingsFromFlags } from '../options.ts'
import { StatusLine } from '../status-line.ts'
import { watchStopSignals } from '../stop-signals.ts'
import { formatSyncProgress } from '../sync-bar.ts'

export const START_USAGE = `Usage: paw-node start [--home DIR] [flags]

Starts a node. Initialises the home first if it is not (as \`paw-node init\` does).
Settings come from <home>/config/config.toml; each flag below overrides its setting for
this run. Prints every listen address (multiaddr ending in /p2p/<PeerId>) on stdout;
logs go to stderr. SIGINT or SIGTERM stops the node cleanly (exit 0), also when sent to
the PID of npx; a second one, a second or more later, exits at once.

Options:
  --home DIR                  home directory (default: $PAW_HOME, else ~/.paw)
  --chain-id ID               chain_id (default paw-devnet: a new home is a local devnet)
  --type TYPE                 node_type: full | light | miner (default miner on paw-devnet, else full)
  --mine                      same as --type miner
  --port N                    p2p.port, TCP (default 26656; 0 = any free port; off = none)
  --ws-port N                 p2p.ws_port, WebSockets (default 26657; 0 = any; off = none)
  --listen-host IP            p2p.listen_host (default 0.0.0.0)
  --bootstrap ADDR            p2p.bootstrap; repeat the flag or separate with commas
  --persistent-peers ADDR     p2p.persistent_peers; repeat the flag or separate with commas
  --seeds ADDR                p2p.seeds (host:port allowed); --seeds none for none
  --seed-mode                 p2p.seed_mode: answer get_peers, then disconnect
  --ws-tls-cert FILE          p2p.ws_tls_cert_file: PEM certificate; with --ws-tls-key the ws port serves wss
  --ws-tls-key FILE           p2p.ws_tls_key_file
  --profile NAME              p2p.profile: default | high-traffic | low-resource
  --max-peers N               p2p.max_peers
  --max-inbound N             p2p.max_inbound
  --max-outbound N            p2p.max_outbound
  --min-outbound N            p2p.min_outbound
  --log-level LEVEL           log.level: debug | info | warn | error
  --log-format FORMAT         log.format: plain | json
  --admin-listen HOST:PORT    admin.listen, the admin HTTP API (default 127.0.0.1:26658;
                              0 = any free port; off = none); the bound address is
                              written to <home>/data/admin.addr for \`paw-node tx\`
  --metrics                   metrics.enabled: serve Prometheus metrics on metrics.listen
  --metrics-listen HOST:PORT  metrics.listen, where --metrics serves (default
                              127.0.0.1:26660; 0 = any free port); the bound address is logged
  --max-hashrate N            mining.max_hashes_per_second: cap a miner's proof-of-work
                              search (0 = no cap), to leave CPU to other devnet nodes
  --max-buffer-mib N          p2p.max_buffer_mib: memory all peers may make the node hold
                              on /paw/* streams (default 256)
  --max-peer-buffer-mib N     p2p.max_peer_buffer_mib: the same, per peer (default 24)
  -h, --help                  show this help

ADDR is a multiaddr (/ip4/1.2.3.4/tcp/26656/p2p/12D3KooW...) or id@host:port.
Every other setting is in config.toml; see docs/configuration.md.
`

/** Runs `step`; a ConfigError about a value a flag supplied gets "(set by --flag)" added. */
async function tracingFlags<T>(sources: Map<string, string>, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (error) {
    const flag = error instanceof ConfigError ? sources.get(error.key) : undefined
    if (flag !== undefined) (error as Error).message += ` (set by ${flag})`
    throw error
  }
}

export async function start(args: readonly string[]): Promise<number> {
  const flags = parseFlags(args, START_OPTIONS)
  if (flags.help === true) {
    process.stdout.write(START_USAGE)
    return EXIT_OK
  }
  const fromFlags = settingsFromFlags(flags)
  const home = resolveHome(flags.home)
  const { paths, created, genesis, privateKey, peerId } = await tracingFlags(fromFlags.sources, () =>
    initHome({ home, chainId: fromFlags.input.chainId }),
  )
  if (created.config || created.key) {
    const what = [created.config ? paths.configFile : undefined, created.key ? paths.keyFile : undefined]
    process.stderr.write(
      `paw-node start: ${home} was not initialised; created ${what.filter((p) => p !== undefined).join(', ')}\n`,
    )
  }
  if (genesis?.created === true) process.stderr.write(`paw-node start: ${describeGenesis(genesis)}\n`)
  const fromFile = await readConfigFile(paths.configFile)
  const settings = await tracingFlags(fromFlags.sources, () =>
    resolveSettings(mergeSettings(fromFile, fromFlags.input)),
  )
  // On a terminal, log lines scroll above the sync progress bar.
  const status = new StatusLine(process.stderr)
  const log = createLogger({
    level: settings.logLevel,
    format: settings.logFormat,
    ...(status.enabled ? { sink: (line: string) => status.write(line) } : {}),
  })
  const signals = watchStopSignals(() => log, EXIT_FAILURE)
  let node: PawNode | undefined
  let runtime: ChainRuntime | undefined
  let admin: AdminServer | undefined
  let metrics: MetricsServer | undefined
  try {
    log.info('starting', {
      home,
      config: paths.configFile,
      peerId: peerId.toString(),
      type: settings.nodeType,
    })
    // The chain first: a store another process holds, or an unknown chain, fails before
    // anything listens.
    runtime = await openChainRuntime({ home, settings, privateKey, log: log.child({ component: 'chain' }) })
    // libp2p's own metrics, with the process's and the data directory's disk space, for the
    // metrics listener and the admin API's /metrics.
    const libp2pMetrics = createLibp2pMetrics({ processMetrics: true, filesystemPath: paths.dataDir })
    node = await createPawNode({
      ...settings,
      privateKey,
      logger: log,
      chain: runtime.nodeChain,
      ...homePeerStores(paths.dataDir),
      libp2pMetrics,
    })
    let syncTarget: number | undefined
    node.addEventListener('sync:progress', ({ detail }) => {
      syncTarget = detail.done ? undefined : detail.target
      if (detail.done) status.clear()
      else status.set(formatSyncProgress(detail))
    })
    await node.start()
    const started = node
    admin = await startHomeAdmin({
      home,
      settings,
      context: {
        node,
        chain: runtime.chain,
        mempool: runtime.mempool,
        headers: runtime.headers,
        metrics: () => libp2pMetrics.render(),
        syncTarget: () => syncTarget,
      },
      log: log.child({ component: 'admin' }),
    })
    const { chain, headers } = runtime
    metrics = await startNodeMetrics({
      settings,
      render: () =>
        renderNodeMetrics({
          node: started,
          height: () => chain?.tip().height ?? headers?.tip().height ?? 0,
          syncTarget: () => syncTarget,
          libp2p: () => libp2pMetrics.render(),
        }),
      log: log.child({ component: 'metrics' }),
    })
    for (const address of node.getMultiaddrs()) process.stdout.write(`${address.toString()}\n`)
    if (runtime.miner !== undefined)
      announceMinedBlocks(node, runtime.miner, log.child({ component: 'miner' }))
    runtime.start()
    const signal = await signals.first
    status.clear()
    log.info('shutting down', { reason: signal })
    // The admin API first: no transaction is accepted into a node that is going away.
    await admin?.stop()
    await metrics?.stop()
    await runtime.miner?.stop()
    await node.stop()
    await runtime.close()
    return EXIT_OK
  } catch (error) {
    log.error('node failed', { error })
    await admin?.stop().catch(() => {})
    await metrics?.stop().catch(() => {})
    await node?.stop().catch(() => {})
    await runtime?.close().catch(() => {})
    return EXIT_FAILURE
  } finally {
    signals.dispose()
  }
}
