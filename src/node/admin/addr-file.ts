/**
 * <home>/data/admin.addr: the admin API's bound `host:port`, written while the node runs so
 * that `paw-node tx` finds it (with port 0 nothing else knows the port). Replaced
 * atomically: a reader sees the old address or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { homePaths } from '../home.ts'
import { ADMIN_ADDR_FILE } from './constants.ts'

export function adminAddrPath(home: string): string {
  return join(homePaths(home).dataDir, ADMIN_ADDR_FILE)
}

export async function writeAdminAddr(home: string, address: string): Promise<void> {
  const path = adminAddrPath(home)
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, `${address}\n`, { mode: 0o644 })
    await rename(temp, path)
  } finally {
    await unlink(temp).catch(() => {})
  }
}

/** The address a running node wrote, or undefined if there is none. */
export async function readAdminAddr(home: string): Promise<string | undefined> {
  try {
    const text = (await readFile(adminAddrPath(home), 'utf8')).trim()
    return text === '' ? undefined : text
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

export async function removeAdminAddr(home: string): Promise<void> {
  await unlink(adminAddrPath(home)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
}
