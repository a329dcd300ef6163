import { describe, expect, it } from 'vitest'
import { StatusLine } from '../../src/cli/status-line.ts'
import { formatDuration, formatSyncProgress } from '../../src/cli/sync-bar.ts'

describe('formatSyncProgress', () => {
  it('shows the share done since the sync started, height, target, rate and time left', () => {
    const text = formatSyncProgress({
      kind: 'blocks',
      height: 5_000,
      target: 10_000,
      from: 0,
      perSecond: 1_234.4,
      done: false,
    })
    expect(text).toBe('sync [############------------]  50.0%  height 5,000 / 10,000  1,234 blocks/s  eta 4s')
  })

  it('counts from the starting height, clamps, and leaves out the eta without a rate', () => {
    const text = formatSyncProgress({
      kind: 'headers',
      height: 2_000,
      target: 3_000,
      from: 2_000,
      perSecond: 0,
      done: false,
    })
    expect(text).toBe('sync [------------------------]   0.0%  height 2,000 / 3,000  0 headers/s')
    const over = formatSyncProgress({
      kind: 'blocks',
      height: 12,
      target: 10,
      from: 0,
      perSecond: 5,
      done: false,
    })
    expect(over).toContain('[########################] 100.0%')
    expect(over).not.toContain('eta')
  })

  it('writes durations as seconds, minutes or hours', () => {
    expect(formatDuration(44.6)).toBe('45s')
    expect(formatDuration(185)).toBe('3m05s')
    expect(formatDuration(7_620)).toBe('2h07m')
    expect(formatDuration(-3)).toBe('0s')
  })
})

/** A terminal that records what was written. */
function terminal(isTTY: boolean, columns = 40) {
  const writes: string[] = []
  return { writes, stream: { isTTY, columns, write: (text: string) => writes.push(text) } }
}

describe('StatusLine', () => {
  it('keeps the status line under the log lines on a terminal', () => {
    const { writes, stream } = terminal(true)
    const status = new StatusLine(stream)
    status.write('first log line')
    status.set('sync [##--] 50%')
    status.set('sync [##--] 50%') // unchanged: not redrawn
    status.write('second log line')
    status.clear()
    status.write('third')
    expect(writes).toEqual([
      'first log line\n',
      '\x1b[2K\rsync [##--] 50%',
      '\x1b[2K\rsecond log line\nsync [##--] 50%',
      '\x1b[2K\r',
      'third\n',
    ])
  })

  it('cuts the status line to the terminal width', () => {
    const { writes, stream } = terminal(true, 10)
    new StatusLine(stream).set('0123456789abcdef')
    expect(writes).toEqual(['\x1b[2K\r012345678'])
  })

  it('takes a terminal that reports 0 columns (a new pseudo-terminal) as 80 wide', () => {
    const { writes, stream } = terminal(true, 0)
    new StatusLine(stream).set('x'.repeat(100))
    expect(writes).toEqual([`\x1b[2K\r${'x'.repeat(79)}`])
  })

  it('draws nothing when the stream is not a terminal', () => {
    const { writes, stream } = terminal(false)
    const status = new StatusLine(stream)
    status.set('sync [##--] 50%')
    status.write('a log line')
    status.clear()
    expect(status.enabled).toBe(false)
    expect(writes).toEqual(['a log line\n'])
  })
})
