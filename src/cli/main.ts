/**
 * The `paw-node` command. Subcommands are added as their features land; the ones here
 * are real, and `start` says plainly what it does not do yet.
 */
import { parseArgs } from 'node:util'
import { VERSION } from '../version.ts'

const USAGE = `Usage: paw-node <command> [options]

Commands:
  start       start a node (networking lands with the node issue; prints version for now)
  version     print the version of paw-node and of the Node.js runtime it runs on

Options:
  -h, --help     show this help
  -v, --version  same as the version command
`

/** Exit codes: 0 ok, 1 runtime failure, 2 usage error (as most CLIs do). */
const EXIT_USAGE = 2

function versionLine(): string {
  return `paw-node ${VERSION} (node ${process.version})`
}

export function main(argv: readonly string[]): number {
  let parsed: ReturnType<typeof parseGlobal>
  try {
    parsed = parseGlobal(argv)
  } catch (error) {
    process.stderr.write(`paw-node: ${(error as Error).message}\n\n${USAGE}`)
    return EXIT_USAGE
  }
  const { values, positionals } = parsed
  const [command, ...rest] = positionals
  if (values.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  if (values.version === true || command === 'version') {
    process.stdout.write(`${versionLine()}\n`)
    return 0
  }
  switch (command) {
    case undefined:
      process.stderr.write(USAGE)
      return EXIT_USAGE
    case 'start':
      if (rest.length > 0) {
        process.stderr.write(`paw-node start: unexpected argument ${JSON.stringify(rest[0])}\n`)
        return EXIT_USAGE
      }
      process.stdout.write(
        `${versionLine()}\nThe networking node is not implemented yet; nothing was started.\n`,
      )
      return 0
    default:
      process.stderr.write(`paw-node: unknown command ${JSON.stringify(command)}\n\n${USAGE}`)
      return EXIT_USAGE
  }
}

function parseGlobal(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  })
}
