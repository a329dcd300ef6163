import { describe, expect, it } from 'vitest'
import { type IngressJob, type IngressLane, IngressQueue } from '../../src/gossip/ingress-queue.ts'

function job(
  lane: IngressLane,
  log: string[],
  name: string,
  options: { bytes?: number; work?: () => void } = {},
): IngressJob {
  return {
    lane,
    bytes: options.bytes ?? 1,
    run: () => {
      options.work?.()
      log.push(name)
    },
    drop: (reason) => log.push(`drop ${name} ${reason}`),
  }
}

describe('IngressQueue', () => {
  it('runs a block queued behind transactions before them', async () => {
    const queue = new IngressQueue()
    const log: string[] = []
    for (let i = 0; i < 100; i++) queue.push(job('transactions', log, `tx${i}`))
    queue.push(job('blocks', log, 'block'))
    await queue.idle()
    // tx0 was already running when the block came; the block is next.
    expect(log.indexOf('block')).toBeLessThanOrEqual(1)
    expect(log.filter((line) => line.startsWith('tx'))).toHaveLength(100)
  })

  it('picks up a block that arrives from the network while transactions are being processed', async () => {
    const queue = new IngressQueue()
    const log: string[] = []
    const busy = () => {
      const until = performance.now() + 1
      while (performance.now() < until) {}
    }
    for (let i = 0; i < 200; i++) queue.push(job('transactions', log, `tx${i}`, { work: busy }))
    // A block arriving by I/O (a macrotask) after ~20 ms of transaction work.
    setTimeout(() => queue.push(job('blocks', log, 'block')), 20)
    await queue.idle()
    const at = log.indexOf('block')
    expect(at).toBeGreaterThan(0)
    // It waited for at most the few transactions of one yield slice (5 ms of 1 ms jobs), not the 200.
    expect(at).toBeLessThan(60)
  })

  it('bounds each lane by count and bytes, drops the excess and counts it', async () => {
    const queue = new IngressQueue({
      transactions: { maxItems: 3, maxBytes: 1_000 },
      blocks: { maxItems: 10, maxBytes: 100 },
    })
    const log: string[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    queue.push({ lane: 'transactions', bytes: 1, run: () => gate, drop: () => {} })
    for (let i = 0; i < 5; i++) queue.push(job('transactions', log, `tx${i}`))
    expect(queue.push(job('blocks', log, 'big', { bytes: 101 }))).toBe(false)
    expect(log).toEqual(['drop tx3 full', 'drop tx4 full', 'drop big full'])
    release()
    await queue.idle()
    const stats = queue.stats()
    expect(stats.transactions).toMatchObject({ processed: 4, dropped: 2, queued: 0, highWater: 3 })
    expect(stats.blocks).toMatchObject({ processed: 0, dropped: 1 })
  })

  it('drops what is queued on close and refuses new work', async () => {
    const queue = new IngressQueue()
    const log: string[] = []
    let release: () => void = () => {}
    queue.push({
      lane: 'blocks',
      bytes: 1,
      run: () => new Promise<void>((resolve) => (release = resolve)),
      drop: () => {},
    })
    queue.push(job('transactions', log, 'a'))
    const closed = queue.close()
    queue.push(job('blocks', log, 'late'))
    release()
    await closed
    expect(log).toEqual(['drop a closed', 'drop late closed'])
  })

  it('keeps going after a job throws', async () => {
    const queue = new IngressQueue()
    const log: string[] = []
    queue.push({
      lane: 'blocks',
      bytes: 1,
      run: () => {
        throw new Error('bug')
      },
      drop: () => {},
    })
    queue.push(job('blocks', log, 'next'))
    await queue.idle()
    expect(log).toEqual(['next'])
  })
})
