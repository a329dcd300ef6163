/**
 * The resident memory of another process, from /proc/<pid>/status (Linux), sampled often
 * enough to catch its peak: what a node holds is measured from outside, as an operator's
 * monitoring would see it, not from the node's own accounting.
 */
import { readFileSync } from 'node:fs'

export const MiB = 1024 * 1024

/** VmRSS of `pid` in bytes, or undefined once the process is gone. */
export function rssOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]
    return kb === undefined ? undefined : Number(kb) * 1024
  } catch {
    return undefined
  }
}

/** Samples a process's RSS every `everyMs` until stopped; keeps the peak and every sample. */
export class RssSampler {
  readonly pid: number
  readonly samples: Array<{ at: number; bytes: number }> = []
  #peak = 0
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(pid: number, everyMs = 50) {
    this.pid = pid
    this.#timer = setInterval(() => this.sample(), everyMs)
    this.sample()
  }

  sample(): number | undefined {
    const bytes = rssOf(this.pid)
    if (bytes !== undefined) {
      this.samples.push({ at: Date.now(), bytes })
      this.#peak = Math.max(this.#peak, bytes)
    }
    return bytes
  }

  get peak(): number {
    return this.#peak
  }

  /** Starts a new peak from now (the samples are kept). */
  resetPeak(): void {
    this.#peak = rssOf(this.pid) ?? 0
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
