/**
 * The admin HTTP API (node:http): JSON routes (routes.ts) for operators and
 * `paw-node tx send`, on loopback unless admin.allow_remote. Node-only; nothing under
 * src/index.ts reaches it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { formatHostPort, isLoopbackHost, parseHostPort } from '../../config/host-port.ts'
import { ConfigError, SETTING_KEYS } from '../../config/settings.ts'
import type { Logger } from '../../logging.ts'
import {
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_BODY_BYTES,
  MAX_CONNECTIONS,
  REQUEST_TIMEOUT_MS,
} from './constants.ts'
import { AdminError, AdminErrorCode } from './errors.ts'
import { readJsonBody, sendError, sendJson } from './http.ts'
import { checkExpectedPeerId, statePeerId } from './identity.ts'
import type { AdminContext, Route } from './route-types.ts'
import { Router } from './router.ts'
import { ROUTES } from './routes.ts'

export interface AdminServerInit {
  /** `host:port` to listen on (Settings.adminListen); port 0 picks a free one. */
  listen: string
  /**
   * Settings.adminAllowRemote. Without it, a request whose Host header is not loopback is
   * refused with 403, so a web page on a rebound DNS name cannot reach the API either.
   * @default false
   */
  allowRemote?: boolean
  context: AdminContext
  log: Logger
  /** @default ROUTES */
  routes?: readonly Route[]
}

export interface AdminServer {
  /** The bound `host:port` (the real port when 0 was asked). */
  readonly address: string
  /** Stops listening and closes every connection. */
  stop(): Promise<void>
}

/** The host of a Host header (`127.0.0.1:26658`, `[::1]:26658`, `localhost`). */
function hostOf(header: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(header)
  if (bracketed !== null) return bracketed[1] as string
  return header.split(':')[0] as string
}

/** A reply that is not JSON (Prometheus text on /metrics); errors stay JSON. */
function sendText(res: ServerResponse, status: number, text: string, contentType: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  })
  res.end(text)
}

export async function startAdminServer(init: AdminServerInit): Promise<AdminServer> {
  const { context, log } = init
  const router = new Router(init.routes ?? ROUTES)
  const endpoint = parseHostPort(init.listen)

  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    statePeerId(res, context.node.peerId)
    try {
      if (init.allowRemote !== true && !isLoopbackHost(hostOf(req.headers.host ?? ''))) {
        throw new AdminError(
          403,
          AdminErrorCode.ForbiddenHost,
          'the admin API answers requests for loopback host names only (admin.allow_remote is off)',
        )
      }
      checkExpectedPeerId(req, context.node.peerId)
      const path = (req.url ?? '/').split('?')[0] as string
      const method = req.method ?? 'GET'
      const match = router.match(method, path)
      if (match.kind === 'none') {
        throw new AdminError(404, AdminErrorCode.NotFound, `no route ${method} ${path}`)
      }
      if (match.kind === 'method') {
        throw new AdminError(
          405,
          AdminErrorCode.MethodNotAllowed,
          `${path} takes ${match.allow.join(', ')}, not ${method}`,
          { allow: match.allow.join(', ') },
        )
      }
      const body = match.route.json === true ? await readJsonBody(req, MAX_BODY_BYTES) : undefined
      const reply = await match.route.handle({ params: match.params, body }, context)
      if (reply.contentType === undefined) {
        sendJson(res, reply.status, reply.body)
      } else {
        sendText(res, reply.status, String(reply.body), reply.contentType)
      }
      return reply.status
    } catch (error) {
      const known =
        error instanceof AdminError
          ? error
          : new AdminError(500, AdminErrorCode.Internal, 'internal error; the node log has the details')
      if (known.status >= 500) log.error('admin request failed', { method: req.method, url: req.url, error })
      sendError(res, known)
      return known.status
    }
  }

  const server = createServer(
    {
      requestTimeout: REQUEST_TIMEOUT_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    },
    (req, res) => {
      const started = performance.now()
      dispatch(req, res).then(
        (status) => {
          log.debug('admin request', {
            method: req.method,
            path: req.url,
            status,
            ms: Math.round(performance.now() - started),
          })
        },
        // Only a reply that could not be written (the client went away) lands here.
        (error) => {
          log.warn('admin reply failed', { method: req.method, path: req.url, error })
          res.destroy()
        },
      )
    },
  )
  server.maxConnections = MAX_CONNECTIONS

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new ConfigError(
          SETTING_KEYS.adminListen,
          `cannot listen on ${init.listen}: ${error.code ?? error.message}` +
            (error.code === 'EADDRINUSE'
              ? ' (another node on this machine? give each its own port, e.g. --admin-listen 127.0.0.1:0, or --admin-listen off)'
              : ''),
        ),
      )
    }
    server.once('error', onError)
    server.listen({ host: endpoint.host, port: endpoint.port }, () => {
      server.off('error', onError)
      resolve()
    })
  })
  server.on('error', (error) => log.warn('admin API error', { error }))
  const bound = server.address() as AddressInfo
  const address = formatHostPort({ host: bound.address, port: bound.port })

  return {
    address,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
