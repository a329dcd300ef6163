/**
 * `paw-node init`: creates the home, config.toml, the node key and, for a custom chain,
 * genesis.json; prints the PeerId.
 */
import { resolve } from 'node:path'
import { DEVNET_CHAIN_ID } from '../../config/defaults.ts'
import { readConfigFile } from '../../node/config-file.ts'
import { initHome, resolveHome } from '../../node/home.ts'
import { describeGenesis } from '../../node/home-genesis.ts'
import { EXIT_OK, HOME_OPTION, parseFlags } from '../options.ts'

export const INIT_USAGE = `Usage: paw-node init [--home DIR] [--chain-id ID] [--genesis FILE]

Creates the node's home: config/config.toml (every setting, with its default), the node
key config/node_key.json (Ed25519, mode 0600) and data/. Prints the node's PeerId.
For a chain that is not built in (paw-devnet, paw-testnet, paw-mainnet) it also writes
config/genesis.json: a new chain funding this node's key with 1,000,000 PAW, or with
--genesis the definition of an existing chain, checked and copied (docs/chain.md).
An existing config, key or genesis is never replaced: running init again keeps them.

Options:
  --home DIR       home directory (default: $PAW_HOME, else ~/.paw)
  --chain-id ID    chain_id written into a new config.toml (default: ${DEVNET_CHAIN_ID})
  --genesis FILE   join the custom chain FILE defines: copy it to config/genesis.json
  -h, --help       show this help
`

export async function init(args: readonly string[]): Promise<number> {
  const flags = parseFlags(args, {
    ...HOME_OPTION,
    'chain-id': { type: 'string' },
    genesis: { type: 'string' },
  })
  if (flags.help === true) {
    process.stdout.write(INIT_USAGE)
    return EXIT_OK
  }
  const chainId = flags['chain-id']
  const result = await initHome({
    home: resolveHome(flags.home),
    chainId,
    ...(flags.genesis === undefined ? {} : { genesisFrom: resolve(flags.genesis) }),
  })
  const { paths, created } = result
  // stdout carries the PeerId alone, so scripts can capture it; the rest is for people.
  const notes =
    created.config || created.key
      ? [
          created.config ? `created ${paths.configFile}` : `kept the existing ${paths.configFile}`,
          created.key ? `created ${paths.keyFile}` : `kept the existing node key ${paths.keyFile}`,
        ]
      : [`${paths.home} is already initialised: kept its config.toml and node key`]
  if (!created.config && chainId !== undefined) {
    const existing = await readConfigFile(paths.configFile).then(
      (input) => input.chainId,
      () => undefined,
    )
    if (existing !== chainId) {
      notes.push(`--chain-id ${chainId} was not applied: edit chain_id in ${paths.configFile} to change it`)
    }
  }
  if (result.genesis !== undefined) notes.push(describeGenesis(result.genesis))
  for (const note of notes) process.stderr.write(`paw-node init: ${note}\n`)
  process.stdout.write(`${result.peerId.toString()}\n`)
  return EXIT_OK
}
