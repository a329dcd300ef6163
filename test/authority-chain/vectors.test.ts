/** The values docs/authority-chain.md "Vectors" lists, so the document and the code agree. */
import { describe, expect, it } from 'vitest'
import {
  AuthorityFullChain,
  authorityDevnet,
  blockHash,
  encodeTransaction,
  genesisBlock,
  genesisCommitment,
  propose,
  signTransfer,
  transactionId,
} from '../../src/authority-chain/index.ts'
import { toHex } from '../../src/wire/bytes.ts'

describe('authority chain vectors', () => {
  it('devnet keys, genesis, a transfer and block 1', async () => {
    const devnet = authorityDevnet({ timestamp: 1_700_000_000_000 })
    const [account0, account1] = devnet.accounts
    if (account0 === undefined || account1 === undefined) throw new Error('no accounts')
    expect(toHex(devnet.validators[0]?.publicKey as Uint8Array)).toBe(
      'ec85b34f8045093db15558a1833376fafcf8d1647638974609879086de952bd1',
    )
    expect(toHex(account0.publicKey)).toBe('84e09e2388093b8195749bcaa73ae57da18a853377530fa06cb59aa107a3c1dd')
    expect(toHex(account1.publicKey)).toBe('26d9ae08b2a69f537b487ab52add568b3905bb03dc704c7bc49b9af4b94c9b5e')
    expect(toHex(genesisCommitment(devnet.genesis))).toBe(
      'e06a6cfcb213b990d7d62f42337ce77b82a1e403e190cc50268933fe1de05fef',
    )
    expect(toHex(blockHash(genesisBlock(devnet.genesis).header))).toBe(
      'e7dea7c139b1e95199693205136dd8696ca0eb35cda33b24bb76d035a962b137',
    )
    const tx = signTransfer(
      { to: account1.publicKey, amount: 1_000n, expiry: 100, salt: new Uint8Array(16).fill(0x11) },
      account0,
      devnet.genesis.chainId,
    )
    expect(toHex(encodeTransaction(tx))).toBe(
      '84e09e2388093b8195749bcaa73ae57da18a853377530fa06cb59aa107a3c1dd' +
        '26d9ae08b2a69f537b487ab52add568b3905bb03dc704c7bc49b9af4b94c9b5e' +
        '00000000000003e8' +
        '11111111111111111111111111111111' +
        '00000064' +
        '6f70a6aa45db8bfb5cb58355d044a5f3a0bdc895bd72f89a5769ac37165c7210' +
        '912bc102b55c6838ea5baac18fc459510917671d2c83c556dab607879623ee0c',
    )
    expect(toHex(transactionId(tx))).toBe('a89b8876c62016a1a7c825bfae8a563d88e42e8ca8346442c1a49e06a44c0cc0')
    const chain = new AuthorityFullChain({ genesis: devnet.genesis })
    chain.pool.admitLocal(encodeTransaction(tx))
    const block = propose(chain, devnet.validators[1] as never, { timestamp: 1_700_000_002_000 })
    expect(toHex(block.hash)).toBe('f5159c4ec412fcbbd79758a97e16da462a7ec73bbc5f7061ef62b687c4e0d167')
    expect((await chain.importBlock(block.encoded)).status).toBe('accepted')
  })
})
