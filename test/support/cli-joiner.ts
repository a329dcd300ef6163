/**
 * The real `paw-node start` as a syncing full node in tests: the built CLI entry, run by
 * this Node (the project's, >= 22) directly rather than through bin/paw-node.js, so that a
 * signal (SIGKILL included) hits the process that holds the store.
 */
import { join } from 'node:path'
import type { PawNode } from '../../src/api/index.ts'
import { tcpAddress } from './nodes.ts'
import { projectRoot } from './system-node.ts'

export const cliEntry = join(projectRoot, 'dist', 'cli', 'run.js')

/**
 * `start` flags for a full node in `home` on loopback: ephemeral ports, no WebSockets, an
 * admin API on an ephemeral port. Callers add how it finds peers.
 */
export function loopbackStartFlags(home: string): string[] {
  return [
    '--home',
    home,
    '--type',
    'full',
    '--listen-host',
    '127.0.0.1',
    '--port',
    '0',
    '--ws-port',
    'off',
    '--admin-listen',
    '127.0.0.1:0',
  ]
}

/** `start` flags for a full node in `home` on loopback (loopbackStartFlags) whose only peer is `peer`. */
export function joinerStartFlags(home: string, peer: PawNode): string[] {
  return [...loopbackStartFlags(home), '--bootstrap', tcpAddress(peer).toString(), '--min-outbound', '1']
}
