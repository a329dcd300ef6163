import { spawnSync } from 'node:child_process'
/**
 * AtomicJsonFile (src/node/atomic-json-file.ts) on a real temporary directory.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AtomicJsonFile, CorruptJsonFileError } from '../../src/node/atomic-json-file.ts'

interface Document {
  version: number
  items: string[]
}

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-atomic-json-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('AtomicJsonFile', () => {
  it('round-trips a document', async () => {
    const file = new AtomicJsonFile<Document>(join(dir, 'book.json'))
    const document = { version: 1, items: ['a', 'b'] }
    await file.save(document)
    expect(await file.load()).toEqual(document)
    expect(JSON.parse(await readFile(join(dir, 'book.json'), 'utf8'))).toEqual(document)
    await file.save({ version: 2, items: [] })
    expect(await new AtomicJsonFile<Document>(join(dir, 'book.json')).load()).toEqual({
      version: 2,
      items: [],
    })
  })

  it('a missing file loads as undefined', async () => {
    expect(await new AtomicJsonFile(join(dir, 'nothing.json')).load()).toBeUndefined()
    expect(await new AtomicJsonFile(join(dir, 'no', 'such', 'dir.json')).load()).toBeUndefined()
  })

  it('a corrupt file throws an error naming the path', async () => {
    const path = join(dir, 'book.json')
    await writeFile(path, '{"version": 1, "items": [')
    const error = await new AtomicJsonFile(path).load().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CorruptJsonFileError)
    expect((error as CorruptJsonFileError).path).toBe(path)
    expect((error as Error).message).toContain(path)
  })

  it('other read errors are passed on', async () => {
    await expect(new AtomicJsonFile(dir).load()).rejects.toMatchObject({ code: 'EISDIR' })
  })

  it('creates the directory if it is missing', async () => {
    const path = join(dir, 'data', 'peers', 'book.json')
    const file = new AtomicJsonFile<Document>(path)
    await file.save({ version: 1, items: ['x'] })
    expect(await file.load()).toEqual({ version: 1, items: ['x'] })
  })

  it('uses the given mode for a new file', async () => {
    if (process.platform === 'win32') return
    const path = join(dir, 'private.json')
    await new AtomicJsonFile(path, { mode: 0o600 }).save({})
    expect((await stat(path)).mode & 0o777).toBe(0o600)
  })

  it('concurrent saves all resolve and end with the last document', async () => {
    const path = join(dir, 'book.json')
    const file = new AtomicJsonFile<Document>(path)
    const saves: Promise<void>[] = []
    for (let i = 0; i < 50; i++) saves.push(file.save({ version: i, items: [String(i)] }))
    await Promise.all(saves)
    expect(await file.load()).toEqual({ version: 49, items: ['49'] })
    // Saves after a burst still go through.
    await file.save({ version: 50, items: [] })
    expect((await file.load())?.version).toBe(50)
  })

  it('saves the document as it was when save was called', async () => {
    const file = new AtomicJsonFile<Document>(join(dir, 'book.json'))
    const document = { version: 1, items: ['before'] }
    const first = file.save({ version: 0, items: [] })
    const second = file.save(document)
    document.items.push('after')
    await Promise.all([first, second])
    expect(await file.load()).toEqual({ version: 1, items: ['before'] })
  })

  it('leaves no temporary files behind', async () => {
    const file = new AtomicJsonFile<Document>(join(dir, 'book.json'))
    await Promise.all(Array.from({ length: 20 }, (_, i) => file.save({ version: i, items: [] })))
    await file.save({ version: 99, items: [] })
    expect(await readdir(dir)).toEqual(['book.json'])
  })

  it('a failed write rejects, cleans up, and does not block later saves', async () => {
    // The target is a directory: rename over it fails.
    const path = join(dir, 'taken')
    await mkdir(path)
    await writeFile(join(path, 'inside'), 'x')
    const file = new AtomicJsonFile<Document>(path)
    await expect(file.save({ version: 1, items: [] })).rejects.toThrow()
    expect((await readdir(dir)).sort()).toEqual(['taken'])
    await rm(path, { recursive: true })
    await file.save({ version: 2, items: [] })
    expect(await file.load()).toEqual({ version: 2, items: [] })
  })

  it('refuses a document JSON cannot represent', async () => {
    const file = new AtomicJsonFile<unknown>(join(dir, 'book.json'))
    await expect(file.save(undefined)).rejects.toThrow(TypeError)
    await expect(file.save({ big: 1n })).rejects.toThrow(TypeError)
    expect(await readdir(dir)).toEqual([])
  })
})

describe('temporaries left by a killed writer', () => {
  it('are removed when the file is next loaded, unless their process still runs', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'paw-atomic-stale-'))
    const path = join(directory, 'bans.json')
    await writeFile(path, '{"version":1,"bans":[]}\n')
    // A process that has exited: its pid names no running process now.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number
    const stale = [`bans.json.tmp-${dead}-00aa11bb22cc`, `bans.json.${dead}.00aa11bb22cc.tmp`]
    const live = `bans.json.tmp-${process.pid}-33dd44ee55ff`
    for (const name of [...stale, live, 'other.json.tmp-1-aa']) await writeFile(join(directory, name), 'x')
    expect(await new AtomicJsonFile(path).load()).toEqual({ version: 1, bans: [] })
    const left = await readdir(directory)
    for (const name of stale) expect(left).not.toContain(name)
    expect(left).toContain(live)
    expect(left).toContain('other.json.tmp-1-aa')
    await rm(directory, { recursive: true, force: true })
  })
})
