/**
 * A taken port or an address this machine does not have, at `paw-node start`: one line naming
 * the setting and its flag, exit 1, no stack trace and no libp2p advice the operator cannot act
 * on (issue 17, item 2). Runs the built command on a temporary home.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { projectRoot } from '../support/system-node.ts'

const runJs = join(projectRoot, 'dist', 'cli', 'run.js')
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

function start(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const { PAW_HOME: _, ...env } = process.env
    const child = spawn(process.execPath, [runJs, 'start', ...args], { cwd: projectRoot, env })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stderr })
    })
  })
}

async function home(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paw-listen-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function takenPort(): Promise<number> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(resolve)))
  return (server.address() as { port: number }).port
}

/** The ERROR lines of a failed start. */
const errorLines = (stderr: string) => stderr.split('\n').filter((line) => / ERROR /.test(line))

describe('paw-node start on a listen address it cannot have', () => {
  it('a taken TCP port: one line naming p2p.port and --port, exit 1', async () => {
    const port = await takenPort()
    const common = ['--home', await home(), '--listen-host', '127.0.0.1', '--admin-listen', 'off']
    const result = await start([...common, '--port', String(port), '--ws-port', '0'])
    expect(result.status).toBe(1)
    const errors = errorLines(result.stderr)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(`cannot listen on 127.0.0.1:${port}: address already in use`)
    expect(errors[0]).toContain('p2p.port, --port')
    expect(result.stderr).not.toMatch(/faultTolerance|\n\s+at /)
  }, 40_000)

  it('a taken WebSockets port names p2p.ws_port and --ws-port', async () => {
    const port = await takenPort()
    const common = ['--home', await home(), '--listen-host', '127.0.0.1', '--admin-listen', 'off']
    const result = await start([...common, '--port', '0', '--ws-port', String(port)])
    expect(result.status).toBe(1)
    expect(errorLines(result.stderr).join('\n')).toContain('p2p.ws_port, --ws-port')
  }, 40_000)

  it('an address this machine does not have names p2p.listen_host and --listen-host', async () => {
    // 203.0.113.0/24 is TEST-NET-3 (RFC 5737): never one of this machine's addresses.
    const common = ['--home', await home(), '--listen-host', '203.0.113.77', '--admin-listen', 'off']
    const result = await start([...common, '--port', '0', '--ws-port', '0'])
    expect(result.status).toBe(1)
    const errors = errorLines(result.stderr)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('no such address on this machine (p2p.listen_host, --listen-host')
    expect(result.stderr).not.toMatch(/faultTolerance|\n\s+at /)
  }, 40_000)
})
