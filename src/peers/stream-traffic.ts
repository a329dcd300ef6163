/**
 * Counts every byte of every protocol stream on a peer's connections: /paw/*, gossipsub
 * (which carries every block and transaction), identify, ping (004 §7.1; issue 17 item 3).
 *
 * Where: libp2p hands each stream to its metrics component once the protocol is negotiated,
 * inbound and outbound (`Metrics.trackProtocolStream`), and @libp2p/prometheus-metrics counts
 * `libp2p_data_transfer_bytes_total{protocol}` there by wrapping the stream's `send` and
 * the dispatch of its `message` events. This counts at the same point, the same way, so a
 * peer's bytes summed over peers equal libp2p's per-protocol count: the payload of the
 * streams, without multistream-select, yamux or encryption overhead (libp2p's `global`
 * series counts the socket: about 25% more where gossip messages are small, as
 * test/e2e/traffic-accounting.e2e.test.ts prints). countStreamTraffic
 * (stream-traffic-metrics.ts) puts it in libp2p's metrics slot. Browser-safe.
 *
 * Why wrap `dispatchEvent` rather than listen: a stream dispatches `message` events only
 * once it has a listener and buffers until then, so a listener of ours would start the
 * flow before the protocol handler is attached (prometheus-metrics gives the same reason).
 */
import type { Connection, Stream, StreamMessageEvent } from '@libp2p/interface'
import type { TrafficCounter } from './traffic-counter.ts'

/** Where a stream's counter comes from: the peer manager (its peers' 004 §7.1 statistics). */
export interface StreamTrafficSink {
  /** The counter of `protocol`'s streams on `connection`. */
  streamCounter(connection: Connection, protocol: string): TrafficCounter
}

export class StreamTraffic {
  readonly #connections: () => readonly Connection[]
  #sink: StreamTrafficSink | undefined

  /** `connections`: libp2p's open connections, to find the one a stream belongs to. */
  constructor(connections: () => readonly Connection[]) {
    this.#connections = connections
  }

  /** Counts from now on into `sink` (one sink; a later call replaces it). */
  attach(sink: StreamTrafficSink): void {
    this.#sink = sink
  }

  /**
   * Counts `stream`'s bytes and messages from now on. A stream on no open connection (it
   * closed while being negotiated) has nothing more to count.
   */
  track(stream: Stream): void {
    const sink = this.#sink
    if (sink === undefined || stream.protocol === '') return
    const connection = this.#connectionOf(stream)
    if (connection !== undefined) instrument(stream, sink.streamCounter(connection, stream.protocol))
  }

  /**
   * libp2p does not tell which connection a stream is on; a negotiated stream is in its
   * connection's `streams`. Once per stream, over the streams open now.
   */
  #connectionOf(stream: Stream): Connection | undefined {
    for (const connection of this.#connections()) {
      if (connection.streams.includes(stream)) return connection
    }
    return undefined
  }
}

/** Wraps `stream`'s `send` and its dispatch of `message` events to count into `counter`. */
function instrument(stream: Stream, counter: TrafficCounter): void {
  const dispatchEvent = stream.dispatchEvent.bind(stream)
  stream.dispatchEvent = (event: Event): boolean => {
    if (event.type === 'message') counter.received((event as StreamMessageEvent).data.byteLength, 1)
    return dispatchEvent(event)
  }
  const send = stream.send.bind(stream)
  stream.send = (data) => {
    counter.sent(data.byteLength, 1)
    return send(data)
  }
}
