/**
 * The CLI's side of the admin API (src/node/admin): one JSON request per connection, a
 * typed error for a node that does not answer and for each error the node returns.
 */
import { request } from 'node:http'
import { dialableHost, parseHostPort } from '../config/host-port.ts'

/** How long one request may take; the node answers from memory. */
const REQUEST_TIMEOUT_MS = 10_000

/** Connection failures that mean "nothing listens there". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
])

export class AdminClientError extends Error {
  override readonly name = 'AdminClientError'
  /** UNREACHABLE, TIMEOUT, BAD_RESPONSE, or the code the node sent (BAD_NONCE, NOT_AVAILABLE, …). */
  readonly code: string
  /** The HTTP status the node sent, if it answered. */
  readonly status: number | undefined

  constructor(code: string, message: string, status?: number) {
    super(message)
    this.code = code
    this.status = status
  }
}

export class AdminClient {
  /** `host:port` as given. */
  readonly address: string
  readonly #host: string
  readonly #port: number

  /** @throws TypeError if `address` is not host:port */
  constructor(address: string) {
    const { host, port } = parseHostPort(address)
    this.address = address
    this.#host = dialableHost(host)
    this.#port = port
  }

  get<T>(path: string): Promise<T> {
    return this.#send<T>('GET', path)
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.#send<T>('POST', path, JSON.stringify(body))
  }

  #send<T>(method: string, path: string, body?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          host: this.#host,
          port: this.#port,
          method,
          path,
          agent: false,
          timeout: REQUEST_TIMEOUT_MS,
          headers:
            body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            const status = res.statusCode ?? 0
            let json: unknown
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'))
            } catch {
              return reject(
                new AdminClientError(
                  'BAD_RESPONSE',
                  `${this.address} answered ${status} without JSON`,
                  status,
                ),
              )
            }
            if (status >= 200 && status < 300) return resolve(json as T)
            const error = (json as { error?: { code?: unknown; message?: unknown } }).error
            reject(
              new AdminClientError(
                typeof error?.code === 'string' ? error.code : 'BAD_RESPONSE',
                typeof error?.message === 'string' ? error.message : `HTTP ${status}`,
                status,
              ),
            )
          })
        },
      )
      req.on('timeout', () => {
        req.destroy(
          new AdminClientError('TIMEOUT', `${this.address} did not answer within ${REQUEST_TIMEOUT_MS} ms`),
        )
      })
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof AdminClientError) return reject(error)
        const code = error.code ?? ''
        reject(
          new AdminClientError(
            UNREACHABLE.has(code) ? 'UNREACHABLE' : 'REQUEST_FAILED',
            `${this.address}: ${error.message}`,
          ),
        )
      })
      req.end(body)
    })
  }
}
