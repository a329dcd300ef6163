/**
 * What `npm pack` would publish and how the entry points are split: the main entry has a
 * browser condition, paw-node/node has none, and no tests, benchmarks or node_modules ship.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const root = new URL('../../', import.meta.url)

interface PackageJson {
  exports: Record<string, string | Record<string, string>>
  sideEffects: boolean
  bin: Record<string, string>
}

const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as PackageJson

it('splits the entries: "." has browser, types and import; "./node" is Node-only', () => {
  const main = pkg.exports['.'] as Record<string, string>
  expect(Object.keys(main)[0]).toBe('types')
  expect(main.browser).toBeDefined()
  expect(main.import).toBe('./dist/index.js')
  const node = pkg.exports['./node'] as Record<string, string>
  expect(Object.keys(node)[0]).toBe('types')
  expect(node.browser).toBeUndefined()
  expect(node.node).toBe('./dist/node/index.js')
  expect(pkg.bin['paw-node']).toBe('bin/paw-node.js')
})

it('publishes no tests, benchmarks or node_modules', async () => {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  })
  const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? []
  expect(files).toContain('package.json')
  expect(files).toContain('bin/paw-node.js')
  expect(files.filter((f) => /^(test|bench|node_modules|scripts|coverage|docs\/api)\//.test(f))).toEqual([])
  expect(files.filter((f) => f.includes('/node_modules/'))).toEqual([])
}, 20_000)
