/**
 * Small measuring helpers for flood.test.ts: memory of this process (peak and retained),
 * its open file descriptors, and a periodic sampler.
 */
import { readdirSync } from 'node:fs'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'

export const MiB = 1024 * 1024

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

export const mib = (bytes: number): string => (bytes / MiB).toFixed(1)

/** Heap in use after a full collection (gc exposed at run time: vitest runs without --expose-gc). */
export function heapAfterGc(): number {
  v8.setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  return process.memoryUsage().heapUsed
}

/** Open file descriptors of this process (sockets included); Linux only. */
export function openFileDescriptors(): number {
  return readdirSync('/proc/self/fd').length
}

/** Calls `sample` every `intervalMs` until stopped; the first call is immediate. */
export function every(intervalMs: number, sample: () => void): { stop(): void } {
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      sample()
    },
  }
}

/** Peaks of this process's RSS and heap in use, sampled, against where they started. */
export class MemoryPeaks {
  readonly rssBefore: number
  readonly heapBefore: number
  readonly externalBefore: number
  rssPeak: number
  heapPeak: number
  /** ArrayBuffers and other memory outside the V8 heap (where stream buffers live). */
  externalPeak: number

  constructor() {
    const usage = process.memoryUsage()
    this.rssBefore = usage.rss
    this.heapBefore = usage.heapUsed
    this.externalBefore = usage.external
    this.rssPeak = usage.rss
    this.heapPeak = usage.heapUsed
    this.externalPeak = usage.external
  }

  sample(): void {
    const usage = process.memoryUsage()
    this.rssPeak = Math.max(this.rssPeak, usage.rss)
    this.heapPeak = Math.max(this.heapPeak, usage.heapUsed)
    this.externalPeak = Math.max(this.externalPeak, usage.external)
  }

  get rssGrowth(): number {
    return this.rssPeak - this.rssBefore
  }

  get heapGrowth(): number {
    return this.heapPeak - this.heapBefore
  }

  get externalGrowth(): number {
    return this.externalPeak - this.externalBefore
  }
}
