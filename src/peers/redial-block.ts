/**
 * Addresses and peers not to dial again for a while. DECISIONS.md "Handshake": after a
 * wrong version or chain, the peer's address is not redialled for that chain for 24 h.
 */
export class RedialBlock {
  readonly #until = new Map<string, number>()

  block(key: string, durationMs: number, now = Date.now()): void {
    this.#until.set(key, now + durationMs)
  }

  isBlocked(key: string, now = Date.now()): boolean {
    const until = this.#until.get(key)
    if (until === undefined) return false
    if (until > now) return true
    this.#until.delete(key)
    return false
  }

  /** Drops expired entries, so the block does not grow with every peer ever refused. */
  prune(now = Date.now()): void {
    for (const [key, until] of this.#until) if (until <= now) this.#until.delete(key)
  }

  get size(): number {
    return this.#until.size
  }
}

/** The dialable part of a multiaddr text, without /p2p/<id>: what the block is keyed by. */
export function addressKey(multiaddrText: string): string {
  const at = multiaddrText.indexOf('/p2p/')
  return at === -1 ? multiaddrText : multiaddrText.slice(0, at)
}
