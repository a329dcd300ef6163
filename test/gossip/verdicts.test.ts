import { TopicValidatorResult } from '@libp2p/gossipsub'
import { describe, expect, it } from 'vitest'
import { ChainError, ChainErrorCode } from '../../src/chain/errors.ts'
import { verdictForChainError } from '../../src/gossip/gossip-service.ts'

const { Accept, Ignore, Reject } = TopicValidatorResult

describe('verdictForChainError', () => {
  it('rejects what no valid message can carry, for every kind', () => {
    for (const code of [
      ChainErrorCode.Malformed,
      ChainErrorCode.WrongChain,
      ChainErrorCode.BadProofOfWork,
      ChainErrorCode.BadTarget,
      ChainErrorCode.BadTxRoot,
      ChainErrorCode.BadCoinbase,
      ChainErrorCode.BadSignature,
      ChainErrorCode.BadTransaction,
      ChainErrorCode.BlockTooLarge,
      ChainErrorCode.BadHeight,
    ]) {
      for (const kind of ['block', 'header', 'transaction'] as const) {
        expect(verdictForChainError(new ChainError(code, 'x'), kind)).toBe(Reject)
      }
    }
  })

  it('ignores what depends on what this node has seen', () => {
    for (const code of [
      ChainErrorCode.UnknownParent,
      ChainErrorCode.BadTimestamp,
      ChainErrorCode.MempoolFull,
    ]) {
      expect(verdictForChainError(new ChainError(code, 'x'), 'block')).toBe(Ignore)
      expect(verdictForChainError(new ChainError(code, 'x'), 'transaction')).toBe(Ignore)
    }
    for (const code of [
      ChainErrorCode.BadNonce,
      ChainErrorCode.InsufficientBalance,
      ChainErrorCode.DuplicateTransaction,
    ]) {
      // A transaction racing another for the same nonce is not its relayer's fault; a block
      // that includes such a transaction is invalid.
      expect(verdictForChainError(new ChainError(code, 'x'), 'transaction')).toBe(Ignore)
      expect(verdictForChainError(new ChainError(code, 'x'), 'block')).toBe(Reject)
    }
    expect(Accept).toBe('accept')
  })
})
