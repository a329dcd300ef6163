/**
 * What the operator commands (status, peers, netinfo, ban, unban, bans, dial, disconnect)
 * share: their flags (--home, --node, --expect-peer-id, --json, --help), finding the node's
 * admin API and the peer ID it must answer with as `tx send` does (admin-target.ts), and
 * turning admin API failures into one line and exit 1. Each command is then one request and
 * a printer.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { AdminClient, AdminClientError } from '../admin-client.ts'
import { type AdminTarget, AdminTargetError, resolveAdminTarget, targetFailure } from '../admin-target.ts'
import { EXIT_FAILURE, EXIT_OK, HOME_OPTION, UsageError } from '../options.ts'

export const ADMIN_OPTIONS = {
  ...HOME_OPTION,
  node: { type: 'string' },
  'expect-peer-id': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsOptionsConfig

/** The option lines every operator command's usage ends with. */
export const ADMIN_OPTION_LINES = `  --node HOST:PORT   the node's admin API (default: <home>/data/admin.addr, written by
                     a running \`paw-node start\`, else admin.listen in config.toml)
  --home DIR         home directory (default: $PAW_HOME, else ~/.paw); the node that
                     answers must hold its node key, else the command is refused
  --expect-peer-id ID
                     refuse unless the node that answers has this peer ID (the check
                     for --node without --home, which has no key to check against)
  --json             print the admin API's JSON reply instead of text
  -h, --help         show this help

Exit codes: 0 ok, 1 refused by the node or no node answering, 2 usage error.`

/** parseArgs, strict, with positionals (peer ids, durations, reasons), errors as UsageError. */
export function parseCommandLine<const T extends ParseArgsOptionsConfig>(
  args: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError((error as Error).message)
    }
    throw error
  }
}

/** Thrown by a command for a failure at run time already explained in its message: exit 1. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure'
}

export interface AdminCommand<T extends ParseArgsOptionsConfig> {
  /** `peers`, `ban`: used in messages. */
  name: string
  usage: string
  /** Options beyond ADMIN_OPTIONS. */
  options?: T
  /** How many positionals: exactly `min` when `max` is absent. */
  positionals?: { min: number; max?: number; names: string }
  /**
   * Checks the positionals (throwing UsageError) before any request, asks the node, and
   * returns the JSON to print with --json and the text to print otherwise.
   */
  run(
    client: AdminClient,
    input: { positionals: string[]; values: Record<string, unknown> },
  ): Promise<{ json: unknown; text: string }>
  /** Checked before the node is looked for, so a bad command line is exit 2 even with no node. */
  check?(positionals: string[]): void
}

/** Runs an operator command: flags, the node's address, one request or a few, the output. */
export async function runAdminCommand<T extends ParseArgsOptionsConfig>(
  command: AdminCommand<T>,
  args: readonly string[],
): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { ...ADMIN_OPTIONS, ...command.options })
  const flags = values as {
    home?: string
    node?: string
    'expect-peer-id'?: string
    json?: boolean
    help?: boolean
  }
  if (flags.help === true) {
    process.stdout.write(command.usage)
    return EXIT_OK
  }
  const wanted = command.positionals ?? { min: 0, max: 0, names: '' }
  const max = wanted.max ?? wanted.min
  if (positionals.length < wanted.min || positionals.length > max) {
    throw new UsageError(
      wanted.min === 0 && max === 0
        ? `takes no arguments, got ${JSON.stringify(positionals.join(' '))}`
        : `expected ${wanted.names}`,
    )
  }
  command.check?.(positionals)
  let target: AdminTarget
  try {
    target = await resolveAdminTarget({
      node: flags.node,
      home: flags.home,
      expectPeerId: flags['expect-peer-id'],
    })
  } catch (error) {
    if (error instanceof AdminTargetError) return fail(command.name, error.message)
    throw error
  }
  const client = new AdminClient(target.address, { expectPeerId: target.expectPeerId })
  try {
    const { json, text } = await command.run(client, { positionals, values })
    process.stdout.write(flags.json === true ? `${JSON.stringify(json, null, 2)}\n` : text)
    return EXIT_OK
  } catch (error) {
    if (error instanceof CommandFailure) return fail(command.name, error.message)
    if (!(error instanceof AdminClientError)) throw error
    return fail(command.name, targetFailure(target, error) ?? `${error.code}: ${error.message}`)
  }
}

function fail(name: string, message: string): number {
  process.stderr.write(`paw-node ${name}: ${message}\n`)
  return EXIT_FAILURE
}
