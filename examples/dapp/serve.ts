/**
 * Serves the example dApp on loopback: index.html and app.js from here, and the browser
 * bundle (dist/browser/paw-node.js, `npm run build:browser`) as ./paw-node.js.
 *
 *   npm run example [-- --port 8080]
 *
 * Then open http://127.0.0.1:8080/?peer=<a node's /ws multiaddr> (paw-node devnet prints
 * one). Exported for the browser test, which serves the page on a free port.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = new URL('./', import.meta.url)
const FILES: Record<string, { url: URL; type: string }> = {
  '/': { url: new URL('index.html', here), type: 'text/html; charset=utf-8' },
  '/index.html': { url: new URL('index.html', here), type: 'text/html; charset=utf-8' },
  '/app.js': { url: new URL('app.js', here), type: 'text/javascript; charset=utf-8' },
  '/paw-node.js': {
    url: new URL('../../dist/browser/paw-node.js', here),
    type: 'text/javascript; charset=utf-8',
  },
}

/** Starts the server on 127.0.0.1:`port` (0: a free one); resolves with it and its URL. */
export async function serveExample(port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    const file = FILES[path]
    if (file === undefined) {
      response.writeHead(404).end('not found')
      return
    }
    readFile(file.url).then(
      (body) => response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(body),
      (error: Error) => {
        const missing = path === '/paw-node.js' ? ' (run `npm run build:browser` first)' : ''
        response.writeHead(500).end(`${fileURLToPath(file.url)}: ${error.message}${missing}`)
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  const { port: bound } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${bound}/` }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' } } })
  const { url } = await serveExample(Number(values.port))
  console.log(`example dApp at ${url}?peer=<a node's /ws multiaddr>   (Ctrl-C stops)`)
}
