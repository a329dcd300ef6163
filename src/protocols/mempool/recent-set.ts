/** A set that keeps only its `capacity` most recently added keys. */
export class RecentSet {
  readonly #capacity: number
  readonly #keys = new Set<string>()

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  get size(): number {
    return this.#keys.size
  }

  has(key: string): boolean {
    return this.#keys.has(key)
  }

  add(key: string): void {
    this.#keys.delete(key)
    this.#keys.add(key)
    if (this.#keys.size > this.#capacity) {
      const oldest = this.#keys.values().next().value as string
      this.#keys.delete(oldest)
    }
  }

  clear(): void {
    this.#keys.clear()
  }
}
