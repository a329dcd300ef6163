/**
 * The node's home directory, laid out as Cosmos nodes do:
 *
 *   <home>/config/config.toml    settings (read: src/node/config-file.ts; written: config-template.ts)
 *   <home>/config/node_key.json  the Ed25519 identity: created once, reused forever
 *   <home>/data/                 chain store
 *
 * Nothing here overwrites an existing file: the key is the node's identity (its PeerId and
 * its PAW node ID), and losing it silently would make the node a stranger to its peers.
 */

import { mkdir, readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey, PeerId, PublicKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DEFAULT_CHAIN_ID } from '../config/defaults.ts'
import { resolveSettings } from '../config/settings.ts'
import { nodeIdOfKey } from '../peers/node-id.ts'
import { readConfigFile } from './config-file.ts'
import { configTemplate } from './config-template.ts'
import { createFileOnce, HomeError } from './home-files.ts'
import { ensureGenesisFile, type GenesisFileResult } from './home-genesis.ts'

export { createFileOnce, HomeError }

export const HOME_ENV = 'PAW_HOME'
export const DEFAULT_HOME = '~/.paw'

export interface HomePaths {
  home: string
  configDir: string
  configFile: string
  keyFile: string
  dataDir: string
}

/** `--home` wins over $PAW_HOME, which wins over ~/.paw; `~` is expanded, the result absolute. */
export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? (env[HOME_ENV] === undefined || env[HOME_ENV] === '' ? DEFAULT_HOME : env[HOME_ENV])
  const expanded =
    chosen === '~' ? homedir() : chosen.startsWith('~/') ? join(homedir(), chosen.slice(2)) : chosen
  return resolve(expanded)
}

export function homePaths(home: string): HomePaths {
  const configDir = join(home, 'config')
  return {
    home,
    configDir,
    configFile: join(configDir, 'config.toml'),
    keyFile: join(configDir, 'node_key.json'),
    dataDir: join(home, 'data'),
  }
}

/** config/node_key.json as stored (Cosmos' node_key.json, with a libp2p key inside). */
interface NodeKeyFile {
  type: 'Ed25519'
  /** base64 of the libp2p protobuf encoding of the private key (privateKeyToProtobuf). */
  priv_key: string
  /** The PeerId of the key, stored so a key swapped under the node is caught at load. */
  peer_id: string
}

/** The PAW node ID of 000/004 logs and older tooling: hex of the first 20 bytes of the key. */
export function legacyNodeId(publicKey: PublicKey): string {
  return nodeIdOfKey(publicKey.raw)
}

function encodeKeyFile(key: Ed25519PrivateKey): string {
  const file: NodeKeyFile = {
    type: 'Ed25519',
    priv_key: Buffer.from(privateKeyToProtobuf(key)).toString('base64'),
    peer_id: peerIdFromPrivateKey(key).toString(),
  }
  return `${JSON.stringify(file, null, 2)}\n`
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * Loads and checks the node key. Refuses, naming the file, one that cannot be read or
 * parsed, is not Ed25519, whose peer_id is not its key's, or that group or others may
 * access (the key is the node's identity: anyone who reads it can impersonate the node).
 */
export async function readNodeKeyFile(path: string): Promise<Ed25519PrivateKey> {
  const refuse = (why: string) => new HomeError(path, `node key ${path}: ${why}`)
  let text: string
  try {
    const info = await stat(path)
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(3, '0')
      throw refuse(`group or others may access it (mode ${mode}); run: chmod 600 ${path}`)
    }
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (error instanceof HomeError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw refuse('no such file; run `paw-node init` to create one')
    throw refuse(`cannot read it (${(error as Error).message})`)
  }
  let file: Partial<Record<keyof NodeKeyFile, unknown>>
  try {
    file = JSON.parse(text)
  } catch (error) {
    throw refuse(`not valid JSON (${(error as Error).message})`)
  }
  if (typeof file !== 'object' || file === null) throw refuse('not a JSON object')
  if (file.type !== 'Ed25519') throw refuse(`type must be "Ed25519", got ${JSON.stringify(file.type)}`)
  if (typeof file.priv_key !== 'string' || !BASE64.test(file.priv_key)) {
    throw refuse('priv_key must be a base64 string')
  }
  let key: ReturnType<typeof privateKeyFromProtobuf>
  try {
    key = privateKeyFromProtobuf(Buffer.from(file.priv_key, 'base64'))
  } catch (error) {
    throw refuse(`priv_key is not a valid libp2p private key (${(error as Error).message})`)
  }
  if (key.type !== 'Ed25519') throw refuse(`priv_key holds a ${key.type} key, not an Ed25519 one`)
  const peerId = peerIdFromPrivateKey(key).toString()
  if (file.peer_id !== peerId) {
    throw refuse(`peer_id ${JSON.stringify(file.peer_id)} does not match the key, whose PeerId is ${peerId}`)
  }
  return key
}

/** The node key of the home `home` (see readNodeKeyFile for what is refused). */
export function loadNodeKey(home: string): Promise<Ed25519PrivateKey> {
  return readNodeKeyFile(homePaths(home).keyFile)
}

export interface InitHomeOptions {
  home: string
  /** chain_id written into a new config.toml (ignored when config.toml exists). */
  chainId?: string
  /** A chain definition to copy to config/genesis.json (a chain that is not built in). */
  genesisFrom?: string
}

export interface InitHomeResult {
  paths: HomePaths
  /** What this call created; what it did not create existed and was kept as it was. */
  created: { config: boolean; key: boolean }
  /** The home's genesis.json, for a chain that is not built in (home-genesis.ts). */
  genesis: GenesisFileResult | undefined
  privateKey: Ed25519PrivateKey
  peerId: PeerId
}

/**
 * Creates whatever of the home is missing and loads the key: config.toml, the node key and,
 * for a chain that is not built in, genesis.json. An existing file is never replaced (nor
 * written to: a read-only config directory that holds them all is fine). Throws ConfigError
 * for a bad `chainId` before writing anything.
 */
export async function initHome(options: InitHomeOptions): Promise<InitHomeResult> {
  const paths = homePaths(options.home)
  const template = configTemplate(resolveSettings({ chainId: options.chainId }))
  try {
    // 0700: the config directory holds the private key.
    await mkdir(paths.configDir, { recursive: true, mode: 0o700 })
    await mkdir(paths.dataDir, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw new HomeError(paths.home, `cannot create the home ${paths.home}: ${(error as Error).message}`)
  }
  const config = await createFileOnce(paths.configFile, template, false)
  // Generating a key is cheap; only the one that wins the link() is kept.
  let key = false
  try {
    await stat(paths.keyFile)
  } catch {
    key = await createFileOnce(paths.keyFile, encodeKeyFile(await generateKeyPair('Ed25519')), true)
  }
  const privateKey = await readNodeKeyFile(paths.keyFile)
  // The chain of this home: the new config's, or the one an existing config names.
  const chainId = config
    ? resolveSettings({ chainId: options.chainId }).chainId
    : ((await readConfigFile(paths.configFile).catch(() => undefined))?.chainId ?? DEFAULT_CHAIN_ID)
  const genesis = await ensureGenesisFile({
    configDir: paths.configDir,
    chainId,
    fundedAddress: privateKey.publicKey.raw,
    ...(options.genesisFrom === undefined ? {} : { copyFrom: options.genesisFrom }),
  })
  return { paths, created: { config, key }, genesis, privateKey, peerId: peerIdFromPrivateKey(privateKey) }
}
