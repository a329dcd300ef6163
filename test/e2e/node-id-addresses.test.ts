/**
 * Issue 17 item 6: `show-node-id` prints the legacy hex node ID on its second line, and a
 * CometBFT operator pastes it as `id@host:port`. The node dials such an address without a
 * peer ID and keeps the connection only if the key Noise authenticated is the one the hex
 * names (docs/configuration.md "Peer addresses"). Real `paw-node start` processes on
 * loopback, driven with the built CLI as an operator would.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loopbackStartFlags } from '../support/cli-joiner.ts'
import { adminGet, type CliProcess, runCli, startCli, stopCli } from '../support/cli-process.ts'
import { until } from '../support/until.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

interface StartedNode {
  home: string
  process: CliProcess
  peerId: string
  port: number
}

interface StatusReply {
  peerId: string
  listen: string[]
}

/** `paw-node start` on a new home (a new key) on loopback; resolves once its admin API answers. */
async function startNode(extra: string[] = []): Promise<StartedNode> {
  const home = await mkdtemp(join(tmpdir(), 'paw-node-id-'))
  cleanups.push(() => rm(home, { recursive: true, force: true }))
  const process = startCli(['start', ...loopbackStartFlags(home), ...extra])
  cleanups.push(() => stopCli(process.child, 'SIGKILL'))
  let status: StatusReply | undefined
  await until(
    () => `the node in ${home} to answer (log: ${process.stderr().slice(-500)})`,
    async () => {
      status = await adminGet<StatusReply>(home, '/status')
      return status !== undefined
    },
    60_000,
  )
  const { peerId, listen } = status as StatusReply
  const port = Number(
    listen
      .find((address) => address.includes('/tcp/'))
      ?.split('/tcp/')[1]
      ?.split('/')[0],
  )
  return { home, process, peerId, port }
}

interface PeerRow {
  id: string
  state: string
  persistent: boolean
}

/** GET /peers; a row's id is `peerId` (`id` before issue 17). */
async function peersOf(node: StartedNode): Promise<PeerRow[]> {
  const peers = (await adminGet<{ peers: Array<PeerRow & { peerId?: string }> }>(node.home, '/peers'))?.peers
  return (peers ?? []).map((peer) => ({ ...peer, id: peer.peerId ?? peer.id }))
}

/** The two lines of `show-node-id`: the PeerId, then the legacy hex node ID. */
async function nodeIds(node: StartedNode): Promise<{ peerId: string; hex: string }> {
  const shown = await runCli(['show-node-id', '--home', node.home])
  expect(shown.status, shown.stderr).toBe(0)
  const [peerId = '', hex = ''] = shown.stdout.trim().split('\n')
  expect(hex).toMatch(/^[0-9a-f]{40}$/)
  return { peerId, hex }
}

/** Another node's hex ID: the same length, one digit changed. */
const otherHex = (hex: string) => `${hex[0] === 'a' ? 'b' : 'a'}${hex.slice(1)}`

describe('id@host:port with the hex node ID of show-node-id', () => {
  it('a persistent peer given as <hex>@127.0.0.1:port is that node, kept connected; a wrong hex is refused, the reason logged', async () => {
    const b = await startNode()
    const { peerId, hex } = await nodeIds(b)
    expect(peerId).toBe(b.peerId)

    const right = await startNode(['--persistent-peers', `${hex}@127.0.0.1:${b.port}`])
    await until('B connected to A as a persistent peer', async () =>
      (await peersOf(right)).some((p) => p.id === b.peerId && p.state === 'connected' && p.persistent),
    )

    const wrongHex = otherHex(hex)
    const wrong = await startNode(['--persistent-peers', `${wrongHex.toUpperCase()}@127.0.0.1:${b.port}`])
    await until('the mismatch logged', () => wrong.process.stderr().includes(`is not node ${wrongHex}`))
    const line =
      wrong.process
        .stderr()
        .split('\n')
        .find((l) => l.includes(`is not node ${wrongHex}`)) ?? ''
    // Names what answered, so the operator can fix the entry.
    expect(line).toContain(`127.0.0.1/tcp/${b.port}`)
    expect(line).toContain(hex)
    expect(line).toContain(b.peerId)
    // Refused: never a peer, on the node that dialled nor on the node dialled.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect((await peersOf(wrong)).filter((p) => p.state !== 'disconnected')).toEqual([])
    expect((await peersOf(b)).some((p) => p.id === wrong.peerId && p.state === 'connected')).toBe(false)
  }, 120_000)

  it('a bootstrap entry <hex>@127.0.0.1:port reaches that node; with a wrong hex the dial fails, naming why', async () => {
    const b = await startNode()
    const { hex } = await nodeIds(b)
    const right = await startNode(['--bootstrap', `${hex}@127.0.0.1:${b.port}`, '--min-outbound', '1'])
    // Reached as host:port bootstrap entries are: asked for peers, as a seed (docs/configuration.md).
    await until('the bootstrap node crawled', () => /seed crawled .*peer=/.test(right.process.stderr()))
    expect(right.process.stderr()).toMatch(new RegExp(`seed crawled .*peer=${b.peerId}`))

    const wrongHex = otherHex(hex)
    const wrong = await startNode(['--bootstrap', `${wrongHex}@127.0.0.1:${b.port}`, '--min-outbound', '1'])
    await until('the bootstrap node refused', () => wrong.process.stderr().includes('seed unreachable'))
    expect(wrong.process.stderr()).toMatch(new RegExp(`seed unreachable .*is not node ${wrongHex}`))
    expect(wrong.process.stderr()).not.toContain('seed crawled')
  }, 120_000)

  it('paw-node dial <hex>@127.0.0.1:port connects to that node, and refuses another with exit 1', async () => {
    const a = await startNode()
    const b = await startNode()
    const { hex } = await nodeIds(b)
    const wrong = await runCli(['dial', `${otherHex(hex)}@127.0.0.1:${b.port}`, '--home', a.home])
    expect(wrong.status).toBe(1)
    expect(wrong.stderr).toMatch(/^paw-node dial: DIAL_FAILED: .*is not node [0-9a-f]{40}/)
    expect(wrong.stderr).toContain(b.peerId)

    const dialled = await runCli(['dial', `${hex}@127.0.0.1:${b.port}`, '--home', a.home])
    expect(dialled.status, dialled.stderr).toBe(0)
    expect(dialled.stdout).toContain(`connected to ${b.peerId}`)

    // A malformed id says which forms are accepted.
    const malformed = await runCli(['dial', `${hex.slice(2)}@127.0.0.1:${b.port}`, '--home', a.home])
    expect(malformed.status).toBe(2)
    expect(malformed.stderr).toMatch(/12D3KooW.*40 hex digits/)
  }, 120_000)
})
