/**
 * `paw-node tx send`: signs a transfer and submits it to a running node through its admin
 * API (src/node/admin), which validates it, adds it to the mempool and floods it. The id
 * goes to stdout (for scripts), everything else to stderr.
 */
import { resolve } from 'node:path'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { encodeTransaction, MAX_U64 } from '../../chain/encoding.ts'
import { DEVNET_ACCOUNT_COUNT, devnetAccount } from '../../chain/params.ts'
import { signTransaction } from '../../chain/signing.ts'
import { loadNodeKey, readNodeKeyFile, resolveHome } from '../../node/home.ts'
import { fromHex, toHex } from '../../wire/bytes.ts'
import { AdminClient, AdminClientError } from '../admin-client.ts'
import {
  type AdminTarget,
  AdminTargetError,
  expectPeerIdFlag,
  nodeFlag,
  resolveAdminTarget,
  targetFailure,
} from '../admin-target.ts'
import { EXIT_FAILURE, EXIT_OK, HOME_OPTION, parseFlags, UsageError } from '../options.ts'
import { formatPaw, parsePaw } from '../paw-amount.ts'

/**
 * 0.0001 PAW (10,000 base units). Validation sets no minimum fee; the mempool ranks by fee
 * per byte and, when full, evicts the lowest, and the miner fills blocks in that order. A
 * small fee keeps a transfer ahead of fee-less ones at a cost no operator notices.
 */
export const DEFAULT_FEE = 10_000n

/** --wait: how long, and how often to ask. */
const WAIT_MS = 60_000
const POLL_MS = 500
const PROGRESS_MS = 5_000

export const TX_USAGE = `Usage: paw-node tx send --to ADDRESS --amount PAW [options]

Signs a transfer and submits it to a running node through the node's admin API; the
node checks it, adds it to its mempool and relays it to its peers. Prints the
transaction id (hex of its hash) on stdout and a one-line summary on stderr.

Options:
  --to ADDRESS          recipient: 64 hex digits (a 32-byte Ed25519 public key)
  --amount PAW          amount in PAW, more than 0, up to 8 decimals (1.5 = 150000000 base units)
  --fee PAW             fee in PAW, paid to the miner (default 0.0001; blocks and the
                        mempool favour higher fees per byte)
  --from-key FILE       sign with the key in FILE (node_key.json format)
  --devnet-account N    sign with devnet account N (0-3), funded at genesis on paw-devnet;
                        its key is public, so use it for testing only
  --nonce N             the sender's nonce (default: its next one, counting its pending
                        transactions, as the node reports it)
  --node HOST:PORT      the node's admin API (default: <home>/data/admin.addr, written by
                        a running \`paw-node start\`, else admin.listen in config.toml)
  --home DIR            home directory (default: $PAW_HOME, else ~/.paw); the node that
                        answers must hold its node key, else nothing is sent
  --expect-peer-id ID   refuse unless the node that answers has this peer ID (the check
                        for --node without --home)
  --wait                wait up to 60 s for the transaction to leave the mempool and say
                        whether it was included in a block (exit 1 if it was not)
  -h, --help            show this help

Without --from-key or --devnet-account the sender is the node's own key
(<home>/config/node_key.json): on paw-devnet the miner's block rewards pay it.

Exit codes: 0 submitted (with --wait: included), 1 refused by the node, not included, or
no node answering, 2 usage error.
`

const SEND_OPTIONS = {
  ...HOME_OPTION,
  to: { type: 'string' },
  amount: { type: 'string' },
  fee: { type: 'string' },
  'from-key': { type: 'string' },
  'devnet-account': { type: 'string' },
  nonce: { type: 'string' },
  node: { type: 'string' },
  'expect-peer-id': { type: 'string' },
  wait: { type: 'boolean' },
} as const

type SendFlags = ReturnType<typeof parseFlags<typeof SEND_OPTIONS>>

interface StatusReply {
  chainId: string
  nodeType: string
}

interface AccountReply {
  nonce: string
  pendingNonce: string
}

interface SubmitReply {
  id: string
  recipients: number
  evicted: string[]
}

const note = (line: string) => process.stderr.write(`paw-node tx send: ${line}\n`)

function fail(line: string): number {
  note(line)
  return EXIT_FAILURE
}

function required(flag: keyof SendFlags, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`--${flag} is required`)
  return value
}

function hexAddress(flag: string, text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new UsageError(
      `--${flag} must be 64 hex digits (a 32-byte public key), got ${JSON.stringify(text)}`,
    )
  }
  return fromHex(text)
}

function nonNegative(flag: string, text: string, max: bigint): bigint {
  if (!/^\d{1,20}$/.test(text) || BigInt(text) > max) {
    throw new UsageError(`--${flag} must be an integer from 0 to ${max}, got ${JSON.stringify(text)}`)
  }
  return BigInt(text)
}

/** The 32-byte Ed25519 seed of a libp2p key (its `raw` is the seed, then the public key). */
const seedOf = (key: Ed25519PrivateKey) => key.raw.subarray(0, 32)

interface Sender {
  privateKey: Uint8Array
  address: Uint8Array
}

async function sender(flags: SendFlags, home: string): Promise<Sender> {
  if (flags['devnet-account'] !== undefined) {
    const last = BigInt(DEVNET_ACCOUNT_COUNT - 1)
    return devnetAccount(Number(nonNegative('devnet-account', flags['devnet-account'], last)))
  }
  const key =
    flags['from-key'] !== undefined
      ? await readNodeKeyFile(resolve(flags['from-key']))
      : await loadNodeKey(home)
  return { privateKey: seedOf(key), address: key.publicKey.raw }
}

async function waitForInclusion(
  client: AdminClient,
  id: string,
  from: string,
  nonce: bigint,
): Promise<number> {
  note(`waiting up to ${WAIT_MS / 1000} s for ${id} to be mined`)
  const started = Date.now()
  let reported = started
  for (;;) {
    try {
      await client.get(`/transactions/${id}`)
    } catch (error) {
      if (error instanceof AdminClientError && error.code === 'TRANSACTION_NOT_FOUND') break
      throw error
    }
    const now = Date.now()
    if (now - started >= WAIT_MS) return fail(`still pending after ${WAIT_MS / 1000} s; it may yet be mined`)
    if (now - reported >= PROGRESS_MS) {
      note(`still pending (${Math.round((now - started) / 1000)} s)`)
      reported = now
    }
    await new Promise((done) => setTimeout(done, POLL_MS))
  }
  // The mempool lets a transaction go only after the chain state includes its block.
  const account = await client.get<AccountReply>(`/accounts/${from}`)
  if (BigInt(account.nonce) > nonce) {
    note(`included in a block (the sender's nonce is now ${account.nonce})`)
    return EXIT_OK
  }
  return fail(`dropped: left the mempool without being mined (the sender's nonce is still ${account.nonce})`)
}

async function send(args: readonly string[]): Promise<number> {
  const flags = parseFlags(args, SEND_OPTIONS)
  if (flags.help === true) {
    process.stdout.write(TX_USAGE)
    return EXIT_OK
  }
  const to = hexAddress('to', required('to', flags.to))
  const amount = parsePaw('amount', required('amount', flags.amount))
  if (amount === 0n) throw new UsageError('--amount must be more than 0')
  const fee = flags.fee === undefined ? DEFAULT_FEE : parsePaw('fee', flags.fee)
  const givenNonce = flags.nonce === undefined ? undefined : nonNegative('nonce', flags.nonce, MAX_U64)
  if (flags['from-key'] !== undefined && flags['devnet-account'] !== undefined) {
    throw new UsageError('--from-key and --devnet-account both name the sender: give one')
  }
  if (flags.node !== undefined) nodeFlag(flags.node)
  if (flags['expect-peer-id'] !== undefined) expectPeerIdFlag(flags['expect-peer-id'])
  const home = resolveHome(flags.home)
  const from = await sender(flags, home)
  let found: AdminTarget
  try {
    found = await resolveAdminTarget({
      node: flags.node,
      home: flags.home,
      expectPeerId: flags['expect-peer-id'],
    })
  } catch (error) {
    if (error instanceof AdminTargetError) return fail(error.message)
    throw error
  }
  const client = new AdminClient(found.address, { expectPeerId: found.expectPeerId })
  let submitting = false
  try {
    const status = await client.get<StatusReply>('/status')
    const fromHex64 = toHex(from.address)
    const nonce =
      givenNonce ?? BigInt((await client.get<AccountReply>(`/accounts/${fromHex64}`)).pendingNonce)
    const tx = signTransaction(
      { from: from.address, to, amount, fee, nonce },
      from.privateKey,
      status.chainId,
    )
    submitting = true
    const result = await client.post<SubmitReply>('/transactions', {
      transaction: toHex(encodeTransaction(tx)),
    })
    process.stdout.write(`${result.id}\n`)
    note(
      `${formatPaw(amount)} PAW (fee ${formatPaw(fee)}) from ${fromHex64.slice(0, 12)}… to ${toHex(to).slice(0, 12)}…, ` +
        `nonce ${nonce}, on ${status.chainId}: accepted by ${found.address}, relayed to ${result.recipients} peer(s)`,
    )
    submitting = false
    return flags.wait === true ? await waitForInclusion(client, result.id, fromHex64, nonce) : EXIT_OK
  } catch (error) {
    if (!(error instanceof AdminClientError)) throw error
    const wrong = targetFailure(found, error)
    if (wrong !== undefined) return fail(wrong)
    return fail(`${submitting ? 'refused: ' : ''}${error.code}: ${error.message}`)
  }
}

export async function tx(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args
  if (command === '--help' || command === '-h') {
    process.stdout.write(TX_USAGE)
    return EXIT_OK
  }
  if (command === undefined || command.startsWith('-')) {
    throw new UsageError('missing the tx command: paw-node tx send --to ADDRESS --amount PAW')
  }
  if (command !== 'send')
    throw new UsageError(`unknown tx command ${JSON.stringify(command)}; the one there is: send`)
  return send(rest)
}
