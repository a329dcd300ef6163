import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The project root. */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url))

/** The first `node` on PATH outside this project: the machine's own runtime (Node 20 here). */
export function systemNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir.startsWith(projectRoot)) continue
    const candidate = join(dir, 'node')
    if (existsSync(candidate)) return candidate
  }
  throw new Error('no system node on PATH')
}
