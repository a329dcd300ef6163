/**
 * The `paw-node` command as an operator starts it: the bin launcher under the machine's
 * own Node (20 here) must hand over to the project's Node >= 22 runtime.
 * Runs the built CLI (dist/), which `npm test` builds first.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { VERSION } from '../../src/version.ts'
import { projectRoot, systemNode } from '../support/system-node.ts'

const root = projectRoot
const launcher = join(root, 'bin', 'paw-node.js')

function run(node: string, args: string[]) {
  return spawnSync(node, [launcher, ...args], { encoding: 'utf8', cwd: root, timeout: 20_000 })
}

describe('bin/paw-node.js', () => {
  it('is built (npm install and npm test build dist/)', () => {
    expect(existsSync(join(root, 'dist', 'cli', 'run.js'))).toBe(true)
  })

  it('started by the system node, runs under the project runtime (Node >= 22)', () => {
    const result = run(systemNode(), ['version'])
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const match = /^paw-node (\S+) \(node v(\d+)\.\d+\.\d+\)$/m.exec(result.stdout)
    expect(match?.[1]).toBe(VERSION)
    expect(Number(match?.[2])).toBeGreaterThanOrEqual(22)
  })

  it('started by the project runtime, runs directly', () => {
    const result = run(process.execPath, ['--version'])
    expect(result.status).toBe(0)
    expect(result.stdout.trim()).toBe(`paw-node ${VERSION} (node ${process.version})`)
  })

  it('passes the exit code through: unknown command → 2 with usage on stderr', () => {
    const result = run(systemNode(), ['frobnicate'])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('unknown command "frobnicate"')
    expect(result.stderr).toContain('Usage: paw-node')
  })

  it('rejects an unknown option with exit 2', () => {
    const result = run(process.execPath, ['--no-such-flag'])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain("Unknown option '--no-such-flag'")
  })

  it('passes arguments through to a command: start --help → its usage, exit 0', () => {
    const result = run(systemNode(), ['start', '--help'])
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('Usage: paw-node start')
    expect(result.stdout).toContain('--persistent-peers')
  })
})
