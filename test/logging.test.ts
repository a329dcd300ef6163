/**
 * The node's log (004 §7.2): levels, plain text and one JSON object per line.
 */
import { describe, expect, it } from 'vitest'
import { createLogger, type LoggerInit, silentLogger } from '../src/logging.ts'

function capture(init: Omit<LoggerInit, 'sink'> = {}) {
  const lines: string[] = []
  const log = createLogger({ ...init, sink: (line) => lines.push(line) })
  return { log, lines }
}

describe('createLogger', () => {
  it('info level hides debug and shows info, warn, error', () => {
    const { log, lines } = capture({ level: 'info' })
    log.debug('d')
    log.info('i')
    log.warn('w')
    log.error('e')
    expect(lines).toHaveLength(3)
    expect(lines.map((line) => /^\S+ (\w+) +(.*)$/.exec(line)?.slice(1).join(' '))).toEqual([
      'INFO i',
      'WARN w',
      'ERROR e',
    ])
  })

  it('defaults to info; debug level shows everything; error level only errors', () => {
    const byDefault = capture()
    byDefault.log.debug('hidden')
    byDefault.log.info('shown')
    expect(byDefault.lines).toHaveLength(1)
    const debug = capture({ level: 'debug' })
    debug.log.debug('d')
    expect(debug.lines).toHaveLength(1)
    const error = capture({ level: 'error' })
    error.log.warn('w')
    error.log.error('e')
    expect(error.lines).toHaveLength(1)
  })

  it('json: one parseable object per line with time, level, msg and the fields', () => {
    const { log, lines } = capture({ format: 'json' })
    log.info('peer connected', { peer: 'abc', count: 3, nested: { ok: true } })
    log.warn('second line')
    expect(lines).toHaveLength(2)
    for (const line of lines) expect(line).not.toContain('\n')
    const record = JSON.parse(lines[0] as string)
    expect(record).toMatchObject({
      level: 'info',
      msg: 'peer connected',
      peer: 'abc',
      count: 3,
      nested: { ok: true },
    })
    expect(new Date(record.time).toISOString()).toBe(record.time)
    expect(Math.abs(Date.parse(record.time) - Date.now())).toBeLessThan(10_000)
    expect(JSON.parse(lines[1] as string)).toMatchObject({ level: 'warn', msg: 'second line' })
  })

  it('json: a message with a newline still makes one line', () => {
    const { log, lines } = capture({ format: 'json' })
    log.info('two\nlines', { text: 'a\nb' })
    expect(lines).toHaveLength(1)
    expect(lines[0]).not.toContain('\n')
    expect(JSON.parse(lines[0] as string)).toMatchObject({ msg: 'two\nlines', text: 'a\nb' })
  })

  it('json: errors are serialised by name and message, bigints as text', () => {
    const { log, lines } = capture({ format: 'json' })
    log.error('failed', { error: new TypeError('boom'), height: 12n })
    const record = JSON.parse(lines[0] as string)
    expect(record.error).toEqual({ name: 'TypeError', message: 'boom' })
    expect(record.height).toBe('12')
  })

  it('plain: time, level, message, then key=value pairs', () => {
    const { log, lines } = capture({ format: 'plain' })
    log.info('peer connected', { peer: 'abc', count: 3, ok: true })
    const line = lines[0] as string
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}peer connected /)
    expect(line).toContain('peer=abc')
    expect(line).toContain('count=3')
    expect(line).toContain('ok=true')
  })

  it('plain: values with spaces, quotes or = are quoted; errors give their message', () => {
    const { log, lines } = capture()
    log.warn('x', { reason: 'two words', eq: 'a=b', error: new Error('it broke') })
    const line = lines[0] as string
    expect(line).toContain('reason="two words"')
    expect(line).toContain('eq="a=b"')
    expect(line).toContain('error="it broke"')
  })

  it('child() adds its fields to every line, and the call fields win', () => {
    const { log, lines } = capture({ format: 'json' })
    const child = log.child({ component: 'peers', peer: 'p1' })
    child.info('hello', { extra: 1 })
    child.child({ sub: 'x' }).info('deeper')
    child.info('override', { peer: 'p2' })
    log.info('parent')
    const records = lines.map((line) => JSON.parse(line))
    expect(records[0]).toMatchObject({ component: 'peers', peer: 'p1', extra: 1, msg: 'hello' })
    expect(records[1]).toMatchObject({ component: 'peers', peer: 'p1', sub: 'x', msg: 'deeper' })
    expect(records[2]).toMatchObject({ peer: 'p2' })
    expect(records[3]).not.toHaveProperty('component')
  })

  it('child() keeps the level filter', () => {
    const { log, lines } = capture({ level: 'warn' })
    log.child({ component: 'c' }).info('hidden')
    log.child({ component: 'c' }).warn('shown')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('component=c')
  })

  it('silentLogger drops everything, children too', () => {
    expect(() => {
      silentLogger.error('x', { a: 1 })
      silentLogger.child({ a: 1 }).debug('y')
    }).not.toThrow()
  })
})
