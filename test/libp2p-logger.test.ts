/**
 * libp2pLogger (src/logging.ts): libp2p's debug log stays what DEBUG / localStorage.debug
 * make it, and costs nothing per scope while off.
 */
import { disable, enable } from '@libp2p/logger'
import { afterEach, describe, expect, it } from 'vitest'
import { libp2pLogger } from '../src/logging.ts'

afterEach(() => disable())

describe('libp2pLogger', () => {
  it('hands out loggers that do nothing while no namespace is enabled', () => {
    disable()
    const log = libp2pLogger.forComponent('libp2p:tcp')
    expect(log.enabled).toBe(false)
    const scope = log.newScope('connection').newScope('outbound:1')
    expect(scope.enabled).toBe(false)
    expect(() => {
      scope('a %s', 'message')
      scope.error('an error %e', new Error('x'))
      scope.trace('a trace')
    }).not.toThrow()
  })

  it("is @libp2p/logger's debug for an enabled name, its :error child, and scopes under it", () => {
    enable('libp2p:yamux*')
    expect(libp2pLogger.forComponent('libp2p:tcp').enabled).toBe(false)
    expect(libp2pLogger.forComponent('libp2p:yamux').enabled).toBe(true)
    // A disabled parent still opens an enabled scope: the check runs per scope.
    enable('libp2p:tcp:connection:*')
    const parent = libp2pLogger.forComponent('libp2p:tcp')
    expect(parent.enabled).toBe(false)
    expect(parent.newScope('connection').enabled).toBe(false)
    expect(parent.newScope('connection').newScope('inbound').enabled).toBe(true)
    enable('libp2p:noise:error')
    const noise = libp2pLogger.forComponent('libp2p:noise')
    expect(noise.enabled).toBe(false)
    expect((noise.error as unknown as { enabled: boolean }).enabled).toBe(true)
  })
})
