/**
 * 004 §7.1 traffic accounting (src/peers/traffic.ts): a stream's counter feeds both its
 * peer's counters and the node's total for the protocol.
 */
import { describe, expect, it } from 'vitest'
import { PeerTraffic, ProtocolTrafficTotals } from '../../src/peers/traffic.ts'

describe('traffic accounting', () => {
  it("counts a peer's frames and marks it active when it sends", () => {
    const traffic = new PeerTraffic()
    traffic.lastActivity = 0
    traffic.sent(10, 1)
    expect(traffic.lastActivity).toBe(0)
    traffic.received(30, 2)
    expect(traffic.lastActivity).toBeGreaterThan(0)
    traffic.lastActivity = 0
    traffic.touch()
    expect(traffic.lastActivity).toBeGreaterThan(0)
    expect([
      traffic.bytesSent,
      traffic.messagesSent,
      traffic.bytesReceived,
      traffic.messagesReceived,
    ]).toEqual([10, 1, 30, 2])
  })

  it('sums by protocol across peers, and hands out copies', () => {
    const totals = new ProtocolTrafficTotals()
    const a = new PeerTraffic()
    const b = new PeerTraffic()
    totals.counter(a, '/paw/blocks/1').received(100, 1)
    totals.counter(b, '/paw/blocks/1').sent(40, 2)
    totals.counter(b, '/paw/mempool/1').received(5, 1)
    const snapshot = totals.snapshot()
    expect(snapshot).toEqual({
      '/paw/blocks/1': { bytesSent: 40, bytesReceived: 100, messagesSent: 2, messagesReceived: 1 },
      '/paw/mempool/1': { bytesSent: 0, bytesReceived: 5, messagesSent: 0, messagesReceived: 1 },
    })
    expect([a.bytesReceived, b.bytesSent, b.bytesReceived]).toEqual([100, 40, 5])
    ;(snapshot['/paw/blocks/1'] as { bytesSent: number }).bytesSent = 0
    expect(totals.snapshot()['/paw/blocks/1']?.bytesSent).toBe(40)
  })
})
