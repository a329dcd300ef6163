/**
 * Checks before anything starts that every port of the layout is free, so a clash is one
 * clear line naming the port instead of a node dying in its log a few seconds later.
 */
import { createServer } from 'node:net'
import { DEVNET_HOST, type DevnetNodeSpec } from './layout.ts'

/** A port of the layout that something else holds. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError'
  readonly port: number

  constructor(port: number, what: string, cause: string) {
    super(`port ${port} (${what}) is in use (${cause}); choose another --base-port`)
    this.port = port
  }
}

/** Resolves once `port` on the devnet host could be bound (and was released again). */
function probe(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    // exclusive: a port another process shares through the cluster module counts as taken.
    server.listen({ host: DEVNET_HOST, port, exclusive: true }, () => server.close(() => resolve()))
  })
}

/** @throws PortInUseError for the first port of `specs` that cannot be bound */
export async function checkPortsFree(specs: readonly DevnetNodeSpec[]): Promise<void> {
  for (const spec of specs) {
    const ports: [number, string][] = [
      [spec.tcpPort, `${spec.name} TCP`],
      [spec.wsPort, `${spec.name} WebSockets`],
      [spec.adminPort, `${spec.name} admin API`],
    ]
    for (const [port, what] of ports) {
      try {
        await probe(port)
      } catch (error) {
        throw new PortInUseError(
          port,
          what,
          (error as NodeJS.ErrnoException).code ?? (error as Error).message,
        )
      }
    }
  }
}
