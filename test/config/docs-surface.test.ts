/**
 * docs/configuration.md against what the node really offers, both ways (issue 17, item 10):
 * every command and every flag of the CLI's own --help is in the command synopsis (the
 * start flags in the flag table), and nothing else is; every admin route in the route
 * table exists and every route is in the table; the fields documented for GET /status,
 * GET /peers and GET /bans are exactly those a live node sends. Read as a stranger would:
 * the CLI's --help output and the HTTP replies of a running `paw-node start`, not src/.
 * Runs the built CLI (dist/), which `npm test` builds first.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROUTES } from '../../src/node/admin/routes.ts'
import { cliEntry, loopbackStartFlags } from '../support/cli-joiner.ts'
import { adminGet, type CliProcess, cliEnv, startCli, stopCli } from '../support/cli-process.ts'
import { projectRoot } from '../support/system-node.ts'

const DOCS = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url))

let docs: string
let dir: string
let node: CliProcess | undefined
let home: string

beforeAll(async () => {
  docs = await readFile(DOCS, 'utf8')
  dir = await mkdtemp(join(tmpdir(), 'paw-docs-surface-'))
})

afterAll(async () => {
  if (node !== undefined) await stopCli(node.child, 'SIGTERM')
  await rm(dir, { recursive: true, force: true })
})

function help(args: string[]): string {
  const result = spawnSync(process.execPath, [cliEntry, ...args, '--help'], {
    cwd: projectRoot,
    env: cliEnv(),
    encoding: 'utf8',
  })
  expect(result.status, result.stderr).toBe(0)
  return result.stdout
}

/** The lines of the section that starts with `heading`, up to the next heading of its level. */
function section(heading: string): string[] {
  const lines = docs.split('\n')
  const start = lines.indexOf(heading)
  expect(start, heading).toBeGreaterThanOrEqual(0)
  const level = heading.split(' ')[0] ?? ''
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && line.split(' ')[0] === level)
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

/** The first fenced block of the "Command-line flags" section: `paw-node <command> …` lines. */
function synopsis(): Map<string, string> {
  const lines = section('## Command-line flags')
  const open = lines.indexOf('```')
  const close = lines.indexOf('```', open + 1)
  // `[ADMIN]` stands for the options the paragraph after the block spells out.
  const admin = /`ADMIN` stands for `([^`]+)`/.exec(lines.slice(close).join(' '))?.[1] ?? ''
  const byCommand = new Map<string, string>()
  let current: string | undefined
  for (const line of lines.slice(open + 1, close).map((text) => text.replace('[ADMIN]', admin))) {
    const match = /^paw-node ((?:tx send)|[a-z-]+)\b(.*)$/.exec(line)
    if (match !== null) {
      current = match[1] as string
      byCommand.set(current, (byCommand.get(current) ?? '') + match[2])
    } else if (current !== undefined) byCommand.set(current, `${byCommand.get(current)} ${line}`)
  }
  return byCommand
}

function flagsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]))].sort()
}

/** The options a --help lists (lines `  --flag …` or `  -x, --flag …`), without --help. */
function optionsOf(text: string): string[] {
  const options = text
    .split('\n')
    .map((line) => /^ {2}(?:-[a-z], )?(--[a-z][a-z0-9-]*)/.exec(line)?.[1])
    .filter((flag): flag is string => flag !== undefined && flag !== '--help')
  return [...new Set(options)].sort()
}

/** The commands `paw-node --help` lists. */
function commandsOfHelp(): string[] {
  const text = help([])
  const block = text.slice(text.indexOf('Commands:'), text.indexOf('\n\n', text.indexOf('Commands:')))
  return block
    .split('\n')
    .slice(1)
    .map((line) => /^ {2}((?:tx send)|[a-z-]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined)
}

describe('docs/configuration.md "Command-line flags" against the CLI', () => {
  it('the synopsis has a line for every command --help lists, and for no other', () => {
    expect([...synopsis().keys()].sort()).toEqual([...commandsOfHelp()].sort())
  })

  it("each command's synopsis names exactly the flags of its --help (start: with the flag table)", () => {
    const lines = synopsis()
    for (const command of commandsOfHelp()) {
      if (command === 'version') continue
      const ofHelp = optionsOf(help(command.split(' ')))
      let documented = flagsIn(lines.get(command) ?? '')
      if (command === 'start') {
        const table = section('## Command-line flags')
          .map((line) => /^\| `(--[a-z0-9-]+)/.exec(line)?.[1])
          .filter((flag): flag is string => flag !== undefined)
        documented = [...new Set([...documented, ...table])].sort()
      }
      expect(documented, `paw-node ${command}`).toEqual(ofHelp)
    }
  })
})

/** `GET /accounts/<64 hex>` → `GET /accounts/:`: parameters made comparable. */
function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(/<[^>]+>|:[a-z]+/gi, ':')}`
}

/** The top-level keys of a documented `{ a, b: { c }, d }` (nested braces skipped). */
function topLevelKeys(shape: string): string[] {
  let depth = 0
  let current = ''
  const keys: string[] = []
  for (const char of shape.slice(shape.indexOf('{') + 1, shape.lastIndexOf('}'))) {
    if (char === '{' || char === '[') depth++
    if (char === '}' || char === ']') depth--
    if (char === ',' && depth === 0) {
      keys.push(current)
      current = ''
    } else if (depth === 0 || char === '{' || char === '[') current += depth === 0 ? char : ''
  }
  keys.push(current)
  return keys
    .map((key) => key.split(':')[0]?.trim() ?? '')
    .filter((key) => key !== '')
    .sort()
}

/** The balanced `{ … }` that starts at the first `{` of `text`. */
function firstObject(text: string): string {
  const start = text.indexOf('{')
  let depth = 0
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++
    if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1)
  }
  throw new Error(`unbalanced: ${text}`)
}

function routeRows(): Map<string, string> {
  const rows = new Map<string, string>()
  for (const line of section('## The admin API')) {
    const match = /^\| `(GET|POST|PUT|DELETE) ([^`]+)` \| (.*) \|$/.exec(line)
    if (match !== null) rows.set(routeKey(match[1] as string, match[2] as string), match[3] as string)
  }
  return rows
}

describe('docs/configuration.md "The admin API" against a running node', () => {
  beforeAll(async () => {
    home = join(dir, 'home')
    node = startCli(['start', ...loopbackStartFlags(home)])
    const deadline = Date.now() + 60_000
    while ((await adminGet(home, '/status')) === undefined) {
      if (Date.now() > deadline || node.child.exitCode !== null) throw new Error(node.stderr())
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }, 90_000)

  it('every documented route is served (not the router 404/405), and every route is documented', async () => {
    const address = (await readFile(join(home, 'data', 'admin.addr'), 'utf8')).trim()
    const documented = [...routeRows().keys()]
    for (const route of documented) {
      const [method, path] = route.split(' ') as [string, string]
      const reply = await fetch(`http://${address}${path.replace(/:/g, '00'.repeat(32))}`, {
        method,
        ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
      })
      const code = reply.headers.get('content-type')?.includes('json')
        ? ((await reply.json()) as { error?: { code?: string } }).error?.code
        : undefined
      expect(code, route).not.toBe('NOT_FOUND')
      expect(code, route).not.toBe('METHOD_NOT_ALLOWED')
    }
    const served = ROUTES.map((route) => routeKey(route.method, route.path)).sort()
    expect(served).toEqual([...documented].sort())
  })

  it.each(['GET /status', 'GET /peers', 'GET /bans'])(
    '%s: the documented fields are the ones sent',
    async (route) => {
      const row = routeRows().get(route)
      expect(row, route).toBeDefined()
      const reply = await adminGet<Record<string, unknown>>(home, route.split(' ')[1] as string)
      expect(topLevelKeys(firstObject(row as string)), route).toEqual(Object.keys(reply ?? {}).sort())
    },
  )

  it('GET /peers and GET /bans: the fields of each entry are the documented ones', async () => {
    const rows = routeRows()
    const peerShape = firstObject(firstObject(rows.get('GET /peers') as string).slice(1))
    const banShape = firstObject(firstObject(rows.get('GET /bans') as string).slice(1))
    // A peer to list, and a ban to list: dial ourselves is refused, so ban a made-up peer.
    const address = (await readFile(join(home, 'data', 'admin.addr'), 'utf8')).trim()
    const banned = await fetch(`http://${address}/bans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        peerId: '12D3KooWEzRWsnS24X9fiuatPn9h2rzpQH7xPi5MSBpJLb8mbegA',
        duration: '1h',
        reason: 'docs test',
      }),
    })
    expect(banned.status).toBe(200)
    const bans = (await adminGet<{ bans: Record<string, unknown>[] }>(home, '/bans'))?.bans ?? []
    expect(bans.length).toBeGreaterThan(0)
    for (const ban of bans) expect(Object.keys(ban).sort()).toEqual(topLevelKeys(banShape))
    expect(topLevelKeys(peerShape).length).toBeGreaterThan(5)
    // Peer rows need a peer: a second node joins this one.
    const second = startCli([
      'start',
      ...loopbackStartFlags(join(dir, 'second')),
      '--persistent-peers',
      tcpOf(node),
    ])
    try {
      const deadline = Date.now() + 60_000
      let peers: Record<string, unknown>[] = []
      while (peers.length === 0) {
        if (Date.now() > deadline) throw new Error(second.stderr())
        await new Promise((resolve) => setTimeout(resolve, 200))
        peers = (await adminGet<{ peers: Record<string, unknown>[] }>(home, '/peers'))?.peers ?? []
      }
      for (const peer of peers) expect(Object.keys(peer).sort()).toEqual(topLevelKeys(peerShape))
    } finally {
      await stopCli(second.child, 'SIGTERM')
    }
  }, 90_000)
})

function tcpOf(started: CliProcess | undefined): string {
  return (
    started
      ?.stdout()
      .split('\n')
      .find((line) => line.includes('/tcp/') && !line.includes('/ws')) ?? ''
  )
}
