/**
 * The browser bundle of paw-node's main entry: src/index.ts bundled by esbuild for
 * platform 'browser' (ESM, ES2022) into dist/browser/paw-node.js and paw-node.min.js.
 *
 * Node built-ins are marked external rather than left to fail resolution, so a built-in
 * that became reachable from src/index.ts shows up in the metafile with the import chain
 * that reaches it; bundleProblems() reports it (and any TCP transport or LevelDB module),
 * and the build fails. Run: `npm run build:browser`. test/package/browser-bundle.test.ts
 * builds with the same options.
 */
import { builtinModules } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BuildOptions, build, type Metafile } from 'esbuild'

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
export const browserEntry = join(packageRoot, 'src', 'index.ts')
export const browserOutDir = join(packageRoot, 'dist', 'browser')

/**
 * Bare names of built-ins that resolve to npm packages of the same name, written for
 * browsers (`events`, and `buffer`, which abstract-level, under IndexedDbBlockStore, uses):
 * bundled from npm, never the Node module (`node:events` stays forbidden).
 */
const FROM_NPM: ReadonlySet<string> = new Set(['events', 'buffer'])

/** Every Node built-in, bare and `node:`-prefixed (bare `fs` too: a browser has none). */
export const nodeBuiltins: readonly string[] = [
  ...new Set(
    builtinModules.flatMap((name) => [name.replace(/^node:/, ''), `node:${name.replace(/^node:/, '')}`]),
  ),
].filter((name) => !FROM_NPM.has(name))

/** Packages that must never be in the browser bundle: the TCP transport, LevelDB, Prometheus. */
export const forbiddenPackages: readonly string[] = [
  '@libp2p/tcp',
  '@libp2p/prometheus-metrics',
  'classic-level',
  'level',
  'prom-client',
]

export function browserBuildOptions(outfile: string, minify = false): BuildOptions {
  return {
    absWorkingDir: packageRoot,
    entryPoints: [browserEntry],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify,
    metafile: true,
    legalComments: minify ? 'none' : 'inline',
    // Left external (not an error) so a reachable built-in is reported with its chain.
    external: [...nodeBuiltins],
    logLevel: 'silent',
  }
}

/** The package an input path (as in the metafile) belongs to, or undefined for our own code. */
function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf('node_modules/')
  if (at < 0) return undefined
  const parts = input.slice(at + 'node_modules/'.length).split('/')
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
}

/** The shortest import chain from the entry to `target` (metafile input paths), entry first. */
export function importChain(metafile: Metafile, target: string): string[] {
  const entry =
    Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined)?.entryPoint ??
    relative(packageRoot, browserEntry)
  const previous = new Map<string, string | null>([[entry, null]])
  const queue = [entry]
  while (queue.length > 0) {
    const current = queue.shift() as string
    if (current === target) break
    for (const imported of metafile.inputs[current]?.imports ?? []) {
      if (!previous.has(imported.path)) {
        previous.set(imported.path, current)
        queue.push(imported.path)
      }
    }
  }
  if (!previous.has(target)) return [target]
  const chain: string[] = []
  for (let at: string | null = target; at !== null; at = previous.get(at) ?? null) chain.unshift(at)
  return chain
}

/**
 * What is wrong with a browser bundle: each Node built-in import and each forbidden
 * package, with the chain that reaches it; external imports left in the output; `node:`
 * imports in the output text. Empty when the bundle is browser-safe.
 */
export function bundleProblems(metafile: Metafile, outputText: string): string[] {
  const problems: string[] = []
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    const pkg = packageOf(input)
    if (pkg !== undefined && forbiddenPackages.includes(pkg)) {
      problems.push(`${pkg} bundled: ${importChain(metafile, input).join(' -> ')}`)
    }
    for (const imported of imports) {
      if (imported.external || nodeBuiltins.includes(imported.path)) {
        problems.push(
          `imports ${imported.path}: ${[...importChain(metafile, input), imported.path].join(' -> ')}`,
        )
      }
    }
  }
  for (const [output, { imports }] of Object.entries(metafile.outputs)) {
    for (const imported of imports) problems.push(`${output} keeps an import of ${imported.path}`)
  }
  const nodeImport = /(?:require\(|import\(|from\s*|import\s+)["']node:[^"']+["']/.exec(outputText)
  if (nodeImport !== null) problems.push(`output text imports a Node built-in: ${nodeImport[0]}`)
  return problems
}

export interface BrowserBundle {
  outfile: string
  bytes: number
  metafile: Metafile
  problems: string[]
}

export async function buildBrowserBundle(outfile: string, minify = false): Promise<BrowserBundle> {
  const result = await build({ ...browserBuildOptions(outfile, minify), write: false })
  const file = result.outputFiles?.find((f) => f.path === outfile)
  if (file === undefined || result.metafile === undefined) throw new Error(`esbuild wrote no ${outfile}`)
  const problems = bundleProblems(result.metafile, file.text)
  if (problems.length === 0) {
    const { mkdir, writeFile } = await import('node:fs/promises')
    await mkdir(dirname(outfile), { recursive: true })
    await writeFile(outfile, file.contents)
  }
  return { outfile, bytes: file.contents.byteLength, metafile: result.metafile, problems }
}

async function main(): Promise<number> {
  const bundles = await Promise.all([
    buildBrowserBundle(join(browserOutDir, 'paw-node.js')),
    buildBrowserBundle(join(browserOutDir, 'paw-node.min.js'), true),
  ])
  let failed = false
  for (const { outfile, bytes, problems } of bundles) {
    const name = relative(packageRoot, outfile)
    if (problems.length > 0) {
      failed = true
      process.stderr.write(`${name}: not browser-safe\n${problems.map((p) => `  ${p}\n`).join('')}`)
    } else {
      process.stdout.write(`${name}  ${(bytes / 1024).toFixed(1)} KiB\n`)
    }
  }
  return failed ? 1 : 0
}

if (import.meta.main) process.exitCode = await main()
