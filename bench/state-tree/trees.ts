/**
 * State trees of N accounts for the benchmark, built untimed except for the one bulk
 * update that builds each (reported, not compared): the bench block's parent state plus
 * filler accounts at deterministic addresses up to N. Also the sample proofs whose size
 * and verification time the report gives.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import type { ChainState } from '../../src/chain/state.ts'
import {
  accountKey,
  accountValue,
  encodeAccountValue,
  encodeStateProof,
  MemoryNodeStore,
  StateTree,
} from '../../src/chain/state-tree/index.ts'
import { fromHex } from '../../src/wire/bytes.ts'

export interface BenchTree {
  accounts: number
  tree: StateTree
  store: MemoryNodeStore
  /** The root of the bench block's parent state (plus the filler). */
  root: Uint8Array
  buildMs: number
  /** Encoded proofs of accounts present, and of addresses absent, with their addresses. */
  members: Array<{ address: Uint8Array; bytes: Uint8Array }>
  absentees: Array<{ address: Uint8Array; bytes: Uint8Array; kind: string }>
  /** Siblings per proof (all, empty ones included), members then absentees. */
  memberDepths: number[]
  absentDepths: number[]
}

function fillerAddress(i: number): Uint8Array {
  const seed = new Uint8Array(8)
  new DataView(seed.buffer).setUint32(4, i)
  return sha256(seed)
}

/** A deterministic sample of `count` indexes below `n` (an LCG, so runs prove the same accounts). */
function sample(count: number, n: number): number[] {
  const out: number[] = []
  let x = 12345
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out.push(x % n)
  }
  return out
}

export function buildBenchTree(accounts: number, parentState: ChainState, samples: number): BenchTree {
  const changes = new Map<Uint8Array, Uint8Array | undefined>()
  for (const [hex, account] of parentState) changes.set(accountKey(fromHex(hex)), accountValue(account))
  const fillers = accounts - changes.size
  if (fillers < 0) throw new Error(`--accounts ${accounts} is below the chain's own ${changes.size}`)
  for (let i = 0; i < fillers; i++) {
    changes.set(
      accountKey(fillerAddress(i)),
      encodeAccountValue({ balance: BigInt(i + 1), nonce: BigInt(i % 100) }),
    )
  }
  const store = new MemoryNodeStore()
  // keep 1: each measured update is followed by the prune that drops the version before it.
  const tree = new StateTree({ store, keep: 1 })
  const start = performance.now()
  const root = tree.update(changes)
  const buildMs = performance.now() - start
  const members = sample(samples, fillers).map((i) => {
    const address = fillerAddress(i)
    return { address, bytes: encodeStateProof(tree.prove(root, accountKey(address))) }
  })
  const absentees = sample(samples, 2 ** 31).map((i) => {
    const address = sha256(Uint8Array.of(0xab, i & 255, (i >> 8) & 255, (i >> 16) & 255, i >>> 24))
    const proof = tree.prove(root, accountKey(address))
    return { address, bytes: encodeStateProof(proof), kind: proof.kind }
  })
  const depths = (list: Array<{ address: Uint8Array }>) =>
    list.map(({ address }) => tree.prove(root, accountKey(address)).siblings.length)
  return {
    accounts,
    tree,
    store,
    root,
    buildMs,
    members,
    absentees,
    memberDepths: depths(members),
    absentDepths: depths(absentees),
  }
}
