/**
 * libp2p's refusal to listen (UnsupportedListenAddressesError: a port taken, an address
 * this machine does not have) as a ConfigError naming the setting and the flag that set it,
 * in one line. libp2p's own message carries each address's stack trace and advice about
 * `transportManager.faultTolerance`, which an operator cannot reach (issue 17, item 2); the
 * admin API's busy port is reported the same way (src/node/admin/server.ts), and the metrics
 * listener's through endpointListenFailure (src/node/metrics/metrics-server.ts). Browser-safe.
 */
import { ConfigError } from '../config/config-error.ts'
import { definitionOf, type SettingName } from '../config/settings.ts'

/** One address libp2p could not listen on: `  /ip4/…/tcp/…: Error: listen EADDRINUSE: …`. */
const FAILED_ADDRESS = /^\s*(\/\S+): [\w.]*Error: (?:listen )?(E[A-Z]+)?[:\s]*([^\n]*)$/m

/** What each errno means to an operator, and which setting to change. */
const CAUSES: Record<string, { why: string; setting?: SettingName; hint: string }> = {
  EADDRINUSE: {
    why: 'address already in use',
    hint: 'another node on this machine? give each its own port, or 0 for any free one',
  },
  EACCES: { why: 'permission denied', hint: 'ports below 1024 need privileges: use a higher one' },
  EADDRNOTAVAIL: {
    why: 'no such address on this machine',
    setting: 'listenHost',
    hint: 'use one of its own addresses, or 0.0.0.0 for all',
  },
  ENOTFOUND: { why: 'unknown host name', setting: 'listenHost', hint: 'use an IP address' },
}

function named(setting: SettingName): string {
  const { key, flag } = definitionOf(setting)
  return flag === undefined ? key : `${key}, --${flag}`
}

/**
 * The ConfigError for a listener of the node's own (an endpoint setting such as metrics.listen)
 * that could not bind `endpoint`: the same one line as libp2p's failures, naming `setting`.
 */
export function endpointListenFailure(
  setting: SettingName,
  endpoint: string,
  error: { code?: string | undefined; message: string },
): ConfigError {
  const cause = error.code === undefined ? undefined : CAUSES[error.code]
  const why =
    cause === undefined ? (error.code ?? error.message) : `${cause.why} (${named(setting)}: ${cause.hint})`
  return new ConfigError(definitionOf(setting).key, `cannot listen on ${endpoint}: ${why}`)
}

/**
 * The ConfigError for `error` if it is libp2p's failure to listen; `error` itself otherwise.
 */
export function listenFailure(error: unknown): unknown {
  if (!(error instanceof Error) || error.name !== 'UnsupportedListenAddressesError') return error
  const match = FAILED_ADDRESS.exec(error.message)
  if (match === null) return error
  const [, address = '', errno = '', detail = ''] = match
  const cause = CAUSES[errno]
  const port: SettingName = address.includes('/ws') ? 'wsPort' : 'tcpPort'
  const setting = cause?.setting ?? port
  const endpoint = address.replace(/^\/ip[46]\/([^/]+)\/tcp\/(\d+).*$/, '$1:$2')
  const why =
    cause === undefined ? `${errno} ${detail}`.trim() : `${cause.why} (${named(setting)}: ${cause.hint})`
  return new ConfigError(definitionOf(setting).key, `cannot listen on ${endpoint}: ${why}`)
}
