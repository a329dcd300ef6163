/**
 * An honest peer's view during an attack: `ask` (a ping, a block request) every
 * `intervalMs` until stopped, with the latency of each answer and each failure (how long it
 * took, and why). Used by the reliability cases to show the node still serves others.
 */
export interface Probe {
  /** Milliseconds, one per answered ask. */
  readonly latencies: number[]
  /** `<ms> ms: <message>`, one per failed ask. */
  readonly failures: string[]
  /** Stops asking; resolves once the ask in flight has ended. */
  stop(): Promise<void>
}

/** Starts asking at once. `ask` rejects when the ask failed. */
export function probeEvery(intervalMs: number, ask: () => Promise<void>): Probe {
  const latencies: number[] = []
  const failures: string[] = []
  let running = true
  const loop = (async () => {
    while (running) {
      const started = performance.now()
      try {
        await ask()
        latencies.push(performance.now() - started)
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        failures.push(`${Math.round(performance.now() - started)} ms: ${message}`)
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  })()
  return {
    latencies,
    failures,
    stop: async () => {
      running = false
      await loop
    },
  }
}
