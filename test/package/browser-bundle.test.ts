/**
 * The browser bundle of src/index.ts (scripts/browser-bundle.ts): built with esbuild for
 * platform 'browser' into a temporary directory, it reaches no Node built-in, no TCP
 * transport and no LevelDB, keeps no external import, and exports the public API.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Metafile } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type BrowserBundle,
  buildBrowserBundle,
  bundleProblems,
  forbiddenPackages,
  importChain,
  nodeBuiltins,
} from '../../scripts/browser-bundle.ts'

describe('browser bundle', () => {
  let dir: string
  let bundle: BrowserBundle
  let text: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paw-browser-'))
    bundle = await buildBrowserBundle(join(dir, 'paw-node.js'))
    text = bundle.problems.length === 0 ? await readFile(bundle.outfile, 'utf8') : ''
  }, 20_000)

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('has no problems (Node built-ins, forbidden packages, external imports)', () => {
    expect(bundle.problems).toEqual([])
  })

  it('bundles no TCP transport, LevelDB or Prometheus module', () => {
    const inputs = Object.keys(bundle.metafile.inputs)
    expect(inputs.length).toBeGreaterThan(100)
    for (const pkg of forbiddenPackages) {
      expect(inputs.filter((input) => input.includes(`node_modules/${pkg}/`))).toEqual([])
    }
  })

  it('imports no Node built-in from any module, and leaves nothing external', () => {
    for (const [input, { imports }] of Object.entries(bundle.metafile.inputs)) {
      for (const imported of imports) {
        expect(imported.path.startsWith('node:'), `${input} imports ${imported.path}`).toBe(false)
        expect(nodeBuiltins.includes(imported.path), `${input} imports ${imported.path}`).toBe(false)
        expect(imported.external ?? false, `${input} leaves ${imported.path} external`).toBe(false)
      }
    }
    const outputs = Object.values(bundle.metafile.outputs)
    expect(outputs).toHaveLength(1)
    expect(outputs[0]?.imports).toEqual([])
  })

  it('has no node: import or require in its text', () => {
    expect(text.length).toBeGreaterThan(0)
    expect(text).not.toMatch(/require\(\s*["']node:/)
    expect(text).not.toMatch(/from\s*["']node:/)
    expect(text).not.toMatch(/import\(\s*["']node:/)
    expect(text).not.toMatch(/require\(\s*["'](fs|net|tls|dgram|crypto|os|path|child_process)["']/)
  })

  it('exports the public API (createPawNode and friends)', () => {
    const exported = Object.values(bundle.metafile.outputs)[0]?.exports ?? []
    for (const name of ['createPawNode', 'openFullChain', 'MemoryBlockStore', 'resolveSettings', 'VERSION']) {
      expect(exported).toContain(name)
    }
  })
})

describe('bundleProblems', () => {
  const entry = 'src/index.ts'
  const metafile = (
    inputs: Metafile['inputs'],
    outputImports: { path: string; kind: 'import-statement' }[] = [],
  ) =>
    ({
      inputs,
      outputs: { 'out.js': { bytes: 1, inputs: {}, imports: outputImports, exports: [] } },
    }) as unknown as Metafile

  it('reports a reachable Node built-in with the import chain that reaches it', () => {
    const meta = metafile({
      [entry]: {
        bytes: 1,
        imports: [{ path: 'src/chain/signing.ts', kind: 'import-statement', original: '' }],
      },
      'src/chain/signing.ts': {
        bytes: 1,
        imports: [{ path: 'node:crypto', kind: 'import-statement', external: true, original: 'node:crypto' }],
      },
    })
    expect(importChain(meta, 'src/chain/signing.ts')).toEqual([entry, 'src/chain/signing.ts'])
    expect(bundleProblems(meta, '')).toEqual([
      'imports node:crypto: src/index.ts -> src/chain/signing.ts -> node:crypto',
    ])
  })

  it('reports the TCP transport, outputs that keep imports, and node: imports in the text', () => {
    const tcp = 'node_modules/@libp2p/tcp/dist/src/index.js'
    const meta = metafile(
      {
        [entry]: { bytes: 1, imports: [{ path: tcp, kind: 'import-statement', original: '@libp2p/tcp' }] },
        [tcp]: { bytes: 1, imports: [] },
      },
      [{ path: 'fs', kind: 'import-statement' }],
    )
    expect(bundleProblems(meta, 'import { x } from "node:net"')).toEqual([
      `@libp2p/tcp bundled: src/index.ts -> ${tcp}`,
      'out.js keeps an import of fs',
      'output text imports a Node built-in: from "node:net"',
    ])
  })
})
