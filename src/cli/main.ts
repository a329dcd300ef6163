/**
 * The `paw-node` command: dispatches to a subcommand and turns its errors into the exit
 * codes operators and scripts rely on (0 ok, 1 failure at run time, 2 usage error).
 */
import { ConfigError } from '../config/settings.ts'
import { HomeError } from '../node/home.ts'
import { VERSION } from '../version.ts'
import { ban, bans, unban } from './commands/bans.ts'
import { dial, disconnect } from './commands/connections.ts'
import { devnet } from './commands/devnet.ts'
import { init } from './commands/init.ts'
import { netinfo, peers } from './commands/peers.ts'
import { showNodeId } from './commands/show-node-id.ts'
import { start } from './commands/start.ts'
import { status } from './commands/status.ts'
import { tx } from './commands/tx.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, parseFlags, UsageError } from './options.ts'

const USAGE = `Usage: paw-node <command> [options]

Commands:
  init           create the home (config/config.toml, config/node_key.json) and print the PeerId
  show-node-id   print the PeerId, then the legacy PAW node ID (hex)
  start          start a node (initialises the home first if needed)
  devnet         run a local network of N nodes (child processes) with a live view
  tx send        sign a transfer and submit it to a running node (its admin API)
  status         the running node's identity, chain tip, peer counts and uptime
  peers          the running node's peers: direction, state, address, RTT, score, traffic
  netinfo        a one-screen summary of the running node's network
  ban            ban a peer, an IP or a subnet for a while: paw-node ban PEER_ID|IP|SUBNET 24h REASON...
  unban          lift a ban: paw-node unban PEER_ID|IP|SUBNET
  bans           the running node's active bans and when they end
  dial           have the running node connect to a peer: paw-node dial ADDRESS
  disconnect     close the running node's connection to a peer: paw-node disconnect PEER_ID
  version        print the version of paw-node and of the Node.js runtime it runs on

Run \`paw-node <command> --help\` for a command's options.
The home is --home DIR, else $PAW_HOME, else ~/.paw.

Options:
  -h, --help     show this help
  -v, --version  same as the version command
`

type Command = (args: readonly string[]) => Promise<number>

const COMMANDS: Record<string, Command> = {
  init,
  'show-node-id': showNodeId,
  start,
  devnet,
  tx,
  status,
  peers,
  netinfo,
  ban,
  unban,
  bans,
  dial,
  disconnect,
}

function versionLine(): string {
  return `paw-node ${VERSION} (node ${process.version})`
}

/** Runs a subcommand; a failure is printed as one line naming what to fix, not a stack. */
async function run(name: string, command: Command, args: readonly string[]): Promise<number> {
  try {
    return await command(args)
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`paw-node ${name}: ${error.message}\nRun \`paw-node ${name} --help\` for usage.\n`)
      return EXIT_USAGE
    }
    if (error instanceof ConfigError || error instanceof HomeError) {
      process.stderr.write(`paw-node: ${error.message}\n`)
      return EXIT_FAILURE
    }
    process.stderr.write(`paw-node ${name}: unexpected error: ${(error as Error).stack ?? String(error)}\n`)
    return EXIT_FAILURE
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  // Options before the command are global (-h, -v); the rest belong to the command.
  const at = argv.findIndex((arg) => !arg.startsWith('-'))
  const globalArgs = at < 0 ? argv : argv.slice(0, at)
  const command = at < 0 ? undefined : argv[at]
  const rest = at < 0 ? [] : argv.slice(at + 1)
  let global: { help?: boolean; version?: boolean }
  try {
    global = parseFlags(globalArgs, {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    })
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`paw-node: ${error.message}\n\n${USAGE}`)
    return EXIT_USAGE
  }
  if (global.help === true) {
    process.stdout.write(USAGE)
    return EXIT_OK
  }
  if (global.version === true || command === 'version') {
    process.stdout.write(`${versionLine()}\n`)
    return EXIT_OK
  }
  if (command === undefined) {
    process.stderr.write(USAGE)
    return EXIT_USAGE
  }
  const handler = COMMANDS[command]
  if (handler === undefined) {
    process.stderr.write(`paw-node: unknown command ${JSON.stringify(command)}\n\n${USAGE}`)
    return EXIT_USAGE
  }
  return run(command, handler, rest)
}
