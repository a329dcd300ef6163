/** The memory budget of /paw/* streams (src/protocols/shared/memory-budget.ts). */
import { describe, expect, it } from 'vitest'
import { ErrorCode, ResourceLimitExceededError } from '../../../src/errors.ts'
import { Holdings, MemoryBudget, type Reservation } from '../../../src/protocols/shared/memory-budget.ts'

const reserved = (result: Reservation | ResourceLimitExceededError): Reservation => {
  if (result instanceof ResourceLimitExceededError) throw result
  return result
}

describe('MemoryBudget', () => {
  it('grants within both scopes, counts, and releases once', () => {
    const budget = new MemoryBudget({ nodeBytes: 100, peerBytes: 60 })
    const a = reserved(budget.reserve('a', 40, 'x'))
    reserved(budget.reserve('b', 30, 'x'))
    expect(budget.usage('a')).toBe(40)
    expect(budget.usedBytes).toBe(70)
    a.release()
    a.release()
    expect(budget.usage('a')).toBe(0)
    expect(budget.usedBytes).toBe(30)
    expect(budget.stats()).toMatchObject({ usedBytes: 30, peakBytes: 70, peers: 1 })
  })

  it('refuses over the peer budget with 0x0B, scope peer, and holds nothing for it', () => {
    const budget = new MemoryBudget({ nodeBytes: 100, peerBytes: 60 })
    reserved(budget.reserve('a', 50, 'x'))
    const refusal = budget.reserve('a', 11, 'blocks answer')
    expect(refusal).toBeInstanceOf(ResourceLimitExceededError)
    expect((refusal as ResourceLimitExceededError).wireCode).toBe(ErrorCode.ResourceLimitExceeded)
    expect((refusal as ResourceLimitExceededError).scope).toBe('peer')
    expect(budget.usage('a')).toBe(50)
    expect(budget.stats().refused).toEqual({ peer: 1, node: 0 })
  })

  it('at the node limit takes back the holdings of the peer holding the most, largest first, and reports it', () => {
    const revoked: Array<[string, number]> = []
    const budget = new MemoryBudget(
      { nodeBytes: 100, peerBytes: 60 },
      { onRevoke: (peerId, bytes) => revoked.push([peerId, bytes]) },
    )
    const aborted: string[] = []
    reserved(budget.reserve('hog', 30, 'small', { revoke: () => aborted.push('small') }))
    reserved(budget.reserve('hog', 25, 'large', { revoke: () => aborted.push('large') }))
    reserved(budget.reserve('other', 40, 'x'))
    // 95 held: an honest 20 does not fit until the hog gives back its largest (30).
    const honest = reserved(budget.reserve('honest', 20, 'headers answer'))
    expect(honest.bytes).toBe(20)
    expect(aborted).toEqual(['small'])
    expect(revoked).toEqual([['hog', 30]])
    expect(budget.usage('hog')).toBe(25)
    expect(budget.stats().revoked).toEqual({ reservations: 1, bytes: 30 })
  })

  it('takes the reservations of one holder (one answer) together', () => {
    const budget = new MemoryBudget({ nodeBytes: 100, peerBytes: 60 })
    const aborted: string[] = []
    const answer = { revoke: () => aborted.push('answer') }
    for (let i = 0; i < 5; i++) reserved(budget.reserve('hog', 10, 'blocks answer', answer))
    reserved(budget.reserve('other', 45, 'x'))
    reserved(budget.reserve('honest', 10, 'x'))
    expect(aborted).toEqual(['answer'])
    expect(budget.usage('hog')).toBe(0)
    expect(budget.stats().revoked).toEqual({ reservations: 5, bytes: 50 })
  })

  it('does not take from a peer holding no more than twice what the asker would', () => {
    const budget = new MemoryBudget({ nodeBytes: 100, peerBytes: 60 })
    const aborted: string[] = []
    reserved(budget.reserve('a', 50, 'x', { revoke: () => aborted.push('a') }))
    reserved(budget.reserve('b', 45, 'x', { revoke: () => aborted.push('b') }))
    // b would hold 55 after this: a (50) holds less than twice that, so nothing is taken back.
    const refusal = budget.reserve('b', 10, 'x')
    expect(refusal).toBeInstanceOf(ResourceLimitExceededError)
    expect((refusal as ResourceLimitExceededError).scope).toBe('node')
    expect(aborted).toEqual([])
  })

  it('refuses limits that cannot work', () => {
    expect(() => new MemoryBudget({ nodeBytes: 10, peerBytes: 20 })).toThrow(RangeError)
    expect(() => new MemoryBudget({ nodeBytes: 0, peerBytes: 0 })).toThrow(RangeError)
  })

  it('Holdings reserves parts and releases them together; the refusal is kept', () => {
    const budget = new MemoryBudget({ nodeBytes: 100, peerBytes: 50 })
    const holdings = new Holdings(budget, 'a', 'blocks answer')
    expect(holdings.reserve(30)).toBe(true)
    expect(holdings.reserve(30)).toBe(false)
    expect(holdings.refusal?.scope).toBe('peer')
    expect(budget.usage('a')).toBe(30)
    holdings.release()
    expect(budget.usage('a')).toBe(0)
    expect(new Holdings(undefined, 'a', 'x').reserve(1e12)).toBe(true)
  })
})
