/**
 * Two hosts a test can cut apart: Linux network namespaces joined by veth pairs (iproute2),
 * made by the test inside its own sandbox and removed after it. Needs root (CAP_NET_ADMIN).
 *
 *   side 0 (namespace <tag>-0)             side 1 (namespace <tag>-1)
 *   lo: 10.77.1.1 (the nodes listen here)  lo: 10.77.2.1
 *   link veth 10.77.0.1/30  ───────────── link veth 10.77.0.2/30      ← partition(): down
 *   admin veth 10.78.1.2/30 ─┐         ┌─ admin veth 10.78.2.2/30
 *                            this namespace: 10.78.1.1, 10.78.2.1   (the admin APIs)
 *
 * Each side's nodes share the side's address and talk to each other over its loopback, so
 * a partition cuts only what crosses the link. Taking the link down removes its routes, as
 * a real outage does: established TCP connections across it stall (no RST), new dials fail
 * with "network unreachable". heal() brings the link up and restores the routes.
 */
import { execFileSync } from 'node:child_process'

export interface Side {
  namespace: string
  /** Where this side's nodes listen: one address per side, a port per node. */
  host: string
  /** This side's end of its admin link, reachable from the test's namespace. */
  adminHost: string
  /** Runs a command inside the namespace: `[...exec, command, ...args]`. */
  exec: string[]
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Whether this process may make network namespaces (root, iproute2 present). */
export function netnsAvailable(): boolean {
  const probe = `paw-probe-${process.pid}`
  try {
    ip('netns', 'add', probe)
    ip('netns', 'del', probe)
    return true
  } catch {
    return false
  }
}

export class SplitNetwork {
  readonly sides: readonly [Side, Side]
  readonly #tag: string
  #made = false

  /** `tag` names the namespaces and links: short (veth names are at most 15 characters). */
  constructor(tag: string) {
    this.#tag = tag
    this.sides = [0, 1].map((i) => ({
      namespace: `${tag}-${i}`,
      host: `10.77.${i + 1}.1`,
      adminHost: `10.78.${i + 1}.2`,
      exec: ['ip', 'netns', 'exec', `${tag}-${i}`],
    })) as unknown as [Side, Side]
  }

  #link(side: number): string {
    return `${this.#tag}l${side}`
  }

  create(): void {
    this.#made = true
    const [a, b] = this.sides
    for (const [i, side] of this.sides.entries()) {
      ip('netns', 'add', side.namespace)
      ip('-n', side.namespace, 'link', 'set', 'lo', 'up')
      ip('-n', side.namespace, 'addr', 'add', `${side.host}/32`, 'dev', 'lo')
      // The admin link: this namespace ↔ the side.
      const inside = `${this.#tag}a${i}`
      const outside = `${this.#tag}h${i}`
      ip('link', 'add', inside, 'type', 'veth', 'peer', 'name', outside)
      ip('link', 'set', inside, 'netns', side.namespace)
      ip('-n', side.namespace, 'addr', 'add', `${side.adminHost}/30`, 'dev', inside)
      ip('-n', side.namespace, 'link', 'set', inside, 'up')
      ip('addr', 'add', `10.78.${i + 1}.1/30`, 'dev', outside)
      ip('link', 'set', outside, 'up')
    }
    ip('link', 'add', this.#link(0), 'type', 'veth', 'peer', 'name', this.#link(1))
    ip('link', 'set', this.#link(0), 'netns', a.namespace)
    ip('link', 'set', this.#link(1), 'netns', b.namespace)
    ip('-n', a.namespace, 'addr', 'add', '10.77.0.1/30', 'dev', this.#link(0))
    ip('-n', b.namespace, 'addr', 'add', '10.77.0.2/30', 'dev', this.#link(1))
    this.heal()
  }

  /** Cuts the link between the sides (both ends down, their routes gone). */
  partition(): void {
    for (const [i, side] of this.sides.entries())
      ip('-n', side.namespace, 'link', 'set', this.#link(i), 'down')
  }

  /** Restores the link and the routes to the other side's address. */
  heal(): void {
    const [a, b] = this.sides
    ip('-n', a.namespace, 'link', 'set', this.#link(0), 'up')
    ip('-n', b.namespace, 'link', 'set', this.#link(1), 'up')
    // `src`: connections across leave from the side's own address, so a peer sees (and
    // records) the address the nodes listen on, not the link's.
    ip(
      '-n',
      a.namespace,
      'route',
      'replace',
      `${b.host}/32`,
      'via',
      '10.77.0.2',
      'dev',
      this.#link(0),
      'src',
      a.host,
    )
    ip(
      '-n',
      b.namespace,
      'route',
      'replace',
      `${a.host}/32`,
      'via',
      '10.77.0.1',
      'dev',
      this.#link(1),
      'src',
      b.host,
    )
  }

  /** Removes both namespaces; their links go with them. Safe to call twice. */
  destroy(): void {
    if (!this.#made) return
    for (const side of this.sides) {
      try {
        ip('netns', 'del', side.namespace)
      } catch {
        // Already gone.
      }
    }
    // The admin links' outer ends die with their peers; this is for a half-made network.
    for (const i of [0, 1]) {
      try {
        ip('link', 'del', `${this.#tag}h${i}`)
      } catch {
        // Already gone.
      }
    }
    this.#made = false
  }
}
