import { describe, expect, it } from 'vitest'
import {
  AuthorityFullChain,
  AuthorityHeaderChain,
  authorityDevnet,
  encodeBlock,
  genesisBlock,
  HEADER_BYTES,
  isAuthorityChainError,
  type Proposal,
} from '../../src/authority-chain/index.ts'
import { isChainPortRejection } from '../../src/ports/chain.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { blockOn, grow, transfer } from './builder.ts'

const devnet = authorityDevnet()
const headerOf = (proposal: Proposal) => proposal.encoded.slice(0, HEADER_BYTES)

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'none'
  } catch (error) {
    return isChainPortRejection(error) ? `${error.status} ${error.code}` : String(error)
  }
}

describe('AuthorityHeaderChain: a light node follows headers by the validators’ signatures', () => {
  it('imports headers one by one and in batches, with the full chain’s tip', async () => {
    const full = new AuthorityFullChain({ genesis: devnet.genesis })
    full.pool.admit(transfer(devnet, 0, 1).encoded)
    const made = await grow(devnet, full, 6)
    const light = new AuthorityHeaderChain({ genesis: devnet.genesis })
    expect(toHex((await light.encodedHeaders(0, 1))[0] as Uint8Array)).toBe(
      toHex((await full.encodedHeaders(0, 1))[0] as Uint8Array),
    )
    const first = await light.importHeader(headerOf(made[0] as Proposal))
    expect(first.status === 'accepted' && first.value.outcome).toBe('extended')
    expect(await light.importHeaders(made.map(headerOf))).toBe(5)
    expect(light.tip()).toEqual(full.tip())
    expect(await light.hasHeader(made[3]?.hash as Uint8Array)).toBe(true)
  })

  it('refuses a forged header, and throws a ChainPortRejection from a batch', async () => {
    const light = new AuthorityHeaderChain({ genesis: devnet.genesis })
    const genesis = genesisBlock(devnet.genesis).header
    const good = blockOn(devnet, genesis, [])
    const forged = headerOf(good)
    forged[100] = (forged[100] as number) ^ 1
    const judgement = await light.importHeader(forged)
    expect(judgement.status === 'invalid' && judgement.code).toBe('BAD_SIGNATURE')
    expect(await rejection(light.importHeaders([forged]))).toBe('invalid KNOWN_INVALID')
    const orphan = blockOn(devnet, good.block.header, [])
    expect(await rejection(light.importHeaders([headerOf(orphan)]))).toBe('unknown-parent UNKNOWN_PARENT')
    const ahead = blockOn(devnet, genesis, [], { timestamp: Date.now() + 60_000 })
    const refused = await light.importHeader(headerOf(ahead))
    expect(refused.status === 'refused' && refused.code).toBe('FUTURE_TIMESTAMP')
    // In a batch (sync) a clock too far ahead is charged, as the reference chain's header sync does.
    expect(await rejection(light.importHeaders([headerOf(ahead)]))).toBe('invalid FUTURE_TIMESTAMP')
  })

  it('switches to the longer branch of headers', async () => {
    const light = new AuthorityHeaderChain({ genesis: devnet.genesis })
    const genesis = genesisBlock(devnet.genesis).header
    const a1 = blockOn(devnet, genesis, [], { timestamp: genesis.timestamp + 1 })
    const b1 = blockOn(devnet, genesis, [], { timestamp: genesis.timestamp + 2 })
    const b2 = blockOn(devnet, b1.block.header, [])
    const reorgs: number[] = []
    light.addEventListener('reorg', ({ detail }) => reorgs.push(detail.connected.length))
    await light.importHeaders([headerOf(a1)])
    expect(await light.importHeaders([headerOf(b1)])).toBe(1)
    expect(toHex(light.tip().hash)).toBe(toHex(a1.hash))
    await light.importHeaders([headerOf(b2)])
    expect(toHex(light.tip().hash)).toBe(toHex(b2.hash))
    expect(reorgs).toEqual([2])
  })

  it('verifies a fetched body against the header it holds', async () => {
    const light = new AuthorityHeaderChain({ genesis: devnet.genesis })
    const genesis = genesisBlock(devnet.genesis).header
    const block = blockOn(devnet, genesis, [transfer(devnet, 0, 1).transaction])
    expect((await light.verifyBlock(block.encoded)).status).toBe('unknown-parent')
    await light.importHeaders([headerOf(block)])
    expect((await light.verifyBlock(block.encoded)).status).toBe('accepted')
    const swapped = encodeBlock({ header: block.block.header, transactions: [] })
    const judgement = await light.verifyBlock(swapped)
    expect(judgement.status === 'invalid' && judgement.code).toBe('BAD_TX_ROOT')
    expect((await light.verifyBlock(encodeBlock(genesisBlock(devnet.genesis)))).status).toBe('accepted')
    expect(light.checkTransaction(transfer(devnet, 1, 2).encoded).status).toBe('accepted')
  })
})

describe('headerChecker: headers-first sync', () => {
  it('checks a peer’s run of headers from the ancestor, and names the first that fails', async () => {
    const source = new AuthorityFullChain({ genesis: devnet.genesis })
    const made = await grow(devnet, source, 5)
    const ours = new AuthorityFullChain({ genesis: devnet.genesis })
    const checker = ours.headerChecker(0)
    const summaries = await checker.check(made.slice(0, 3).map(headerOf))
    expect(summaries.map((s) => [s.height, s.weight])).toEqual([
      [1, 1n],
      [2, 1n],
      [3, 1n],
    ])
    expect(toHex(summaries[2]?.hash as Uint8Array)).toBe(toHex(made[2]?.hash as Uint8Array))
    expect(await rejection(checker.check([headerOf(made[4] as Proposal)]))).toBe('invalid UNLINKED')
    expect(await rejection(ours.headerChecker(0).check([headerOf(made[1] as Proposal)]))).toBe(
      'unknown-parent UNKNOWN_PARENT',
    )
    const forged = headerOf(made[0] as Proposal)
    forged[90] = (forged[90] as number) ^ 1
    expect(await rejection(ours.headerChecker(0).check([forged]))).toBe('invalid BAD_SIGNATURE')
    expect(await rejection(ours.headerChecker(0).check([new Uint8Array(10)]))).toBe('invalid MALFORMED')
    const error = await ours
      .headerChecker(0)
      .check([forged])
      .catch((e: unknown) => e)
    expect(isAuthorityChainError(error)).toBe(true)
  })
})
