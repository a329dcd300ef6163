/**
 * Issue 17 item 6: bans by IP and by subnet, as Bitcoin Core's `setban <ip|subnet>`. A ban of
 * 127.0.0.1, then one of 127.0.0.0/8, each refuses a fresh identity (a key the banning node
 * never saw) connecting from that address, closes the connections already inside it, lasts
 * across a restart of the banning node, and `unban` lets the address in again. Real
 * `paw-node start` processes on loopback, driven with the built CLI as an operator would.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
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

async function newHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'paw-ip-bans-'))
  cleanups.push(() => rm(home, { recursive: true, force: true }))
  return home
}

/** A loopback port free now, so the banning node comes back on the same one after its restart. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** `paw-node start` in `home`; resolves with its peer ID once its admin API answers. */
async function start(home: string, extra: string[] = []): Promise<{ process: CliProcess; peerId: string }> {
  const process = startCli(['start', ...loopbackStartFlags(home), ...extra])
  cleanups.push(() => stopCli(process.child, 'SIGKILL'))
  let peerId: string | undefined
  await until(
    () => `the node in ${home} to answer (log: ${process.stderr().slice(-500)})`,
    async () => {
      peerId = (await adminGet<{ peerId: string }>(home, '/status'))?.peerId
      return peerId !== undefined
    },
    60_000,
  )
  return { process, peerId: peerId as string }
}

/** GET /peers: the ids of the connected peers (a row's id is `peerId`, `id` before issue 17). */
async function connectedPeers(home: string): Promise<string[]> {
  type Row = { peerId?: string; id?: string; state: string }
  const peers = (await adminGet<{ peers: Row[] }>(home, '/peers'))?.peers
  return (peers ?? [])
    .filter((peer) => peer.state === 'connected')
    .map((peer) => peer.peerId ?? peer.id ?? '')
}

describe('bans by IP and by subnet', () => {
  it('127.0.0.1 and 127.0.0.0/8 each refuse a fresh identity, survive a restart, and unban lets it in', async () => {
    const home = await newHome()
    const port = await freePort()
    const flags = ['--port', String(port)]
    let banning = await start(home, flags)
    const address = `/ip4/127.0.0.1/tcp/${port}/p2p/${banning.peerId}`
    let admitted: string | undefined

    for (const target of ['127.0.0.1', '127.0.0.0/8']) {
      const ban = await runCli(['ban', target, '1h', 'test', 'ban', '--home', home])
      expect(ban.status, ban.stderr).toBe(0)
      expect(ban.stdout).toMatch(
        new RegExp(`^banned ${target.replaceAll('.', '\\.')} until .*: test ban\\n$`),
      )
      if (admitted !== undefined) {
        // The peer let in after the previous ban is inside this one: disconnected now.
        const inside = admitted
        await until('the peer inside the subnet disconnected', async () => {
          return !(await connectedPeers(home)).includes(inside)
        })
      }

      // A key never seen before, from the banned address: refused.
      const freshHome = await newHome()
      const fresh = await start(freshHome)
      const refused = await runCli(['dial', address, '--home', freshHome])
      expect(refused.status, refused.stdout).toBe(1)
      expect(refused.stderr).toMatch(/^paw-node dial: DIAL_FAILED: /)
      expect(await connectedPeers(home)).not.toContain(fresh.peerId)

      // The ban is in <home>/data/bans.json: the restarted node still refuses.
      await stopCli(banning.process.child, 'SIGTERM')
      expect(await readFile(join(home, 'data', 'bans.json'), 'utf8')).toContain(target)
      banning = await start(home, flags)
      const listed = await runCli(['bans', '--home', home])
      expect(listed.status, listed.stderr).toBe(0)
      expect(listed.stdout).toMatch(
        new RegExp(`^-\\s+${target.replaceAll('.', '\\.')}\\s+in \\d+m\\s+operator\\s+test ban$`, 'm'),
      )
      const again = await runCli(['dial', address, '--home', freshHome])
      expect(again.status, again.stdout).toBe(1)
      expect(await connectedPeers(home)).not.toContain(fresh.peerId)

      const unban = await runCli(['unban', target, '--home', home])
      expect(unban.status, unban.stderr).toBe(0)
      expect(unban.stdout).toBe(`unbanned ${target}\n`)
      const dialled = await runCli(['dial', address, '--home', freshHome])
      expect(dialled.status, dialled.stderr).toBe(0)
      expect(dialled.stdout).toContain(`connected to ${banning.peerId}`)
      await until('the fresh peer connected', async () => (await connectedPeers(home)).includes(fresh.peerId))
      admitted = fresh.peerId
    }
    expect((await runCli(['bans', '--home', home])).stdout).toBe('no active bans\n')
  }, 240_000)
})
