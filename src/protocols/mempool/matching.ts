/**
 * Request/answer matching (protocols/mempool.md "Answering", "Unsolicited or mismatched
 * answers"): a `transactions` frame answers one `get_transactions` when every requested
 * hash appears exactly once, either as a transaction whose id it is (the chain's
 * `transactionId`: nothing here decodes or hashes a transaction) or in the not-found list,
 * each list in request order. Anything else is 0x0A and none of it is used.
 */
import { UnexpectedMessageError } from '../../errors.ts'
import type { FetchedTransaction } from '../../ports/transaction-pool.ts'
import { toHex } from '../../wire/bytes.ts'
import type { TransactionsResponse } from '../../wire/mempool.ts'
import type { MempoolChain } from './types.ts'

export interface MatchedAnswer {
  /** The encodings found, each with its id (hex of its hash), in request order. */
  found: FetchedTransaction[]
  /** Hex hashes, in request order. */
  notFound: string[]
}

/**
 * Checks that `answer` answers exactly `requested` (distinct hashes, as sent), each
 * transaction's id as `chain` gives it.
 * @throws UnexpectedMessageError naming the first mismatch (an encoding the chain gives no
 *   id is no requested transaction either)
 */
export function matchAnswer(
  requested: readonly Uint8Array[],
  answer: TransactionsResponse,
  chain: MempoolChain,
): MatchedAnswer {
  const positions = new Map<string, number>()
  for (const [index, hash] of requested.entries()) positions.set(toHex(hash), index)
  const answered = answer.transactions.length + answer.notFound.length
  if (answered !== requested.length) {
    throw new UnexpectedMessageError(
      `the answer accounts for ${answered} hashes, ${requested.length} were requested`,
    )
  }
  const accounted = new Set<number>()
  const place = (id: string, last: number, what: string): number => {
    const position = positions.get(id)
    if (position === undefined) throw new UnexpectedMessageError(`${what} ${id} was not requested`)
    if (accounted.has(position)) throw new UnexpectedMessageError(`${what} ${id} is answered twice`)
    if (position < last) throw new UnexpectedMessageError(`${what} ${id} is out of request order`)
    accounted.add(position)
    return position
  }
  const found: FetchedTransaction[] = []
  let last = -1
  for (const [index, encoding] of answer.transactions.entries()) {
    const hash = chain.transactionId(encoding)
    if (hash === undefined) {
      throw new UnexpectedMessageError(
        `transaction ${index} is not a transaction of this chain: it answers no request`,
      )
    }
    const id = toHex(hash)
    last = place(id, last, 'transaction')
    found.push({ id, encoded: encoding })
  }
  const notFound: string[] = []
  last = -1
  for (const hash of answer.notFound) {
    const id = toHex(hash)
    last = place(id, last, 'not-found hash')
    notFound.push(id)
  }
  // As many entries as requested hashes, each a distinct requested one: all are accounted for.
  return { found, notFound }
}
