/**
 * A started paw-devnet full node with its chain in a temporary home (the runtime
 * `paw-node start` opens), no miner, no automatic sync: for tests of the admin API and the
 * CLI commands that talk to it. Everything it starts is undone by `cleanups`, last first.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PawNode } from '../../src/api/index.ts'
import { resolveSettings } from '../../src/config/settings.ts'
import { silentLogger } from '../../src/logging.ts'
import type { AdminContext } from '../../src/node/admin/index.ts'
import { createPawNode, openChainRuntime } from '../../src/node/index.ts'
import { testLogger } from './nodes.ts'

export type Cleanup = () => Promise<unknown>

export async function startHomeNode(
  cleanups: Cleanup[],
): Promise<{ node: PawNode; runtime: Awaited<ReturnType<typeof openChainRuntime>>; context: AdminContext }> {
  const home = await mkdtemp(join(tmpdir(), 'paw-home-node-'))
  cleanups.push(() => rm(home, { recursive: true, force: true }))
  const settings = resolveSettings({
    chainId: 'paw-devnet',
    nodeType: 'full',
    listenHost: '127.0.0.1',
    tcpPort: 0,
    wsPort: null,
    limits: { minOutbound: 0 },
  })
  const privateKey = await generateKeyPair('Ed25519')
  const runtime = await openChainRuntime({ home, settings, privateKey, log: silentLogger })
  cleanups.push(() => runtime.close())
  const node = await createPawNode({
    ...settings,
    privateKey,
    logger: testLogger(),
    autoSync: false,
    chain: {
      chain: runtime.chain as NonNullable<typeof runtime.chain>,
      mempool: runtime.mempool as NonNullable<typeof runtime.mempool>,
    },
  })
  await node.start()
  cleanups.push(() => node.stop())
  const context: AdminContext = { node, chain: runtime.chain, mempool: runtime.mempool, headers: undefined }
  return { node, runtime, context }
}
