/**
 * The environment a node process is started with, where its launcher can set it before
 * the process starts (bin/paw-node.js, `paw-node devnet`, the tests' nodes).
 *
 * glibc's malloc raises its mmap threshold each time it frees a large block, so that after
 * the first 600 KB block read from the store is released, every later one comes from its
 * arenas (one per libuv thread, where LevelDB reads), and freed memory stays in the process:
 * under the slow-reader attack of issue 15 the RSS grew 431–982 MiB on a 256 MiB budget.
 * Fixing the threshold at 128 KiB keeps large blocks in their own mappings, returned to the
 * system as soon as they are freed: 364–408 MiB in the same runs (bench/budget). Only
 * glibc reads it; an operator's own setting wins. Node only.
 */
export const NODE_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' }

/** `env` with NODE_PROCESS_ENV added where `env` does not set it already. */
export function withNodeProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...NODE_PROCESS_ENV, ...env }
}
