/**
 * The soak's network: the devnet's own pieces (src/node/devnet: layout, port check,
 * supervisor) start N real `paw-node start` processes of the built CLI (dist/cli/run.js) on
 * loopback, exactly as `paw-node devnet` does, minus its observer, which would read every
 * node's /status four times a second and add that load to what the soak measures.
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AdminClient } from '../../src/cli/admin-client.ts'
import {
  type DevnetNodeSpec,
  type DevnetOptions,
  devnetSpecs,
  startFlags,
} from '../../src/node/devnet/layout.ts'
import { checkPortsFree, PortInUseError } from '../../src/node/devnet/ports.ts'
import { type ChildExit, DevnetSupervisor, logTail } from '../../src/node/devnet/supervisor.ts'
import { initHome } from '../../src/node/home.ts'
import { cliEntry } from '../support/cli-joiner.ts'

export interface SoakNode extends DevnetNodeSpec {
  pid: number
  peerId: string
  client: AdminClient
}

export interface SoakNetwork {
  root: string
  nodes: SoakNode[]
  /** Nodes that exited before stop() was called. */
  unexpectedExits: ChildExit[]
  /**
   * SIGTERM to every node (SIGKILL after the supervisor's grace); every node's exit. Called
   * again once they have exited, it resolves at once.
   */
  stop(): Promise<ChildExit[]>
}

/**
 * Base ports tried: 43,000 to 47,990 in steps of 200, away from the e2e devnet test's
 * 36,000–37,000 and from DEFAULT_BASE_PORT, so the soak can run next to either.
 */
function randomBasePort(): number {
  return 43_000 + 200 * Math.floor(Math.random() * 25)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function freeLayout(root: string, nodes: number, miners: number): Promise<DevnetOptions> {
  for (let attempt = 1; ; attempt++) {
    const options: DevnetOptions = { root, nodes, miners, basePort: randomBasePort(), chainId: 'paw-devnet' }
    try {
      await checkPortsFree(devnetSpecs(options))
      return options
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt === 5) throw error
    }
  }
}

/** Resolves once every node's admin API answers as that node (as `paw-node devnet` waits). */
async function waitReady(nodes: readonly SoakNode[], failures: readonly ChildExit[], timeoutMs: number) {
  const ready = new Set<string>()
  const deadline = Date.now() + timeoutMs
  while (ready.size < nodes.length) {
    const failed = failures[0]
    if (failed !== undefined) {
      const spec = nodes.find((n) => n.name === failed.name)
      throw new Error(`${failed.name} exited while starting:\n${await logTail(spec?.logFile ?? '', 20)}`)
    }
    if (Date.now() > deadline) {
      const waiting = nodes.filter((n) => !ready.has(n.name)).map((n) => n.name)
      throw new Error(`not ready after ${timeoutMs} ms: ${waiting.join(', ')}`)
    }
    await Promise.all(
      nodes.map(async (node) => {
        if (ready.has(node.name)) return
        try {
          const status = await node.client.get<{ peerId: string }>('/status')
          if (status.peerId === node.peerId) ready.add(node.name)
        } catch {}
      }),
    )
    if (ready.size < nodes.length) await sleep(250)
  }
}

/** Starts `nodes` real nodes, nodes 0..miners-1 mining, and waits until every one answers. */
export async function startSoakNetwork(
  nodes: number,
  miners: number,
  readyTimeoutMs = 120_000,
): Promise<SoakNetwork> {
  const root = await mkdtemp(join(tmpdir(), 'paw-soak-'))
  const options = await freeLayout(root, nodes, miners)
  const specs = devnetSpecs(options)
  const peerIds: string[] = []
  for (const spec of specs)
    peerIds.push((await initHome({ home: spec.home, chainId: options.chainId })).peerId.toString())

  const unexpectedExits: ChildExit[] = []
  const supervisor = new DevnetSupervisor((exit) => unexpectedExits.push(exit))
  const soakNodes: SoakNode[] = specs.map((spec, index) => {
    const child = supervisor.spawn({
      name: spec.name,
      logFile: spec.logFile,
      args: [cliEntry, 'start', ...startFlags(options, index, peerIds)],
    })
    if (child.pid === undefined) throw new Error(`${spec.name}: spawn gave no pid`)
    return { ...spec, pid: child.pid, peerId: peerIds[index] as string, client: new AdminClient(spec.admin) }
  })
  const network: SoakNetwork = {
    root,
    nodes: soakNodes,
    unexpectedExits,
    stop: () => supervisor.stop(),
  }
  try {
    await waitReady(soakNodes, unexpectedExits, readyTimeoutMs)
  } catch (error) {
    supervisor.kill()
    await supervisor.stop(0)
    throw error
  }
  return network
}
