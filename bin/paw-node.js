#!/usr/bin/env node
// Launcher for the paw-node CLI. Plain JavaScript that any Node can parse, because it may
// be started by the machine's own Node 20: libp2p v3 needs Node >= 22, so the project
// brings its runtime as the `node` package (a real binary in node_modules). Under an older
// Node this re-runs itself under that binary; under a new enough one it runs the CLI.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const MIN_NODE_MAJOR = 22
const major = Number(process.versions.node.split('.')[0])
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..')

if (major >= MIN_NODE_MAJOR) {
  const entry = join(packageRoot, 'dist', 'cli', 'run.js')
  if (!existsSync(entry)) {
    process.stderr.write(`paw-node: ${entry} is missing; run \`npm install\` in ${packageRoot} to build it\n`)
    process.exit(1)
  }
  await import(pathToFileURL(entry).href)
} else {
  let runtime
  try {
    const require = createRequire(import.meta.url)
    runtime = join(dirname(require.resolve('node/package.json')), 'bin', 'node')
  } catch {
    runtime = undefined
  }
  if (runtime === undefined || !existsSync(runtime)) {
    process.stderr.write(
      `paw-node: needs Node >= ${MIN_NODE_MAJOR}, found ${process.version}, and the project's own runtime ` +
        `(the "node" dev dependency) is not installed; run \`npm install\` in ${packageRoot}\n`,
    )
    process.exit(1)
  }
  // The node's own process: glibc's mmap threshold fixed at 128 KiB, so that large blocks
  // freed go back to the system at once (src/node/runtime-env.ts says why; keep the two the
  // same). An operator's own setting wins.
  // PAW_NODE_LAUNCHER_PID: the node stops if this launcher dies without passing a signal on
  // (src/cli/stop-signals.ts).
  const child = spawn(runtime, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { MALLOC_MMAP_THRESHOLD_: '131072', ...process.env, PAW_NODE_LAUNCHER_PID: String(process.pid) },
  })
  // An operator stops the node by the PID they have, which may be this one: pass every stop
  // signal on. Ctrl-C in a terminal reaches the child directly as well; the node takes the
  // repeat that follows within a second as the same request.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1)
    // Die of the same signal, so whoever started us sees what happened to the node.
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
  })
}
