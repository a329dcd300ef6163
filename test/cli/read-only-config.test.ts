/**
 * A read-only config directory (issue 17, item 9), as a container mounts one: a home whose
 * config/ holds config.toml and the node key, mounted read-only, must start, serve and stop
 * cleanly; `start` must not write anything there. The mount is real: a private mount
 * namespace (`unshare -m`) bind-mounts config/ read-only for the node's process alone, and
 * the wrapper first proves it cannot write there. Needs root and unshare (as CI has).
 * Runs the built CLI (dist/), which `npm test` builds first.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEntry, loopbackStartFlags } from '../support/cli-joiner.ts'
import { adminHeight, type CliProcess, cliEnv, startCli, stopCli } from '../support/cli-process.ts'
import { projectRoot } from '../support/system-node.ts'

let dir: string
let node: CliProcess | undefined

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-ro-config-'))
})

afterAll(async () => {
  if (node !== undefined) await stopCli(node.child, 'SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

const canMount = process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0

/** Runs the command after it under a private mount namespace where `configDir` is read-only. */
function readOnlyConfigWrapper(configDir: string): string[] {
  const script = [
    'set -e',
    `mount --bind "${configDir}" "${configDir}"`,
    `mount -o remount,bind,ro "${configDir}"`,
    // Proof the mount holds: a write there must fail, else stop here with 99.
    `if touch "${configDir}/write-probe" 2>/dev/null; then exit 99; fi`,
    'exec "$0" "$@"',
  ].join('\n')
  return ['unshare', '-m', 'sh', '-c', script]
}

describe('a read-only config directory', () => {
  it.runIf(canMount)(
    'start reads config.toml and the key without writing, serves, stops with 0',
    async () => {
      const home = join(dir, 'home')
      const init = spawnSync(process.execPath, [cliEntry, 'init', '--home', home], {
        cwd: projectRoot,
        env: cliEnv(),
        encoding: 'utf8',
      })
      expect(init.status, init.stderr).toBe(0)
      const configDir = join(home, 'config')
      const configBefore = await readFile(join(configDir, 'config.toml'), 'utf8')
      const mtimeBefore = (await stat(join(configDir, 'config.toml'))).mtimeMs

      node = startCli(
        ['start', ...loopbackStartFlags(home), '--type', 'miner'],
        readOnlyConfigWrapper(configDir),
      )
      const deadline = Date.now() + 60_000
      while (((await adminHeight(home)) ?? 0) < 2) {
        if (node.child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`node did not come up (exit ${node.child.exitCode}):\n${node.stderr()}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      node.child.kill('SIGTERM')
      expect(await node.exited).toBe(0)
      expect(node.stderr()).toContain('node stopped')
      expect(node.stderr()).not.toMatch(/EROFS|read-only/i)
      expect(await readFile(join(configDir, 'config.toml'), 'utf8')).toBe(configBefore)
      expect((await stat(join(configDir, 'config.toml'))).mtimeMs).toBe(mtimeBefore)
    },
  )
})
