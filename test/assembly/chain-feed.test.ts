/**
 * The node's chain events without the network (src/assembly/chain-feed.ts,
 * import-origins.ts), on the authority chain's ports (any chain's port events drive them):
 * where each block came from, a block the chain took by itself while another import was
 * under way, a reorg connecting a side branch, and a light node's header batches.
 */
import { describe, expect, it } from 'vitest'
import { ChainFeed } from '../../src/assembly/chain-feed.ts'
import { ImportOrigins } from '../../src/assembly/import-origins.ts'
import {
  type AuthorityBlock,
  AuthorityFullChain,
  type AuthorityHeader,
  AuthorityHeaderChain,
  authorityDevnet,
  encodeHeader,
  type Proposal,
} from '../../src/authority-chain/index.ts'
import type { FullChainPort, HeaderChainPort } from '../../src/ports/chain.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { blockOn, grow, nextBlock } from '../authority-chain/builder.ts'
import { testLogger } from '../support/nodes.ts'

const devnet = authorityDevnet({ chainId: 'paw-chain-feed' })
const hex = (proposal: Proposal): string => toHex(proposal.hash)
/** The chains as the node knows them: ports, whose imports take a `from`. */
const fullPort = (chain: AuthorityFullChain): FullChainPort<AuthorityBlock, unknown, AuthorityHeader> => chain
const headerPort = (chain: AuthorityHeaderChain): HeaderChainPort<AuthorityBlock, unknown, AuthorityHeader> =>
  chain

/** A feed on `chain` and the events it dispatched, as [name, hash, height, source, from, outcome]. */
function follow(chain: AuthorityFullChain | AuthorityHeaderChain) {
  const origins = new ImportOrigins()
  const events: unknown[][] = []
  const feed = new ChainFeed({
    chain,
    origins,
    dispatch: (name, detail) => {
      if (name === 'reorg') {
        const { disconnected, connected, forkHeight } = detail as {
          disconnected: string[]
          connected: string[]
          forkHeight: number
        }
        events.push([name, disconnected, connected, forkHeight])
        return
      }
      const { hash, height, source, from } = detail as {
        hash: string
        height: number
        source: string
        from: string
      }
      const outcome = (detail as { outcome?: string }).outcome
      events.push(
        outcome === undefined
          ? [name, hash, height, source, from]
          : [name, hash, height, source, from, outcome],
      )
    },
    log: testLogger(),
  })
  feed.start()
  return { origins, events, feed }
}

describe('chain events from the chain port', () => {
  it('say where each block came from, and connect a side branch on a reorg', async () => {
    const chain = new AuthorityFullChain({ genesis: devnet.genesis })
    const { origins, events, feed } = follow(chain)
    const gossip = origins.portFor(fullPort(chain), 'gossip')
    const sync = origins.portFor(fullPort(chain), 'sync')
    const local = origins.portFor(fullPort(chain), 'local')

    const first = nextBlock(devnet, chain)
    await gossip.importBlock(first.encoded, { from: 'peer-a' })
    // The chain's owner adds a block without the node (the miner's way): the node's own.
    const [second] = (await grow(devnet, chain, 1)) as [Proposal]
    // A side branch from block 1, synced: held, no event; then the node's own block on it.
    const side = blockOn(devnet, first.block.header, [], { timestamp: first.block.header.timestamp + 7 })
    expect(await sync.importBlock(side.encoded, { from: 'peer-b' })).toMatchObject({
      value: { outcome: 'side-branch' },
    })
    const onSide = blockOn(devnet, side.block.header, [])
    expect(await local.importBlock(onSide.encoded)).toMatchObject({ value: { outcome: 'reorg' } })
    // Taken again: nothing moves, nothing is said.
    await gossip.importBlock(onSide.encoded, { from: 'peer-c' })
    await feed.idle()

    expect(events).toEqual([
      ['block', hex(first), 1, 'gossip', 'peer-a', 'extended'],
      ['tip', hex(first), 1, 'gossip', 'peer-a'],
      ['block', hex(second), 2, 'local', 'local', 'extended'],
      ['tip', hex(second), 2, 'local', 'local'],
      ['reorg', [hex(second)], [hex(side), hex(onSide)], 1],
      ['block', hex(side), 2, 'sync', 'peer-b', 'reorg'],
      ['block', hex(onSide), 3, 'local', 'local', 'reorg'],
      ['tip', hex(onSide), 3, 'local', 'local'],
    ])
  })

  it('hands on the block the chain decoded, and reads from the store the ones it did not', async () => {
    const chain = new AuthorityFullChain({ genesis: devnet.genesis })
    const origins = new ImportOrigins()
    const blocks: AuthorityBlock[] = []
    const feed = new ChainFeed({
      chain,
      origins,
      dispatch: (name, detail) => {
        if (name === 'block') blocks.push((detail as { block: AuthorityBlock }).block)
      },
      log: testLogger(),
    })
    feed.start()
    const proposal = nextBlock(devnet, chain)
    const judgement = await origins
      .portFor(fullPort(chain), 'gossip')
      .importBlock(proposal.encoded, { from: 'p' })
    await grow(devnet, chain, 1)
    await feed.idle()
    expect(blocks).toHaveLength(2)
    // The chain's own decoded object, not a second decoding.
    expect(blocks[0]).toBe(judgement.status === 'accepted' ? judgement.value.decoded : undefined)
    expect(blocks[1]?.header.height).toBe(2)
  })

  it('waits for the imports under way before calling a block the node’s own', async () => {
    const chain = new AuthorityFullChain({ genesis: devnet.genesis })
    const { origins, events, feed } = follow(chain)
    // A gossip import held at the door while the chain's owner adds a block.
    let open = (): void => {}
    const door = new Promise<void>((resolve) => {
      open = resolve
    })
    const held = new Proxy(chain, {
      get(target, key) {
        if (key === 'importBlock') {
          return async (encoded: Uint8Array, options?: object) => {
            await door
            return target.importBlock(encoded, options)
          }
        }
        const value: unknown = Reflect.get(target, key, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as FullChainPort<AuthorityBlock, unknown, AuthorityHeader>
    const mined = nextBlock(devnet, chain)
    const child = blockOn(devnet, mined.block.header, [])
    const gossiped = origins.portFor(held, 'gossip').importBlock(child.encoded, { from: 'peer-a' })
    await chain.importBlock(mined.encoded)
    await new Promise((resolve) => setTimeout(resolve, 20))
    // The owner's block waits for the held import: it might have been that import's.
    expect(events).toEqual([])
    open()
    await gossiped
    await feed.idle()
    expect(events).toEqual([
      ['block', hex(mined), 1, 'local', 'local', 'extended'],
      ['tip', hex(mined), 1, 'local', 'local'],
      ['block', hex(child), 2, 'gossip', 'peer-a', 'extended'],
      ['tip', hex(child), 2, 'gossip', 'peer-a'],
    ])
  })

  it('a light node: a synced batch of headers, a duplicate, and a gossiped branch that wins', async () => {
    const full = new AuthorityFullChain({ genesis: devnet.genesis })
    const made = await grow(devnet, full, 3)
    const headers = new AuthorityHeaderChain({ genesis: devnet.genesis })
    const { origins, events, feed } = follow(headers)
    const sync = origins.portFor(headerPort(headers), 'sync')
    const gossip = origins.portFor(headerPort(headers), 'gossip')
    const encodedOf = (proposal: Proposal) => encodeHeader(proposal.block.header)

    expect(await sync.importHeaders(made.map(encodedOf), { from: 'peer-s' })).toBe(3)
    // A header held already, delivered again: it keeps its origin.
    await gossip.importHeader(encodedOf(made[2] as Proposal), { from: 'peer-g' })
    const branch = blockOn(devnet, (made[1] as Proposal).block.header, [], {
      timestamp: (made[1] as Proposal).block.header.timestamp + 9,
    })
    const top = blockOn(devnet, branch.block.header, [])
    await gossip.importHeader(encodedOf(branch), { from: 'peer-g' })
    await gossip.importHeader(encodedOf(top), { from: 'peer-h' })
    await feed.idle()

    const [one, two, three] = made.map(hex)
    expect(events).toEqual([
      ['header', one, 1, 'sync', 'peer-s', 'extended'],
      ['tip', one, 1, 'sync', 'peer-s'],
      ['header', two, 2, 'sync', 'peer-s', 'extended'],
      ['tip', two, 2, 'sync', 'peer-s'],
      ['header', three, 3, 'sync', 'peer-s', 'extended'],
      ['tip', three, 3, 'sync', 'peer-s'],
      ['reorg', [three], [hex(branch), hex(top)], 2],
      ['header', hex(branch), 3, 'gossip', 'peer-g', 'reorg'],
      ['header', hex(top), 4, 'gossip', 'peer-h', 'reorg'],
      ['tip', hex(top), 4, 'gossip', 'peer-h'],
    ])
  })

  it('says nothing once stopped', async () => {
    const chain = new AuthorityFullChain({ genesis: devnet.genesis })
    const { events, feed } = follow(chain)
    feed.stop()
    await grow(devnet, chain, 2)
    await feed.idle()
    expect(events).toEqual([])
  })
})
