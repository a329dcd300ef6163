/**
 * The soak's steady transaction load, through each node's admin API (`POST /transactions`,
 * what `paw-node tx send` does). The mempool takes only a sender's next nonce, so each node
 * gets a sender of its own (nonces in order at one node, never a gap between two): devnet
 * account 0, funded at genesis, first funds one sender per node.
 */
import { encodeTransaction } from '../../src/chain/encoding.ts'
import { BASE_UNITS_PER_PAW, devnetAccount } from '../../src/chain/params.ts'
import { type Account, signTransaction } from '../../src/chain/signing.ts'
import { type AdminClient, AdminClientError } from '../../src/cli/admin-client.ts'
import { DEFAULT_FEE } from '../../src/cli/commands/tx.ts'
import { toHex } from '../../src/wire/bytes.ts'

const CHAIN_ID = 'paw-devnet'
/** The senders' keys: devnet accounts past the 4 funded at genesis (deterministic, public). */
const FIRST_SENDER_INDEX = 100
/** Enough for hours of 1-unit transfers at DEFAULT_FEE. */
const FUNDING = 1_000n * BASE_UNITS_PER_PAW
/** Every transfer pays this to a devnet account; only its inclusion matters here. */
const SINK = devnetAccount(1).address

interface AccountReply {
  balance: string
  nonce: string
  pendingNonce: string
}

export interface LoadCounts {
  /** Answered 202 (in the node's mempool and relayed). */
  accepted: number
  /**
   * Transactions accepted, each (sender, nonce) once: a nonce sent again after a refusal (its
   * first copy left the mempool unmined, or a timed-out submission got in) counts once.
   */
  distinct: number
  /** Answered 4xx (a nonce out of step after a timeout, a full mempool…). */
  refused: number
  /** No answer (timeout, connection refused). */
  failed: number
  /** The first few refusals and failures, for the report. */
  errors: string[]
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function signedHex(from: Account, nonce: bigint, amount: bigint): string {
  const tx = signTransaction(
    { from: from.address, to: SINK, amount, fee: DEFAULT_FEE, nonce },
    from.privateKey,
    CHAIN_ID,
  )
  return toHex(encodeTransaction(tx))
}

const accountOf = (client: AdminClient, account: Account) =>
  client.get<AccountReply>(`/accounts/${toHex(account.address)}`)

export function senderOf(nodeIndex: number): Account {
  return devnetAccount(FIRST_SENDER_INDEX + nodeIndex)
}

/**
 * Devnet account 0 pays FUNDING to one sender per node through the first node (nonces in
 * order at one node); resolves once each node sees its own sender funded, i.e. the funding
 * is mined and has reached every node.
 */
export async function fundSenders(clients: readonly AdminClient[], timeoutMs = 120_000): Promise<void> {
  const [first] = clients
  if (first === undefined) return
  const funder = devnetAccount(0)
  let nonce = BigInt((await accountOf(first, funder)).pendingNonce)
  for (let i = 0; i < clients.length; i++) {
    const tx = signTransaction(
      { from: funder.address, to: senderOf(i).address, amount: FUNDING, fee: DEFAULT_FEE, nonce },
      funder.privateKey,
      CHAIN_ID,
    )
    await first.post('/transactions', { transaction: toHex(encodeTransaction(tx)) })
    nonce++
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const balances = await Promise.all(
      clients.map(async (client, i) => BigInt((await accountOf(client, senderOf(i))).balance)),
    )
    if (balances.every((b) => b >= FUNDING)) return
    if (Date.now() > deadline)
      throw new Error(`senders not funded after ${timeoutMs} ms: ${balances.join(', ')}`)
    await sleep(1_000)
  }
}

/**
 * Submits a 1-unit transfer from node i's sender to node i every `intervalMs`, the nodes
 * staggered evenly across the interval, until stop() is called (which resolves once the
 * last submission is answered).
 */
export function steadyLoad(clients: readonly AdminClient[], intervalMs: number) {
  const counts: LoadCounts = { accepted: 0, distinct: 0, refused: 0, failed: 0, errors: [] }
  let running = true
  /** Each loop's pending pause, cut short by stop(). */
  const wakers = new Set<() => void>()
  const note = (line: string) => {
    if (counts.errors.length < 20) counts.errors.push(line)
  }

  async function submitLoop(client: AdminClient, index: number): Promise<void> {
    const sender = senderOf(index)
    let nonce: bigint | undefined
    /** One past the highest nonce accepted so far. */
    let acceptedUpTo = 0n
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer)
          wakers.delete(wake)
          resolve()
        }
        const timer = setTimeout(wake, ms)
        wakers.add(wake)
      })
    await pause((intervalMs * index) / clients.length)
    while (running) {
      const started = Date.now()
      try {
        // Asked again after any refusal or failure: a timed-out submission may have got in.
        nonce ??= BigInt((await accountOf(client, sender)).pendingNonce)
        await client.post('/transactions', { transaction: signedHex(sender, nonce, 1n) })
        counts.accepted++
        nonce++
        if (nonce > acceptedUpTo) {
          counts.distinct += Number(nonce - acceptedUpTo)
          acceptedUpTo = nonce
        }
      } catch (error) {
        const refused = error instanceof AdminClientError && error.status !== undefined
        if (refused) counts.refused++
        else counts.failed++
        note(`${client.address}: ${error instanceof Error ? error.message : String(error)}`)
        nonce = undefined
      }
      if (running) await pause(Math.max(0, intervalMs - (Date.now() - started)))
    }
  }

  const loops = clients.map((client, index) => submitLoop(client, index))
  return {
    counts,
    async stop(): Promise<void> {
      running = false
      for (const wake of [...wakers]) wake()
      await Promise.all(loops)
    },
  }
}

/**
 * Transfers from the senders that are in blocks, as `client`'s chain sees them: the senders
 * start at nonce 0 and send nothing else, so a sender's chain nonce is its count of mined
 * transfers.
 */
export async function minedTransfers(client: AdminClient, senders: number): Promise<number> {
  let mined = 0
  for (let i = 0; i < senders; i++) mined += Number((await accountOf(client, senderOf(i))).nonce)
  return mined
}
