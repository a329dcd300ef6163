/**
 * A JsonStore (src/peers/json-store.ts) in one file of a node home, replaced atomically:
 * the document is written to a temporary file beside it, fsynced, renamed over the file,
 * and the directory fsynced, so after a crash or power loss the file holds the old
 * document or the new one, whole, never a mix or nothing (rename is atomic on POSIX
 * filesystems; without the fsyncs the rename can reach the disk before the data does).
 *
 * Saves are serialised: two concurrent writers to one temporary-then-rename sequence would
 * still leave a whole file, but possibly the older document last. A save while another is
 * running waits for it and then writes; saves arriving meanwhile coalesce into that one
 * write of the latest document, since only the latest matters. A temporary left by a
 * writer that was killed before its rename is removed when the file is next loaded. Node only.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { JsonStore } from '../peers/json-store.ts'
import { removeStaleTemporaries, temporaryPathFor } from './temporary-files.ts'

/** The file exists but does not hold JSON (a damaged disk, or an edit gone wrong). */
export class CorruptJsonFileError extends Error {
  override readonly name = 'CorruptJsonFileError'
  readonly path: string

  constructor(path: string, cause: unknown) {
    super(`${path} is not valid JSON (${(cause as Error).message}); move it away or fix it`, { cause })
    this.path = path
  }
}

interface QueuedSave {
  text: string
  done: PromiseWithResolvers<void>
}

export class AtomicJsonFile<T> implements JsonStore<T> {
  readonly path: string
  readonly #mode: number
  #writing: Promise<void> | undefined
  #queued: QueuedSave | undefined

  /** `mode`: permissions of a new file (default 0o644). */
  constructor(path: string, options: { mode?: number } = {}) {
    this.path = path
    this.#mode = options.mode ?? 0o644
  }

  /**
   * The document, after removing the temporaries a killed writer left beside the file.
   * @throws CorruptJsonFileError if the file is not JSON; other I/O errors as they are
   */
  async load(): Promise<T | undefined> {
    await removeStaleTemporaries(this.path)
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    try {
      return JSON.parse(text) as T
    } catch (error) {
      throw new CorruptJsonFileError(this.path, error)
    }
  }

  /**
   * Resolves once `document`, or a document saved after it, is durably in the file.
   * The document is serialised now, so changing it afterwards does not change what is saved.
   */
  save(document: T): Promise<void> {
    let text: string
    try {
      const json = JSON.stringify(document)
      if (json === undefined) throw new TypeError('the document is not JSON-serialisable')
      text = `${json}\n`
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.#queued !== undefined) {
      this.#queued.text = text
      return this.#queued.done.promise
    }
    if (this.#writing === undefined) return this.#start(text)
    const queued: QueuedSave = { text, done: Promise.withResolvers<void>() }
    this.#queued = queued
    return queued.done.promise
  }

  #start(text: string): Promise<void> {
    const writing = this.#write(text).finally(() => {
      this.#writing = undefined
      const queued = this.#queued
      if (queued === undefined) return
      this.#queued = undefined
      this.#start(queued.text).then(queued.done.resolve, queued.done.reject)
    })
    this.#writing = writing
    return writing
  }

  async #write(text: string): Promise<void> {
    const directory = dirname(this.path)
    await mkdir(directory, { recursive: true })
    const temporary = temporaryPathFor(this.path)
    try {
      const handle = await open(temporary, 'wx', this.#mode)
      try {
        await handle.writeFile(text, 'utf8')
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temporary, this.path)
    } catch (error) {
      await unlink(temporary).catch(() => {})
      throw error
    }
    await syncDirectory(directory)
  }
}

/**
 * Makes the rename durable. Some platforms cannot open or fsync a directory (Windows:
 * EISDIR; some filesystems: EINVAL); there the rename is as durable as it gets.
 */
async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(directory, 'r')
    await handle.sync()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EISDIR' && code !== 'EINVAL') throw error
  } finally {
    await handle?.close()
  }
}
