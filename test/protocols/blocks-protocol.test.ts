/**
 * /paw/blocks/1 stream flow (protocols/blocks.md "Answers and trimming", "Stream rules")
 * between real nodes on loopback, each with a BlocksProtocol wired by hand to a chain port
 * (blocks-wiring.ts), and against a raw libp2p peer that answers by hand: get_block,
 * get_blocks and get_headers answers and trimming, light nodes, rate limits, malformed and
 * mismatched answers, aborted requests, and a chain of another shape than the reference
 * chain's.
 */
import type { Stream } from '@libp2p/interface'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  BLOCK_PREFIX_LENGTH,
  encodeHeader,
  HEADER_LENGTH,
  TRANSACTION_LENGTH,
} from '../../src/chain/encoding.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import { readReferenceHeader } from '../../src/chain/port/reader.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import type { BlockHeader } from '../../src/chain/types.ts'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import type { ChainShape, HeaderSummary } from '../../src/ports/chain.ts'
import {
  BLOCKS_PROTOCOL,
  type BlockServingChain,
  REQUEST_STREAMS_PER_PEER,
} from '../../src/protocols/blocks/blocks-protocol.ts'
import { writeTimeoutFor } from '../../src/protocols/blocks/constants.ts'
import {
  BlocksFrameType,
  encodeBlocks,
  encodeGetBlock,
  encodeHeaders,
  MAX_BLOCK_ENCODING_BYTES,
} from '../../src/wire/blocks.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { fullChainPort, headerChainPort, type WiredBlocks, wireBlocks } from '../support/blocks-wiring.ts'
import {
  type ChainNode,
  nextBlock,
  openTestFullChain,
  startChainNode,
  testAccounts,
  testChainParams,
} from '../support/chain-nodes.ts'
import { handshakeRaw, RawFrames, warnings } from '../support/mempool-peers.ts'
import { tcpAddress, testLogger, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()
const params = testChainParams(testAccounts(2))
const NOT_HELD = sha256(new TextEncoder().encode('not a block'))
/** A reference-chain block of `n` transactions: header, count, transactions. */
const blockBytes = (n: number) => BLOCK_PREFIX_LENGTH + TRANSACTION_LENGTH * n

let wired: WiredBlocks[] = []
afterEach(async () => {
  const all = wired
  wired = []
  await Promise.allSettled(all.map((entry) => entry.protocol.stop()))
})

async function wire(...args: Parameters<typeof wireBlocks>): Promise<WiredBlocks> {
  const entry = await wireBlocks(...args)
  wired.push(entry)
  return entry
}

const digest = (bytes: Uint8Array): string => toHex(sha256(bytes))

async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise
    return undefined
  } catch (error) {
    return isPawError(error) ? error.wireCode : -1
  }
}

/** The chain port of a test node's full chain. */
function portOf(node: ChainNode): BlockServingChain | undefined {
  return node.full === undefined ? undefined : fullChainPort(node.full)
}

/** A full node whose chain has `blocks` blocks above genesis. */
async function fullNode(blocks = 0, lines: string[] = []): Promise<ChainNode & { lines: string[] }> {
  // The node's own sync would send requests of its own to the protocol under test.
  const started = await startChainNode(nodes.node, params, { logger: testLogger(lines), autoSync: false })
  const full = started.full
  if (full === undefined) throw new Error('not a full node')
  for (let i = 0; i < blocks; i++) await full.chain.addBlock(await nextBlock(full))
  return { ...started, lines }
}

/** Connects `from` to `to` and waits until each lists the other connected. */
async function connect(from: ChainNode, to: ChainNode): Promise<void> {
  await from.node.connectToPeer(tcpAddress(to.node))
  const fromId = from.node.peerId.toString()
  const toId = to.node.peerId.toString()
  await waitFor('both sides connected', () => {
    return from.node.peer(toId)?.state === 'connected' && to.node.peer(fromId)?.state === 'connected'
  })
}

/** Random bytes, `size` of them. */
function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let at = 0; at < size; at += 65_536)
    crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65_536)))
  return bytes
}

/**
 * A chain port of synthetic blocks: block i is `sizes[i]` bytes and starts with the header
 * encoding `headers[i]`; the chain reads a block by its header alone (its body is noise).
 */
function syntheticChain(
  shape: ChainShape,
  headers: readonly Uint8Array[],
  sizes: readonly number[],
  readHeader: (encoded: Uint8Array) => HeaderSummary,
): BlockServingChain {
  const blocks = new Map<string, Uint8Array>()
  for (const [height, size] of sizes.entries()) {
    const block = randomBytes(size)
    block.set(headers[height] as Uint8Array)
    blocks.set(toHex(readHeader(headers[height] as Uint8Array).hash), block)
  }
  return {
    shape,
    tip: () => ({ hash: new Uint8Array(32), height: sizes.length - 1, totalWeight: BigInt(sizes.length) }),
    encodedHeaders: async (from, count) => headers.slice(from, from + count),
    readHeader,
    readBlock: (encoded) => {
      const headerEncoding = encoded.subarray(0, shape.headerBytes)
      try {
        return { header: readHeader(headerEncoding), headerEncoding, transactionIds: [] }
      } catch {
        return undefined
      }
    },
    encodedBlock: async (hash) => blocks.get(toHex(hash)),
  }
}

/** Synthetic blocks of the reference chain's shape over a real header: block i's header is at height i. */
function syntheticSource(base: BlockHeader, sizes: readonly number[]): BlockServingChain {
  const headers = sizes.map((_, height) => encodeHeader({ ...base, height }))
  return syntheticChain(REFERENCE_SHAPE, headers, sizes, readReferenceHeader)
}

describe('/paw/blocks/1 between full nodes', () => {
  it('answers get_block with the stored block, and not_found for a hash it does not hold', async () => {
    const a = await fullNode(3)
    const b = await fullNode()
    await connect(b, a)
    await wire(a.node, portOf(a))
    const { protocol } = await wire(b.node, portOf(b))
    const chain = a.full?.chain
    if (chain === undefined) throw new Error('no chain')
    const tip = chain.tip()
    const stored = await chain.getEncodedBlock(tip.hash)
    const got = await protocol.getBlock(a.node.peerId.toString(), tip.hash)
    expect(got).toBeDefined()
    expect(digest(got as Uint8Array)).toBe(digest(stored as Uint8Array))
    expect(await protocol.getBlock(a.node.peerId.toString(), NOT_HELD)).toBeUndefined()
    expect(protocol.stats().requestsSent).toBe(2)
  })

  it('answers get_blocks with exactly the stored encodings, and an empty answer above the tip', async () => {
    const a = await fullNode(5)
    const b = await fullNode()
    await connect(b, a)
    const served = await wire(a.node, portOf(a))
    const { protocol } = await wire(b.node, portOf(b))
    const chain = a.full?.chain
    if (chain === undefined) throw new Error('no chain')
    const peer = a.node.peerId.toString()
    const got = await protocol.getBlocks(peer, 2, 3)
    const expected = await Promise.all(
      (await chain.getHeaders(2, 3)).map(async (header) => chain.getEncodedBlock(blockHash(header))),
    )
    expect(got.map(digest)).toEqual(expected.map((block) => digest(block as Uint8Array)))
    // Trimmed at the tip (5): heights 4 and 5.
    expect((await protocol.getBlocks(peer, 4, 65_535)).length).toBe(2)
    expect(await protocol.getBlocks(peer, 6, 10)).toEqual([])
    expect(await protocol.getBlocks(peer, 0xffff_ffff, 65_535)).toEqual([])
    expect(served.protocol.stats()).toMatchObject({ requestsServed: 4, blocksServed: 5 })
  })

  it(`answers get_headers with the ${HEADER_LENGTH}-byte encodings of its best chain`, async () => {
    const a = await fullNode(4)
    const b = await fullNode()
    await connect(b, a)
    await wire(a.node, portOf(a))
    const { protocol } = await wire(b.node, portOf(b))
    const chain = a.full?.chain
    if (chain === undefined) throw new Error('no chain')
    const got = await protocol.getHeaders(a.node.peerId.toString(), 0, 65_535)
    const expected = (await chain.getHeaders(0, 5)).map((header) => toHex(encodeHeader(header)))
    expect(got.map((header) => toHex(header))).toEqual(expected)
    expect(await protocol.getHeaders(a.node.peerId.toString(), 5, 1)).toEqual([])
  })
})

describe('/paw/blocks/1 requests in parallel', () => {
  it('runs concurrent requests to one peer on at most REQUEST_STREAMS_PER_PEER lock-step streams, each with its own answer', async () => {
    const a = await fullNode(6)
    const b = await fullNode()
    await connect(b, a)
    const served = await wire(a.node, portOf(a))
    const { protocol } = await wire(b.node, portOf(b))
    const peer = a.node.peerId.toString()
    const [connection] = b.node.libp2p.getConnections(a.node.peerId)
    let mostStreams = 0
    const sampler = setInterval(() => {
      const open = connection?.streams.filter((stream) => stream.protocol === BLOCKS_PROTOCOL).length ?? 0
      mostStreams = Math.max(mostStreams, open)
    }, 1)
    const answers = await Promise.all(
      Array.from({ length: 7 }, (_, height) => protocol.getHeaders(peer, height, 1)),
    ).finally(() => clearInterval(sampler))
    expect(mostStreams).toBeGreaterThan(0)
    expect(mostStreams).toBeLessThanOrEqual(REQUEST_STREAMS_PER_PEER)
    expect(answers.map((headers) => headers.length)).toEqual([1, 1, 1, 1, 1, 1, 1])
    const expected = (await a.full?.chain.getHeaders(0, 7))?.map((header) => toHex(encodeHeader(header)))
    expect(answers.map((headers) => toHex(headers[0] as Uint8Array))).toEqual(expected)
    expect(served.protocol.stats().requestsServed).toBe(7)
  })
})

describe('/paw/blocks/1 request streams', () => {
  it('keeps an idle request stream for the next request, and closes it a second after the last', async () => {
    const a = await fullNode(3)
    const b = await fullNode()
    await connect(b, a)
    await wire(a.node, portOf(a))
    const { protocol } = await wire(b.node, portOf(b))
    const peer = a.node.peerId.toString()
    const [connection] = b.node.libp2p.getConnections(a.node.peerId)
    const blocksStreams = () =>
      connection?.streams.filter((stream) => stream.protocol === BLOCKS_PROTOCOL) ?? []
    await protocol.getHeaders(peer, 0, 1)
    const [first] = blocksStreams()
    expect(first).toBeDefined()
    await new Promise((resolve) => setTimeout(resolve, 200))
    await protocol.getBlocks(peer, 1, 2)
    // The same stream carried the second request: no new stream, no new window to grow.
    expect(blocksStreams().map((stream) => stream.id)).toEqual([first?.id])
    await waitFor('the idle stream closed', () => blocksStreams().length === 0, 3_000)
  })
})

describe('/paw/blocks/1 answer bounds', () => {
  it('trims get_blocks at 128 blocks and get_headers at 512 headers', async () => {
    const a = await fullNode(1)
    const b = await fullNode()
    await connect(b, a)
    const base = a.full?.chain.tip()
    const header = (await a.full?.chain.getHeaders(1, 1))?.[0]
    if (base === undefined || header === undefined) throw new Error('no chain')
    await wire(
      a.node,
      syntheticSource(
        header,
        Array.from({ length: 600 }, () => blockBytes(1)),
      ),
    )
    const { protocol } = await wire(b.node, undefined)
    const peer = a.node.peerId.toString()
    expect((await protocol.getBlocks(peer, 0, 65_535)).length).toBe(128)
    expect((await protocol.getBlocks(peer, 500, 65_535)).length).toBe(100)
    expect((await protocol.getHeaders(peer, 0, 65_535)).length).toBe(512)
    expect((await protocol.getHeaders(peer, 512, 65_535)).length).toBe(88)
  })

  it('trims get_blocks at 8 MiB, sends a block larger than that alone, byte for byte', async () => {
    const a = await fullNode(1)
    const b = await fullNode()
    await connect(b, a)
    const header = (await a.full?.chain.getHeaders(1, 1))?.[0]
    if (header === undefined) throw new Error('no chain')
    // The smallest block over 3 MiB: two fit 8 MiB, three do not.
    const third = blockBytes(Math.ceil((3 * 1024 * 1024 - BLOCK_PREFIX_LENGTH) / TRANSACTION_LENGTH))
    const largest = blockBytes(
      Math.floor((MAX_BLOCK_ENCODING_BYTES - BLOCK_PREFIX_LENGTH) / TRANSACTION_LENGTH),
    )
    const source = syntheticSource(header, [third, third, third, largest, blockBytes(1)])
    await wire(a.node, source)
    // The requester reads the block get_block brings with its chain: the same synthetic one.
    const { protocol } = await wire(b.node, source)
    const peer = a.node.peerId.toString()
    const two = await protocol.getBlocks(peer, 0, 10)
    expect(two.map((block) => block.length)).toEqual([third, third])
    const stored = await Promise.all(
      (await source.encodedHeaders(0, 5)).map(async (h) => source.encodedBlock(source.readHeader(h).hash)),
    )
    expect(two.map(digest)).toEqual(stored.slice(0, 2).map((block) => digest(block as Uint8Array)))
    const alone = await protocol.getBlocks(peer, 3, 10)
    expect(alone.map((block) => block.length)).toEqual([largest])
    expect(digest(alone[0] as Uint8Array)).toBe(digest(stored[3] as Uint8Array))
    // get_block checks the hash of what it gets.
    const big = await protocol.getBlock(peer, blockHash({ ...header, height: 3 }))
    expect(big?.length).toBe(largest)
  }, 30_000)

  it('scales the write timeout with the answer: 1 MiB/s, never under the write timeout', () => {
    expect(writeTimeoutFor(1_000, 5_000)).toBe(5_000)
    expect(writeTimeoutFor(10 * 1024 * 1024, 5_000)).toBe(10_000)
  })
})

describe('/paw/blocks/1 on a light node', () => {
  it('serves get_headers, and resets a block request without charging the requester', async () => {
    const source = await openTestFullChain(params)
    for (let i = 0; i < 3; i++) await source.chain.addBlock(await nextBlock(source))
    const light = await startChainNode(nodes.node, params, { type: 'light' })
    const headerChain = light.headers
    if (headerChain === undefined) throw new Error('not a light node')
    for (const header of await source.chain.getHeaders(1, 3)) await headerChain.addHeader(header)
    const b = await fullNode()
    await connect(b, light)
    const served = await wire(light.node, headerChainPort(headerChain))
    const { protocol } = await wire(b.node, portOf(b))
    const peer = light.node.peerId.toString()
    const headers = await protocol.getHeaders(peer, 1, 10)
    expect(headers.map((header) => toHex(header))).toEqual(
      (await source.chain.getHeaders(1, 3)).map((header) => toHex(encodeHeader(header))),
    )
    expect(await codeOf(protocol.getBlock(peer, headerChain.tip().hash))).toBe(ErrorCode.NetworkError)
    expect(await codeOf(protocol.getBlocks(peer, 1, 3))).toBe(ErrorCode.NetworkError)
    expect(served.scoreOf(b.node.peerId.toString())).toBe(0)
  })
})

describe('/paw/blocks/1 rate limits', () => {
  it('does not answer a request over the quota: the stream is reset, 0x09 logged, the peer charged', async () => {
    const a = await fullNode(1)
    const b = await fullNode()
    await connect(b, a)
    const served = await wire(a.node, portOf(a), {
      log: a.node.log,
      limits: { blockRequests: { ratePerSecond: 0.001, burst: 2, rationale: 'test' } },
    })
    const { protocol } = await wire(b.node, portOf(b))
    const peer = a.node.peerId.toString()
    const tip = a.full?.chain.tip().hash as Uint8Array
    expect(await protocol.getBlock(peer, tip)).toBeDefined()
    expect(await protocol.getBlock(peer, NOT_HELD)).toBeUndefined()
    expect(await codeOf(protocol.getBlock(peer, tip))).toBe(ErrorCode.NetworkError)
    const requester = b.node.peerId.toString()
    await waitFor('0x09 logged', () => warnings(a.lines, '0x09').length === 1)
    expect(served.scoreOf(requester)).toBeCloseTo(-25, 2)
    expect(served.protocol.stats().refused.rateLimited).toBe(1)
    // Headers have their own quota.
    expect((await protocol.getHeaders(peer, 0, 2)).length).toBe(2)
  })
})

describe('/paw/blocks/1 against a raw peer', () => {
  /** A node with a wired protocol and a handshaken raw peer answering each request with `answer`. */
  async function rawServer(
    answer: (frame: { type: string; payload: Uint8Array }) => [string, Uint8Array] | undefined,
  ) {
    const b = await fullNode()
    const wiredB = await wire(b.node, portOf(b), { log: b.node.log })
    const raw = await nodes.raw()
    await raw.libp2p.handle(BLOCKS_PROTOCOL, (stream: Stream) => {
      const frames = new RawFrames(stream)
      void (async () => {
        for (;;) {
          const frame = await frames.next(10_000).catch(() => undefined)
          if (frame === undefined) return
          const reply = answer({ type: frame.type, payload: frame.payload.subarray() })
          if (reply !== undefined) frames.send(...reply)
        }
      })()
    })
    await handshakeRaw(raw, b.node)
    return { b, wired: wiredB, rawId: raw.libp2p.peerId.toString() }
  }

  it('refuses an answer of the wrong type (0x0A) and a malformed one (0x05), charging the peer', async () => {
    const header = (await (await openTestFullChain(params)).chain.getHeaders(0, 1))[0] as BlockHeader
    let mode: 'headers' | 'malformed' | 'extra' | 'other-hash' = 'headers'
    const {
      b,
      wired: wiredB,
      rawId,
    } = await rawServer(({ payload }) => {
      if (mode === 'headers')
        return [BlocksFrameType.Headers, encodeHeaders([encodeHeader(header)], HEADER_LENGTH)]
      if (mode === 'malformed') return [BlocksFrameType.Blocks, new Uint8Array([0, 1, 0, 0])]
      if (mode === 'other-hash') return [BlocksFrameType.NotFound, NOT_HELD]
      // 'extra': two headers for a get_headers of one.
      expect(payload.length).toBe(6)
      return [
        BlocksFrameType.Headers,
        encodeHeaders([encodeHeader(header), encodeHeader(header)], HEADER_LENGTH),
      ]
    })
    const hash = blockHash(header)
    expect(await codeOf(wiredB.protocol.getBlock(rawId, hash))).toBe(ErrorCode.UnexpectedMessage)
    expect(wiredB.scoreOf(rawId)).toBeCloseTo(-10, 2)
    mode = 'malformed'
    expect(await codeOf(wiredB.protocol.getBlocks(rawId, 0, 5))).toBe(ErrorCode.InvalidMessageFormat)
    expect(wiredB.scoreOf(rawId)).toBeCloseTo(-15, 2)
    mode = 'other-hash'
    expect(await codeOf(wiredB.protocol.getBlock(rawId, hash))).toBe(ErrorCode.UnexpectedMessage)
    // More headers than asked for: over the answer's frame limit (framing.md "Frame limits"),
    // refused from its header as 0x04.
    mode = 'extra'
    expect(await codeOf(wiredB.protocol.getHeaders(rawId, 0, 1))).toBe(ErrorCode.MessageTooLarge)
    expect(wiredB.protocol.stats().refused).toMatchObject({
      unexpectedMessage: 2,
      invalidMessage: 1,
      messageTooLarge: 1,
    })
    expect(warnings(b.lines, '0x0a').length).toBe(2)
    expect(warnings(b.lines, '0x04').length).toBe(1)
  })

  it('refuses not_found for a range (0x0A) and a block that is not the one asked for', async () => {
    const chain = (await openTestFullChain(params)).chain
    const genesis = (await chain.getEncodedBlock(chain.tip().hash)) as Uint8Array
    let mode: 'not-found' | 'wrong-block' = 'not-found'
    const { wired: wiredB, rawId } = await rawServer(() =>
      mode === 'not-found'
        ? [BlocksFrameType.NotFound, NOT_HELD]
        : [BlocksFrameType.Blocks, encodeBlocks([genesis], REFERENCE_SHAPE)],
    )
    expect(await codeOf(wiredB.protocol.getBlocks(rawId, 0, 1))).toBe(ErrorCode.UnexpectedMessage)
    mode = 'wrong-block'
    expect(await codeOf(wiredB.protocol.getBlock(rawId, NOT_HELD))).toBe(ErrorCode.UnexpectedMessage)
    // The same answer to a range is used (contents are the sync layer's to check).
    expect((await wiredB.protocol.getBlocks(rawId, 0, 1)).map(digest)).toEqual([digest(genesis)])
    expect(wiredB.scoreOf(rawId)).toBeCloseTo(-20, 2)
  })

  it("refuses bytes of a block's size that the chain does not read as a block (0x05)", async () => {
    // Noise of a two-transaction block's size: its count and body are not one.
    const noise = randomBytes(blockBytes(2))
    const { wired: wiredB, rawId } = await rawServer(() => [
      BlocksFrameType.Blocks,
      encodeBlocks([noise], REFERENCE_SHAPE),
    ])
    expect(await codeOf(wiredB.protocol.getBlock(rawId, NOT_HELD))).toBe(ErrorCode.InvalidMessageFormat)
    expect(wiredB.scoreOf(rawId)).toBeCloseTo(-5, 2)
    expect(wiredB.protocol.stats().refused.invalidMessage).toBe(1)
  })

  it("a request given up (AbortOptions) rejects with the signal's reason, charges nobody, and frees the lane", async () => {
    let silent = true
    const header = (await (await openTestFullChain(params)).chain.getHeaders(0, 1))[0] as BlockHeader
    const { wired: wiredB, rawId } = await rawServer(() =>
      silent ? undefined : [BlocksFrameType.Headers, encodeHeaders([encodeHeader(header)], HEADER_LENGTH)],
    )
    const sent = wiredB.protocol.stats().requestsSent
    const aborted = new AbortController()
    aborted.abort(new Error('not wanted any more'))
    await expect(wiredB.protocol.getHeaders(rawId, 0, 1, { signal: aborted.signal })).rejects.toThrow(
      'not wanted any more',
    )
    expect(wiredB.protocol.stats().requestsSent).toBe(sent)
    const started = Date.now()
    const unanswered = wiredB.protocol.getHeaders(rawId, 0, 1, { signal: AbortSignal.timeout(300) })
    // A request queued behind it on a full lane is given up too, before it is sent.
    const queued = Promise.all(
      Array.from({ length: REQUEST_STREAMS_PER_PEER }, () =>
        wiredB.protocol.getHeaders(rawId, 0, 1, { signal: AbortSignal.timeout(300) }),
      ),
    )
    await expect(unanswered).rejects.toMatchObject({ name: 'TimeoutError' })
    await expect(queued).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(wiredB.scoreOf(rawId)).toBe(0)
    // The next request runs on a fresh stream and gets its answer.
    silent = false
    expect((await wiredB.protocol.getHeaders(rawId, 0, 1)).map(toHex)).toEqual([toHex(encodeHeader(header))])
  })

  it('refuses an answer nobody asked for on a stream the peer opened (0x0A)', async () => {
    const a = await fullNode(1)
    const served = await wire(a.node, portOf(a), { log: a.node.log })
    const raw = await nodes.raw()
    const connection = await handshakeRaw(raw, a.node)
    const frames = new RawFrames(await connection.newStream(BLOCKS_PROTOCOL))
    frames.send(BlocksFrameType.GetBlock, encodeGetBlock(NOT_HELD))
    expect((await frames.next())?.type).toBe(BlocksFrameType.NotFound)
    frames.send(BlocksFrameType.Blocks, encodeBlocks([], REFERENCE_SHAPE))
    expect(await frames.next()).toBeUndefined()
    const rawId = raw.libp2p.peerId.toString()
    await waitFor('0x0A logged', () => warnings(a.lines, '0x0a').length === 1)
    expect(served.scoreOf(rawId)).toBeCloseTo(-10, 2)
  })
})

describe('/paw/blocks/1 for a chain of another shape', () => {
  /**
   * A made-up chain: 100-byte headers ([u32 BE height][96 bytes]) whose id is their SHA-256,
   * blocks of 104 + 64·n bytes. Nothing in the protocol knows these sizes but its shape.
   */
  const OTHER_SHAPE: ChainShape = {
    headerBytes: 100,
    transactionBytes: 64,
    hashBytes: 32,
    maxBlockBytes: 1_000_000,
    isBlockLength: (length) => length >= 104 && length <= 1_000_000 && (length - 104) % 64 === 0,
  }
  const readOther = (encoded: Uint8Array): HeaderSummary => {
    if (encoded.length !== 100) throw new Error('not a header of the other chain')
    const height = new DataView(encoded.buffer, encoded.byteOffset, 4).getUint32(0)
    return { hash: sha256(encoded), parentHash: new Uint8Array(32), height, weight: 1n }
  }
  function otherChain(sizes: readonly number[]): BlockServingChain {
    const headers = sizes.map((_, height) => {
      const header = randomBytes(100)
      new DataView(header.buffer).setUint32(0, height)
      return header
    })
    return syntheticChain(OTHER_SHAPE, headers, sizes, readOther)
  }

  it('carries its headers and blocks, sized by its shape, byte for byte', async () => {
    const a = await fullNode()
    const b = await fullNode()
    await connect(b, a)
    const served = otherChain([104, 104 + 64, 104 + 64 * 300, 104])
    await wire(a.node, served)
    const { protocol } = await wire(b.node, otherChain([104]))
    const peer = a.node.peerId.toString()
    const headers = await protocol.getHeaders(peer, 0, 65_535)
    expect(headers.map(toHex)).toEqual((await served.encodedHeaders(0, 4)).map(toHex))
    expect(headers.every((header) => header.length === 100)).toBe(true)
    const blocks = await protocol.getBlocks(peer, 1, 10)
    expect(blocks.map((block) => block.length)).toEqual([104 + 64, 104 + 64 * 300, 104])
    const hash = readOther(headers[2] as Uint8Array).hash
    expect(digest((await protocol.getBlock(peer, hash)) as Uint8Array)).toBe(digest(blocks[1] as Uint8Array))
    expect(await protocol.getBlock(peer, NOT_HELD)).toBeUndefined()
  })

  it('refuses a chain whose ids are not the 32 bytes the protocol carries', async () => {
    const a = await fullNode()
    await expect(
      wire(a.node, { ...otherChain([104]), shape: { ...OTHER_SHAPE, hashBytes: 48 } }),
    ).rejects.toThrow(RangeError)
  })
})
