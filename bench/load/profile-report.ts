/**
 * Reads a V8 .cpuprofile of the node under test's PAW relay round (bench/load --profile)
 * and says where the CPU went: self time per function (the code that ran), inclusive time
 * per function (everything below it: the cost of a stage of the per-transaction path), and
 * self time per area (a src/ folder, a package, the runtime). Shares are of the busy time
 * (samples not idle); "µs/tx" divides by the transactions relayed while profiling.
 *
 *   ./node_modules/.bin/node bench/load/profile-report.ts <file.cpuprofile> [transactions] [top]
 */
import { readFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { table } from '../report.ts'

export interface CpuProfile {
  nodes: Array<{
    id: number
    callFrame: { functionName: string; url: string; lineNumber: number }
    children?: number[]
  }>
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export interface FunctionCost {
  /** Function name and where it is defined (file:line). */
  name: string
  area: string
  selfMs: number
  totalMs: number
}

export interface ProfileSummary {
  samples: number
  /** Sampled time, and the part of it that was not idle. */
  totalMs: number
  busyMs: number
  functions: FunctionCost[]
  areas: Array<{ area: string; selfMs: number }>
}

/** The repository's root as a URL: profiled code under it is named by its path from here. */
const ROOT = new URL('../../', import.meta.url).href
const RUNTIME_ENTRIES = new Set(['(idle)', '(program)', '(garbage collector)', '(root)'])

/** Where a function's code comes from: a src/ folder, a package, bench/, Node or V8. */
function areaOf(functionName: string, url: string): string {
  if (RUNTIME_ENTRIES.has(functionName)) return functionName
  const modules = url.lastIndexOf('/node_modules/')
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/')
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url)
  }
  if (url.startsWith(ROOT)) {
    const parts = url.slice(ROOT.length).split('/')
    return parts[0] === 'src' && parts.length > 2 ? `src/${parts[1]}` : (parts[0] ?? url)
  }
  if (url.startsWith('node:')) return 'node internals'
  return url === '' ? 'native (OpenSSL, sockets, V8 builtins)' : url
}

function placeOf(url: string, line: number): string {
  const modules = url.lastIndexOf('/node_modules/')
  const short =
    modules >= 0
      ? url.slice(modules + '/node_modules/'.length).replace('/dist/src/', '/')
      : url.startsWith(ROOT)
        ? url.slice(ROOT.length)
        : url
  return short === '' ? ' (native)' : ` ${short}:${line + 1}`
}

export function summariseProfile(profile: CpuProfile): ProfileSummary {
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const keyOf = new Map<number, string>()
  const functions = new Map<string, FunctionCost>()
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    const name = RUNTIME_ENTRIES.has(functionName)
      ? functionName
      : `${functionName || '(anonymous)'}${placeOf(url, lineNumber)}`
    keyOf.set(node.id, name)
    if (!functions.has(name))
      functions.set(name, { name, area: areaOf(functionName, url), selfMs: 0, totalMs: 0 })
  }
  // Each function once per stack (recursion counted once), memoised per profile node.
  const stacks = new Map<number, string[]>()
  const stackOf = (id: number): string[] => {
    const known = stacks.get(id)
    if (known !== undefined) return known
    const up = parent.get(id)
    const above = up === undefined ? [] : stackOf(up)
    const key = keyOf.get(id) as string
    const stack = above.includes(key) ? above : [...above, key]
    stacks.set(id, stack)
    return stack
  }
  let totalMs = 0
  let idleMs = 0
  for (let i = 0; i < samples.length; i++) {
    // A sample stands for the time until the next one (as DevTools counts it).
    const ms = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000
    const id = samples[i] as number
    totalMs += ms
    const leaf = functions.get(keyOf.get(id) as string) as FunctionCost
    leaf.selfMs += ms
    if (byId.get(id)?.callFrame.functionName === '(idle)') idleMs += ms
    for (const key of stackOf(id)) (functions.get(key) as FunctionCost).totalMs += ms
  }
  const areas = new Map<string, number>()
  for (const f of functions.values()) areas.set(f.area, (areas.get(f.area) ?? 0) + f.selfMs)
  return {
    samples: samples.length,
    totalMs,
    busyMs: totalMs - idleMs,
    functions: [...functions.values()].filter((f) => f.area !== '(root)' && f.area !== '(idle)'),
    areas: [...areas.entries()]
      .filter(([area]) => area !== '(idle)' && area !== '(root)')
      .map(([area, selfMs]) => ({ area, selfMs }))
      .sort((a, b) => b.selfMs - a.selfMs),
  }
}

/** The top `top` functions by self time, by inclusive time, PAW's own (src/) by inclusive time, and the areas. */
export function profileTables(summary: ProfileSummary, transactions: number, top: number) {
  const share = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1)}%`
  const perTx = (ms: number) => (transactions > 0 ? ((ms * 1000) / transactions).toFixed(1) : '-')
  const rowsOf = (list: FunctionCost[], field: 'selfMs' | 'totalMs') =>
    list
      .sort((a, b) => b[field] - a[field])
      .slice(0, top)
      .map((f) => [f.name, share(f.selfMs), share(f.totalMs), perTx(f[field])])
  const header = (what: string, field: string) => [what, 'self', 'inclusive', `${field} us/tx`]
  return {
    self: [header('function, by self time', 'self'), ...rowsOf([...summary.functions], 'selfMs')],
    inclusive: [header('function, by inclusive time', 'incl.'), ...rowsOf([...summary.functions], 'totalMs')],
    pawInclusive: [
      header("PAW's own code (src/), by inclusive time", 'incl.'),
      ...rowsOf(
        summary.functions.filter((f) => f.area.startsWith('src/')),
        'totalMs',
      ),
    ],
    areas: [
      ['area, by self time', 'self', '', 'self us/tx'],
      ...summary.areas.slice(0, top).map((a) => [a.area, share(a.selfMs), '', perTx(a.selfMs)]),
    ],
  }
}

/** The tables as text lines, with a heading naming the busy time. */
export function profileLines(summary: ProfileSummary, transactions: number, top = 20): string[] {
  const tables = profileTables(summary, transactions, top)
  const lines = [
    `profile of the PAW relay: ${summary.samples} samples, ${summary.totalMs.toFixed(0)} ms, ` +
      `busy ${summary.busyMs.toFixed(0)} ms (${((100 * summary.busyMs) / summary.totalMs).toFixed(0)}%)` +
      (transactions > 0
        ? `, ${transactions} transactions: ${((summary.busyMs * 1000) / transactions).toFixed(1)} us busy per tx`
        : '') +
      '; shares of the busy time',
  ]
  for (const rows of [tables.areas, tables.self, tables.inclusive, tables.pawInclusive]) {
    lines.push('', ...table(rows))
  }
  return lines
}

async function main(): Promise<void> {
  const [file, transactions = '0', top = '25'] = process.argv.slice(2)
  if (file === undefined)
    throw new TypeError('usage: profile-report.ts <file.cpuprofile> [transactions] [top]')
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
  for (const line of profileLines(summariseProfile(profile), Number(transactions), Number(top))) {
    console.log(line)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  })
}
