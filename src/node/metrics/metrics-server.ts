/**
 * The metrics listener (metrics.listen): an HTTP server of its own that serves Prometheus'
 * GET /metrics and nothing else, so a scraper can be let in without exposing the admin API's
 * ban, dial and transaction routes (issue 17, item 5). Like CometBFT's :26660 and Lodestar's
 * :8008. Node-only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { endpointListenFailure } from '../../assembly/listen-failure.ts'
import { formatHostPort, parseHostPort } from '../../config/host-port.ts'
import type { Settings } from '../../config/settings.ts'
import type { Logger } from '../../logging.ts'
import { EXPOSITION_CONTENT_TYPE } from './exposition-format.ts'

/** A scrape is one request; Prometheus' default scrape timeout is 10 s. */
const REQUEST_TIMEOUT_MS = 10_000
/** Headers alone (slowloris). */
const HEADERS_TIMEOUT_MS = 5_000
/** Prometheus keeps its connection between scrapes (15 s apart by default). */
const KEEP_ALIVE_TIMEOUT_MS = 30_000
/** Connections at once: a few scrapers and a curl. */
const MAX_CONNECTIONS = 16

const INDEX = 'paw-node metrics: GET /metrics (Prometheus text exposition format 0.0.4)\n'
const ALLOW = 'GET, HEAD'
const TEXT = 'text/plain; charset=utf-8'

export interface MetricsServerInit {
  /** `host:port` to listen on (Settings.metricsListen); port 0 picks a free one. */
  listen: string
  /** The exposition text of one scrape (renderNodeMetrics). */
  render: () => Promise<string>
  log: Logger
}

export interface MetricsServer {
  /** The bound `host:port` (the real port when 0 was asked). */
  readonly address: string
  /** Stops listening and closes every connection. */
  stop(): Promise<void>
}

function send(
  res: ServerResponse,
  method: string,
  status: number,
  body: string,
  contentType = TEXT,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(method === 'HEAD' ? undefined : body)
}

async function answer(req: IncomingMessage, res: ServerResponse, init: MetricsServerInit): Promise<number> {
  const path = (req.url ?? '/').split('?')[0] as string
  const method = req.method ?? 'GET'
  if (path !== '/metrics' && path !== '/') {
    send(res, method, 404, `no route ${path}: this listener serves GET /metrics only\n`)
    return 404
  }
  if (method !== 'GET' && method !== 'HEAD') {
    send(res, method, 405, `${path} takes ${ALLOW}, not ${method}\n`, TEXT, { allow: ALLOW })
    return 405
  }
  if (path === '/') {
    send(res, method, 200, INDEX)
    return 200
  }
  try {
    send(res, method, 200, await init.render(), EXPOSITION_CONTENT_TYPE)
    return 200
  } catch (error) {
    init.log.error('metrics scrape failed', { error })
    send(res, method, 500, 'internal error; the node log has the details\n')
    return 500
  }
}

export async function startMetricsServer(init: MetricsServerInit): Promise<MetricsServer> {
  const { log } = init
  const endpoint = parseHostPort(init.listen)
  const server = createServer(
    {
      requestTimeout: REQUEST_TIMEOUT_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    },
    (req, res) => {
      const started = performance.now()
      answer(req, res, init).then(
        (status) => {
          log.debug('metrics request', {
            method: req.method,
            path: req.url,
            status,
            ms: Math.round(performance.now() - started),
          })
        },
        // Only a reply that could not be written (the scraper went away) lands here.
        (error) => {
          log.warn('metrics reply failed', { path: req.url, error })
          res.destroy()
        },
      )
    },
  )
  server.maxConnections = MAX_CONNECTIONS

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(endpointListenFailure('metricsListen', init.listen, error))
    server.once('error', onError)
    server.listen({ host: endpoint.host, port: endpoint.port }, () => {
      server.off('error', onError)
      resolve()
    })
  })
  server.on('error', (error) => log.warn('metrics listener error', { error }))
  const bound = server.address() as AddressInfo

  return {
    address: formatHostPort({ host: bound.address, port: bound.port }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/**
 * The metrics listener per `settings` (undefined when metrics.enabled is off or metrics.listen
 * is "off"), its bound address logged for the operator and the scrape configuration.
 */
export async function startNodeMetrics(init: {
  settings: Pick<Settings, 'metricsEnabled' | 'metricsListen'>
  render: () => Promise<string>
  log: Logger
}): Promise<MetricsServer | undefined> {
  const { settings, render, log } = init
  if (!settings.metricsEnabled) {
    log.debug('metrics listener off', { setting: 'metrics.enabled' })
    return undefined
  }
  if (settings.metricsListen === null) {
    log.info('metrics listener off', { setting: 'metrics.listen' })
    return undefined
  }
  const server = await startMetricsServer({ listen: settings.metricsListen, render, log })
  log.info('metrics listening', { address: server.address, path: '/metrics' })
  return server
}
