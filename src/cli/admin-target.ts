/**
 * Which node an admin command (status, peers, ban, tx send, …) means, and where it is:
 * the address is --node, else what the home's running node wrote to <home>/data/admin.addr,
 * else admin.listen of <home>/config/config.toml; the node meant is the one whose key is
 * <home>/config/node_key.json (or --expect-peer-id). The client sends that peer ID and the
 * node refuses if it is another (src/node/admin/identity.ts), so a stale admin.addr or a
 * port another node holds never takes a command meant for this home.
 *
 * --node without --home names a node and no home: nothing is checked unless
 * --expect-peer-id says who should answer ($PAW_HOME does not count: it is a default,
 * not a statement about the node at --node).
 */
import { existsSync } from 'node:fs'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { DEFAULT_ADMIN_LISTEN } from '../config/defaults.ts'
import { parseHostPort } from '../config/host-port.ts'
import { resolveSettings, SETTING_KEYS } from '../config/settings.ts'
import { adminAddrPath, readAdminAddr } from '../node/admin/addr-file.ts'
import { PEER_ID_HEADER } from '../node/admin/constants.ts'
import { readConfigFile } from '../node/config-file.ts'
import { homePaths, readNodeKeyFile, resolveHome } from '../node/home.ts'
import type { AdminClientError } from './admin-client.ts'
import { UsageError } from './options.ts'

/** Where the admin address came from, for the operator to fix the right thing. */
export type AdminSource =
  | { kind: 'flag' }
  | { kind: 'addr-file'; file: string }
  | { kind: 'config'; file: string }
  /** No config.toml (`file`): admin.listen's default. */
  | { kind: 'default'; file: string }

export interface AdminTarget {
  address: string
  source: AdminSource
  /** The home whose node is meant; undefined for --node without --home. */
  home: string | undefined
  /** The peer ID the answer must come from; undefined when there is nothing to check. */
  expectPeerId: string | undefined
  /** Whether expectPeerId is the home's key or --expect-peer-id. */
  expectFrom: 'home' | 'flag' | undefined
}

/** The admin API cannot be located for this home (off, or no node key): one line, exit 1. */
export class AdminTargetError extends Error {
  override readonly name = 'AdminTargetError'
  readonly code = 'ERR_ADMIN_TARGET'
}

export interface AdminTargetFlags {
  node?: string | undefined
  home?: string | undefined
  expectPeerId?: string | undefined
}

/** --node: a host:port to dial (port 0 means something only to a listener). */
export function nodeFlag(text: string): string {
  let port: number
  try {
    port = parseHostPort(text).port
  } catch (error) {
    throw new UsageError(`--node: ${(error as Error).message}`)
  }
  if (port === 0) throw new UsageError('--node needs the port the node listens on, not 0')
  return text
}

export function expectPeerIdFlag(text: string): string {
  try {
    return peerIdFromString(text).toString()
  } catch {
    throw new UsageError(`--expect-peer-id: not a peer ID: ${JSON.stringify(text)}`)
  }
}

async function homeAddress(home: string): Promise<{ address: string; source: AdminSource }> {
  const written = await readAdminAddr(home)
  if (written !== undefined)
    return { address: written, source: { kind: 'addr-file', file: adminAddrPath(home) } }
  const { configFile } = homePaths(home)
  if (!existsSync(configFile)) {
    return { address: DEFAULT_ADMIN_LISTEN, source: { kind: 'default', file: configFile } }
  }
  const { adminListen } = resolveSettings(await readConfigFile(configFile))
  if (adminListen === null) {
    throw new AdminTargetError(
      `the admin API is off (${SETTING_KEYS.adminListen} in ${configFile}); turn it on or pass --node`,
    )
  }
  return { address: adminListen, source: { kind: 'config', file: configFile } }
}

/** The peer ID of the home's node key: the node a command for this home must reach. */
async function homePeerId(home: string): Promise<string> {
  const { keyFile } = homePaths(home)
  if (!existsSync(keyFile)) {
    throw new AdminTargetError(
      `${home} is not a node's home (no ${keyFile}): give the node's --home, or --node HOST:PORT`,
    )
  }
  // A HomeError (bad mode, bad file) is the same one-line refusal `start` gives.
  return peerIdFromPrivateKey(await readNodeKeyFile(keyFile)).toString()
}

/** @throws UsageError for a malformed flag, AdminTargetError when the home has no reachable API. */
export async function resolveAdminTarget(flags: AdminTargetFlags): Promise<AdminTarget> {
  const node = flags.node === undefined ? undefined : nodeFlag(flags.node)
  const expected = flags.expectPeerId === undefined ? undefined : expectPeerIdFlag(flags.expectPeerId)
  const home = node !== undefined && flags.home === undefined ? undefined : resolveHome(flags.home)
  const { address, source } =
    node !== undefined
      ? { address: node, source: { kind: 'flag' } as const }
      : await homeAddress(home as string)
  if (expected !== undefined) return { address, source, home, expectPeerId: expected, expectFrom: 'flag' }
  if (home === undefined) return { address, source, home, expectPeerId: undefined, expectFrom: undefined }
  return { address, source, home, expectPeerId: await homePeerId(home), expectFrom: 'home' }
}

export function describeSource(source: AdminSource): string {
  switch (source.kind) {
    case 'flag':
      return '--node'
    case 'addr-file':
      return `from ${source.file}`
    case 'config':
      return `${SETTING_KEYS.adminListen} in ${source.file}`
    case 'default':
      return `the default ${SETTING_KEYS.adminListen}, with no ${source.file}`
  }
}

/** Who was meant, for messages: "12D3…, the node of /home" or "12D3… (--expect-peer-id)". */
function meant(target: AdminTarget): string {
  return target.expectFrom === 'flag' || target.home === undefined
    ? `${target.expectPeerId} (--expect-peer-id)`
    : `${target.expectPeerId}, the node of ${target.home}`
}

/** Why the home's node, not just some node, is the one that is not there. */
function absent(target: AdminTarget): string {
  const { source, home } = target
  if (home === undefined || target.expectFrom !== 'home') return ''
  if (source.kind === 'config' || source.kind === 'default') {
    return `; the node of ${home} is not running (it writes ${adminAddrPath(home)} while it runs)`
  }
  if (source.kind === 'addr-file')
    return `; is the node of ${home} running? ${source.file} is stale or was edited`
  return ''
}

/**
 * The one line for a failure that is about which node answered (or that none did), or
 * undefined for the node's own refusals (BAD_NONCE, BAN_NOT_FOUND, …).
 */
export function targetFailure(target: AdminTarget, error: AdminClientError): string | undefined {
  const at = `${target.address} (${describeSource(target.source)})`
  switch (error.code) {
    case 'UNREACHABLE':
      if (target.home === undefined) return `is the node running? (no admin API at ${target.address})`
      return `the node of ${target.home} is not running: no node answering at ${at}`
    case 'WRONG_NODE': {
      // 409 is the node's own refusal, sent before any route ran (src/node/admin/identity.ts).
      const done = error.status === 409 ? 'nothing was done' : 'its reply was ignored'
      return `wrong node at ${at}: it is ${error.peerId}, not ${meant(target)}; ${done}${absent(target)}`
    }
    case 'UNIDENTIFIED':
      return (
        `${at} did not state its peer ID (no ${PEER_ID_HEADER} header: not a paw-node admin API, ` +
        `or an older paw-node), so it may not be ${meant(target)}${absent(target)}`
      )
    default:
      return undefined
  }
}
