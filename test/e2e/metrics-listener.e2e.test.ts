/**
 * Issue 17, item 5: `paw-node start` serves Prometheus metrics on a listener of its own
 * (metrics.listen, --metrics), which answers GET /metrics and none of the admin API's routes;
 * off unless asked, on loopback by default, and a taken port is one line naming the setting.
 * Runs the built command on temporary homes.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cliEntry } from '../support/cli-joiner.ts'
import { type CliProcess, startCli, stopCli } from '../support/cli-process.ts'
import { waitFor } from '../support/nodes.ts'
import { projectRoot } from '../support/system-node.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

async function home(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paw-metrics-listener-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const LOOPBACK = [
  '--listen-host',
  '127.0.0.1',
  '--port',
  '0',
  '--ws-port',
  'off',
  '--admin-listen',
  '127.0.0.1:0',
]

function start(args: string[]): CliProcess {
  const node = startCli(['start', ...args])
  cleanups.push(() => stopCli(node.child, 'SIGKILL'))
  return node
}

/** The address the node logged for its metrics listener, once it has. */
async function metricsAddress(node: CliProcess): Promise<string> {
  await waitFor('the metrics listener', () => /metrics listening .*address=\S+/.test(node.stderr()), 60_000)
  return /metrics listening .*address=(\S+)/.exec(node.stderr())?.[1] ?? ''
}

async function request(url: string, method = 'GET') {
  const reply = await fetch(url, { method, signal: AbortSignal.timeout(5_000) })
  return { status: reply.status, type: reply.headers.get('content-type') ?? '', body: await reply.text() }
}

describe('the metrics listener of paw-node start', () => {
  it('serves GET /metrics and none of the admin routes', async () => {
    const node = start(['--home', await home(), ...LOOPBACK, '--metrics', '--metrics-listen', '127.0.0.1:0'])
    const url = `http://${await metricsAddress(node)}`
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    const metrics = await request(`${url}/metrics`)
    expect(metrics.status).toBe(200)
    expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(metrics.body).toContain('# TYPE paw_p2p_peers gauge')
    expect(metrics.body).toContain('libp2p_data_transfer_bytes_total')
    expect(metrics.body).toContain('paw_process_cpu_seconds_total')
    const head = await request(`${url}/metrics`, 'HEAD')
    expect([head.status, head.body]).toEqual([200, ''])
    expect((await request(`${url}/`)).body).toContain('GET /metrics')

    for (const path of ['/status', '/peers', '/bans', '/accounts/00', '/transactions/00', '/metrics/x']) {
      expect((await request(`${url}${path}`)).status, `GET ${path}`).toBe(404)
    }
    for (const path of ['/bans', '/unban', '/dial', '/disconnect', '/transactions']) {
      expect((await request(`${url}${path}`, 'POST')).status, `POST ${path}`).toBe(404)
    }
    expect((await request(`${url}/metrics`, 'POST')).status).toBe(405)
  }, 90_000)

  it('is off by default; config.toml turns it on with [metrics] enabled, on loopback unless told', async () => {
    const dir = await home()
    const off = start(['--home', dir, ...LOOPBACK])
    await waitFor('the node up', () => off.stdout().includes('/p2p/'), 60_000)
    expect(off.stderr()).not.toContain('metrics listening')
    await stopCli(off.child, 'SIGTERM')

    const configFile = join(dir, 'config', 'config.toml')
    const config = await readFile(configFile, 'utf8')
    expect(config).toContain('[metrics]\n')
    expect(config).toMatch(/^enabled = false$/m)
    expect(config).toMatch(/^listen = "127\.0\.0\.1:26660"$/m)

    await writeFile(
      configFile,
      config
        .replace(/^enabled = false$/m, 'enabled = true')
        .replace('listen = "127.0.0.1:26660"', 'listen = "127.0.0.1:0"'),
    )
    const on = start(['--home', dir, ...LOOPBACK])
    const address = await metricsAddress(on)
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/)
    expect((await request(`http://${address}/metrics`)).status).toBe(200)
  }, 120_000)

  it('a taken port: one line naming metrics.listen and --metrics-listen, exit 1', async () => {
    const server: Server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const port = (server.address() as { port: number }).port

    const { PAW_HOME: _, ...env } = process.env
    const args = [
      'start',
      '--home',
      await home(),
      ...LOOPBACK,
      '--metrics',
      '--metrics-listen',
      `127.0.0.1:${port}`,
    ]
    const child = spawn(process.execPath, [cliEntry, ...args], { cwd: projectRoot, env })
    cleanups.push(async () => child.kill('SIGKILL'))
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve))

    expect(status).toBe(1)
    const errors = stderr.split('\n').filter((line) => / ERROR /.test(line))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(
      `invalid setting metrics.listen: cannot listen on 127.0.0.1:${port}: address already in use`,
    )
    expect(errors[0]).toContain('(metrics.listen, --metrics-listen: ')
    expect(stderr).not.toMatch(/\n\s+at /)
  }, 60_000)
})
