/**
 * The CLI's side of the admin API (src/node/admin): one JSON request per connection, a
 * typed error for a node that does not answer and for each error the node returns. Given
 * the peer ID it means, it sends it on every request (the node refuses if it is another)
 * and checks the one every reply states.
 */
import { request } from 'node:http'
import { dialableHost, parseHostPort } from '../config/host-port.ts'
import { EXPECT_PEER_ID_HEADER, PEER_ID_HEADER } from '../node/admin/constants.ts'

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
  /**
   * UNREACHABLE, TIMEOUT, BAD_RESPONSE, UNIDENTIFIED (no Paw-Node-Peer-Id where one was
   * expected), WRONG_NODE, or the code the node sent (BAD_NONCE, NOT_AVAILABLE, …).
   */
  readonly code: string
  /** The HTTP status the node sent, if it answered. */
  readonly status: number | undefined
  /** The peer ID the answering node stated (Paw-Node-Peer-Id), if it did. */
  readonly peerId: string | undefined

  constructor(code: string, message: string, status?: number, peerId?: string) {
    super(message)
    this.code = code
    this.status = status
    this.peerId = peerId
  }
}

export interface AdminClientOptions {
  /**
   * The peer ID of the node meant. Sent as Paw-Expect-Peer-Id, so another node refuses
   * (409 WRONG_NODE) before acting; a reply stating another peer ID, or none, is a
   * WRONG_NODE or UNIDENTIFIED error rather than an answer.
   */
  expectPeerId?: string
}

export class AdminClient {
  /** `host:port` as given. */
  readonly address: string
  readonly #host: string
  readonly #port: number
  readonly #expectPeerId: string | undefined

  /** @throws TypeError if `address` is not host:port */
  constructor(address: string, options: AdminClientOptions = {}) {
    const { host, port } = parseHostPort(address)
    this.address = address
    this.#host = dialableHost(host)
    this.#port = port
    this.#expectPeerId = options.expectPeerId
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
          headers: {
            ...(this.#expectPeerId === undefined ? {} : { [EXPECT_PEER_ID_HEADER]: this.#expectPeerId }),
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            const status = res.statusCode ?? 0
            const stated = res.headers[PEER_ID_HEADER.toLowerCase()]
            const identity = this.#identityError(status, typeof stated === 'string' ? stated : undefined)
            if (identity !== undefined) return reject(identity)
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

  /** Why a reply is not from the node meant, if it is not. */
  #identityError(status: number, stated: string | undefined): AdminClientError | undefined {
    const expected = this.#expectPeerId
    if (expected === undefined || stated === expected) return undefined
    if (stated === undefined) {
      return new AdminClientError(
        'UNIDENTIFIED',
        `${this.address} did not state its peer ID (no ${PEER_ID_HEADER} header): not a paw-node admin API, or one older than the header`,
        status,
      )
    }
    // 409 is the node's own refusal (identity.ts), sent before any route ran.
    const refused = status === 409 ? 'it refused the request' : 'its reply was ignored'
    return new AdminClientError(
      'WRONG_NODE',
      `${this.address} is node ${stated}, not ${expected}; ${refused}`,
      status,
      stated,
    )
  }
}
