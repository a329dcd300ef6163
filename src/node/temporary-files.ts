/**
 * Temporary files written beside a file before it is renamed or linked into place, and the
 * removal of those a killed process left behind. A SIGKILL (or power loss) between writing
 * the temporary and renaming it leaves `<file>.tmp-<pid>-<random>`; nothing else would ever
 * remove it. Such a file is stale once the process named in it is gone, so it is removed
 * the next time the file is opened. Node only.
 */
import { randomBytes } from 'node:crypto'
import { readdir, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** A fresh temporary name beside `path`, naming this process. */
export function temporaryPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`
}

/** The pid a temporary of `name` names, or undefined if `entry` is not one. */
function ownerOf(name: string, entry: string): number | undefined {
  if (!entry.startsWith(`${name}.`)) return undefined
  const rest = entry.slice(name.length + 1)
  // temporaryPathFor's form, and the `<file>.<pid>.<hex>.tmp` of earlier versions.
  const match = /^tmp-(\d+)-[0-9a-f]+$/.exec(rest) ?? /^(\d+)\.[0-9a-f]+\.tmp$/.exec(rest)
  return match === null ? undefined : Number(match[1])
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes the temporaries of `path` whose process is no longer running; returns their
 * names. A directory that cannot be read is left alone (the caller's own open reports it).
 */
export async function removeStaleTemporaries(path: string): Promise<string[]> {
  const directory = dirname(path)
  const name = basename(path)
  let entries: string[]
  try {
    entries = await readdir(directory)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const entry of entries) {
    const owner = ownerOf(name, entry)
    if (owner === undefined || isRunning(owner)) continue
    try {
      await unlink(join(directory, entry))
      removed.push(entry)
    } catch {
      // Gone already, or not ours to remove: the next open tries again.
    }
  }
  return removed
}
