/**
 * The node's log: the four levels of 004 §7.2, as plain text or one JSON object per line.
 * Browser-safe (writes through a sink; the default sink is console.error, so stdout stays
 * free for command output). libp2p's own debug output is separate: DEBUG=libp2p:* (Node)
 * or localStorage.debug (browser) turns it on (libp2pLogger).
 */
import type { ComponentLogger, Logger as Libp2pLog } from '@libp2p/interface'
import { enabled as debugEnabled, logger as debugLogger } from '@libp2p/logger'
import type { LogFields, Logger } from './api/logger.ts'
import type { LogFormat, LogLevel } from './config/defaults.ts'

export type { LogFields, Logger }

export interface LoggerInit {
  /** @default 'info' */
  level?: LogLevel
  /** @default 'plain' */
  format?: LogFormat
  /** Where lines go. @default console.error */
  sink?: (line: string) => void
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

function plainValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value
  if (value instanceof Error) return JSON.stringify(value.message)
  if (typeof value === 'bigint') return value.toString()
  return JSON.stringify(value) ?? String(value)
}

function jsonValue(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message }
  if (typeof value === 'bigint') return value.toString()
  return value
}

export function createLogger(init: LoggerInit = {}, bound: LogFields = {}): Logger {
  const threshold = RANK[init.level ?? 'info']
  const format = init.format ?? 'plain'
  const sink = init.sink ?? ((line: string) => console.error(line))

  const write = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    if (RANK[level] < threshold) return
    const all = { ...bound, ...fields }
    const time = new Date().toISOString()
    if (format === 'json') {
      const record: Record<string, unknown> = { time, level, msg: message }
      for (const [key, value] of Object.entries(all)) record[key] = jsonValue(value)
      sink(JSON.stringify(record))
      return
    }
    const extras = Object.entries(all)
      .map(([key, value]) => `${key}=${plainValue(value)}`)
      .join(' ')
    sink(`${time} ${level.toUpperCase().padEnd(5)} ${message}${extras === '' ? '' : ` ${extras}`}`)
  }

  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createLogger(init, { ...bound, ...fields }),
  }
}

/** A logger that drops everything (library default when the caller gives none). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
}

const ignore = (): void => {}

/**
 * libp2p's debug log of `name`: @libp2p/logger's when DEBUG (Node) or localStorage.debug
 * (browser) enables the name or one of its `:error` / `:trace` children, else one that
 * does nothing and only remembers its name for the scopes made from it. The check runs
 * per scope, so `enable()` from @libp2p/logger reaches the scopes opened after it.
 */
function libp2pLog(name: string): Libp2pLog {
  if (debugEnabled(name) || debugEnabled(`${name}:error`) || debugEnabled(`${name}:trace`)) {
    return debugLogger(name)
  }
  return Object.assign(ignore.bind(undefined), {
    enabled: false,
    error: ignore,
    trace: ignore,
    newScope: (scope: string) => libp2pLog(`${name}:${scope}`),
  })
}

/**
 * The `logger` for createLibp2p. libp2p opens a log scope per connection, per stream and
 * per protocol negotiation, and keeps it as long as these live; @libp2p/logger makes three
 * `debug` instances (closures with their own properties) for each, logging on or off. Here
 * a disabled scope is one small function: bench/handshake measured 4 KiB less heap per idle
 * peer for plain libp2p and about 10 KiB less for a paw-node (whose peers keep more streams
 * open); connections per second did not change measurably.
 */
export const libp2pLogger: ComponentLogger = { forComponent: libp2pLog }
