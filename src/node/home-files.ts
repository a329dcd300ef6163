/**
 * Files of a node home that are created once and never replaced (config.toml, the node key,
 * genesis.json), and the error that names a home file that cannot be used.
 */
import { chmod, link, stat, unlink, writeFile } from 'node:fs/promises'
import { removeStaleTemporaries, temporaryPathFor } from './temporary-files.ts'

/** A home or key file that cannot be used as it is; `path` names the file to look at. */
export class HomeError extends Error {
  override readonly name = 'HomeError'
  readonly code = 'ERR_NODE_HOME'
  readonly path: string

  constructor(path: string, message: string) {
    super(message)
    this.path = path
  }
}

/** Whether `path` exists; an error other than "no such file" names the file. */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new HomeError(path, `cannot read ${path}: ${(error as Error).message}`)
  }
}

/**
 * Creates `path` with `content` (mode 0600 when `secret`) unless it exists; true if this
 * call created it. An existing file is left untouched, and so is its directory: nothing is
 * written beside it, so a read-only config directory (a container's config mount) holding
 * the files already is no obstacle. The file is written in full under a temporary name, then linked into
 * place: link() fails if the name exists, so a reader never sees a half-written file and
 * two processes initialising the same home at once cannot both install their own key.
 */
export async function createFileOnce(path: string, content: string, secret: boolean): Promise<boolean> {
  if (await exists(path)) return false
  const mode = secret ? 0o600 : 0o644
  await removeStaleTemporaries(path)
  const temp = temporaryPathFor(path)
  const cannot = (error: unknown) => new HomeError(path, `cannot create ${path}: ${(error as Error).message}`)
  await writeFile(temp, content, { flag: 'wx', mode, flush: true }).catch((error) => {
    throw cannot(error)
  })
  try {
    // writeFile's mode is filtered by the umask, which may only remove bits; set it exactly.
    await chmod(temp, mode)
    await link(temp, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw cannot(error)
  } finally {
    await unlink(temp).catch(() => {})
  }
}
