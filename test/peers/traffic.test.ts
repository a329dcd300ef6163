/**
 * 004 §7.1 traffic accounting (src/peers/traffic.ts): a counter feeds its peer's totals, the
 * peer's sums for the protocol and the node's total for the protocol; bytes come from the
 * streams and /paw/* messages from the frame channels, never both.
 */
import { describe, expect, it } from 'vitest'
import { PeerTraffic, ProtocolTrafficTotals } from '../../src/peers/traffic.ts'

const totalsOf = (t: PeerTraffic) => [t.bytesSent, t.messagesSent, t.bytesReceived, t.messagesReceived]

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
    expect(totalsOf(traffic)).toEqual([10, 1, 30, 2])
  })

  it('sums by protocol across peers and per peer, and hands out copies', () => {
    const totals = new ProtocolTrafficTotals()
    const a = new PeerTraffic()
    const b = new PeerTraffic()
    totals.frameCounter(a, '/paw/blocks/1').received(100, 1)
    totals.frameCounter(b, '/paw/blocks/1').sent(40, 2)
    totals.frameCounter(b, '/paw/mempool/1').received(5, 1)
    const snapshot = totals.snapshot()
    expect(snapshot).toEqual({
      '/paw/blocks/1': { bytesSent: 40, bytesReceived: 100, messagesSent: 2, messagesReceived: 1 },
      '/paw/mempool/1': { bytesSent: 0, bytesReceived: 5, messagesSent: 0, messagesReceived: 1 },
    })
    expect([a.bytesReceived, b.bytesSent, b.bytesReceived]).toEqual([100, 40, 5])
    expect(b.byProtocol()).toEqual({
      '/paw/blocks/1': { bytesSent: 40, bytesReceived: 0, messagesSent: 2, messagesReceived: 0 },
      '/paw/mempool/1': { bytesSent: 0, bytesReceived: 5, messagesSent: 0, messagesReceived: 1 },
    })
    ;(snapshot['/paw/blocks/1'] as { bytesSent: number }).bytesSent = 0
    ;(b.byProtocol()['/paw/blocks/1'] as { bytesSent: number }).bytesSent = 0
    expect(totals.snapshot()['/paw/blocks/1']?.bytesSent).toBe(40)
    expect(b.byProtocol()['/paw/blocks/1']?.bytesSent).toBe(40)
  })

  it('takes bytes from the stream and /paw/* frames from the frame channel, never both', () => {
    const totals = new ProtocolTrafficTotals()
    const peer = new PeerTraffic()
    // A /paw/* stream: libp2p's stream reports each write and read, the channel each frame.
    const stream = totals.streamCounter(peer, '/paw/blocks/1')
    const frames = totals.frameCounter(peer, '/paw/blocks/1')
    stream.sent(300, 1)
    frames.sent(300, 1)
    stream.received(120, 1)
    stream.received(80, 1)
    frames.received(200, 0)
    frames.received(0, 3)
    // A frame without a protocol's counter (a broadcast) adds its frame, not its bytes.
    peer.sent(50, 1)
    expect(totalsOf(peer)).toEqual([300, 2, 200, 3])
    expect(peer.byProtocol()['/paw/blocks/1']).toEqual({
      bytesSent: 300,
      bytesReceived: 200,
      messagesSent: 1,
      messagesReceived: 3,
    })
  })

  it("counts other protocols' messages as the stream's writes and reads", () => {
    const totals = new ProtocolTrafficTotals()
    const peer = new PeerTraffic()
    peer.lastActivity = 0
    const gossip = totals.streamCounter(peer, '/meshsub/1.2.0')
    gossip.sent(1_000, 1)
    gossip.sent(2_000, 1)
    gossip.received(700, 1)
    expect(peer.lastActivity).toBeGreaterThan(0)
    expect(totalsOf(peer)).toEqual([3_000, 2, 700, 1])
    expect(totals.snapshot()).toEqual({
      '/meshsub/1.2.0': { bytesSent: 3_000, bytesReceived: 700, messagesSent: 2, messagesReceived: 1 },
    })
  })

  it('counts /paw/* bytes from the frame channel where streams are not counted', () => {
    const totals = new ProtocolTrafficTotals()
    const peer = new PeerTraffic()
    totals.frameCounter(peer, '/paw/peers/1').received(43, 0)
    totals.frameCounter(peer, '/paw/peers/1').received(0, 1)
    peer.sent(12, 1)
    expect(totalsOf(peer)).toEqual([12, 1, 43, 1])
  })
})
