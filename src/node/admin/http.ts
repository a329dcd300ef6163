/** The HTTP edges of the admin API: a bounded JSON body in, a JSON reply out. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { AdminError, AdminErrorCode } from './errors.ts'

const JSON_TYPE = /^application\/json\s*(;|$)/i

const tooLarge = (max: number) =>
  new AdminError(413, AdminErrorCode.BodyTooLarge, `request body is over ${max} bytes`, {
    // The rest of the body is not read: end the connection after the reply.
    connection: 'close',
  })

/**
 * The request body parsed as JSON, at most `max` bytes. The content type must be
 * application/json: a browser page cannot send that cross-origin without a CORS preflight,
 * which this server never grants, so no web page can post to it.
 */
export function readJsonBody(req: IncomingMessage, max: number): Promise<unknown> {
  if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
    return Promise.reject(
      new AdminError(
        415,
        AdminErrorCode.UnsupportedMediaType,
        'the request body must be JSON, sent with content-type: application/json',
      ),
    )
  }
  const declared = Number(req.headers['content-length'])
  if (declared > max) {
    req.resume()
    return Promise.reject(tooLarge(max))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= max) {
        chunks.push(chunk)
        return
      }
      // Stop keeping it; Node discards the rest (not destroy(): that would drop the reply too).
      req.off('data', onData)
      req.off('end', onEnd)
      req.resume()
      reject(tooLarge(max))
    }
    const onEnd = () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      } catch (error) {
        reject(
          new AdminError(400, AdminErrorCode.InvalidJson, `body is not JSON: ${(error as Error).message}`),
        )
      }
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', reject)
  })
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = `${JSON.stringify(body)}\n`
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  })
  res.end(text)
}

export function sendError(res: ServerResponse, error: AdminError): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers)
}
