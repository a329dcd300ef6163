/**
 * The IndexedDB store is bundled for browsers: its module graph must hold no Node built-in
 * and no classic-level. IndexedDB itself is exercised in a real browser elsewhere; here Node
 * (which has no indexedDB) only shows a failed open comes back as a typed StoreError.
 */
import { readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { IndexedDbBlockStore } from '../../../src/chain/store/browser-store.ts'
import { isStoreError, StoreErrorCode } from '../../../src/chain/store/errors.ts'

/** Node built-in names that the bundle takes from npm packages of the same name. */
const POLYFILLED = ['events', 'buffer']

const storeDir = join(import.meta.dirname, '../../../src/chain/store')

/** The module specifiers a TypeScript file imports or re-exports. */
function importsOf(source: string): string[] {
  return [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] as string,
  )
}

describe('IndexedDbBlockStore', () => {
  it.each(['browser-store.ts', 'abstract-level-store.ts'])(
    '%s imports no node: module and no classic-level',
    async (file) => {
      const source = await readFile(join(storeDir, file), 'utf8')
      const imports = importsOf(source)
      expect(imports.length).toBeGreaterThan(0)
      expect(source).not.toMatch(/from\s+['"](node:|classic-level['"])/)
      expect(source).not.toMatch(/^\s*import\s+['"]|\bimport\s*\(|\brequire\s*\(/m)
      for (const specifier of imports) {
        expect(specifier.startsWith('node:')).toBe(false)
        expect(specifier).not.toBe('classic-level')
        expect(builtinModules).not.toContain(specifier)
      }
    },
  )

  it('bundles for the browser with no Node built-in and no LevelDB in its module graph', async () => {
    const result = await build({
      entryPoints: [join(storeDir, 'browser-store.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      metafile: true,
      logLevel: 'silent',
      // Left external so one reached shows up in the metafile instead of failing resolution;
      // but not `events` and `buffer`, which abstract-level requires by their bare names and
      // which resolve to the npm packages of those names (events is our dependency for it).
      external: [
        ...builtinModules.filter((name) => !POLYFILLED.includes(name)),
        ...builtinModules.map((name) => `node:${name}`),
      ],
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((input) => input.includes('node_modules/browser-level/'))).toBe(true)
    expect(inputs.filter((input) => /node_modules\/(classic-level|level)\//.test(input))).toEqual([])
    const external = Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.filter((imported) => imported.external).map((imported) => imported.path),
    )
    expect(external).toEqual([])
    for (const name of POLYFILLED) {
      expect(inputs.some((input) => input.includes(`node_modules/${name}/`))).toBe(true)
    }
  })

  it('reports a failed open as a StoreError naming the database', async () => {
    const store = new IndexedDbBlockStore('paw-devnet-headers')
    expect(store.path).toBe('paw-devnet-headers')
    const err = await store.open().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isStoreError(err)).toBe(true)
    expect(err).toMatchObject({ code: StoreErrorCode.OpenFailed, path: 'paw-devnet-headers' })
    await store.close()
  })
})
