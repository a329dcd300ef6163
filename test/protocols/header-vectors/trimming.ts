/**
 * The `trimming` vectors of protocols/blocks.vectors.json (blocks.md "Answers and
 * trimming"): a tip, the sizes of the blocks from the start height, a request, and the
 * count the answer holds. Each answer is worked out with the code's rangeToServe and
 * blocksThatFit, and must be the one the vector's name says, or the build fails.
 */

/** How an answer is worked out (src/wire/blocks.ts). */
export interface Trimmer {
  rangeToServe(request: { startHeight: number; count: number }, tipHeight: number, max: number): number
  blocksThatFit(blocks: Array<{ length: number }>): number
}

/** The block sizes the vectors use, from the chain's layout. */
export interface Sizes {
  /** The block prefix (an empty block's size, a filler block), and a transaction. */
  P: number
  T: number
  /** A block with a coinbase only. */
  one: number
  largest: number
  atLeast(bytes: number): number
  atMost(bytes: number): number
  /** The most blocks that can total the byte budget exactly: `exact` − 1 fillers and `big`. */
  exact: number
  big: number
  budget: number
  bound: number
  maxHeaders: number
}

type Run = { length: number; count: number }
interface Case {
  name: string
  request: 'get_headers' | 'get_blocks'
  startHeight: number
  count: number
  tipHeight: number
  blockLengths?: Run[]
  expect: number
}

/** 8388581 → "8,388,581". */
const grouped = (n: number): string => n.toLocaleString('en-US')

const headers = (
  name: string,
  startHeight: number,
  count: number,
  tipHeight: number,
  expect: number,
): Case => ({
  name,
  request: 'get_headers',
  startHeight,
  count,
  tipHeight,
  expect,
})

const blocks = (
  name: string,
  [startHeight, count, tipHeight]: [number, number, number],
  runs: Array<[number, number]>,
  expect: number,
): Case => ({
  name,
  request: 'get_blocks',
  startHeight,
  count,
  tipHeight,
  blockLengths: runs.map(([length, n]) => ({ length, count: n })),
  expect,
})

export function buildTrimming(s: Sizes, trim: Trimmer): object[] {
  const third = s.atLeast(3 * 1024 * 1024)
  const underBudget = s.atMost(s.budget)
  const rest = 200 - s.exact
  const cases: Case[] = [
    headers(
      `headers: count 65535 from genesis → ${s.maxHeaders} (the bound)`,
      0,
      65535,
      100000,
      s.maxHeaders,
    ),
    headers('headers: count 512 from 900, tip 1000 → 101 (the tip)', 900, 512, 1000, 101),
    headers('headers: start at the tip → 1', 1000, 10, 1000, 1),
    headers('headers: start above the tip → 0, an empty headers', 1001, 512, 1000, 0),
    blocks(
      `blocks: count 1000 of ${s.one}-byte blocks → ${s.bound} (the count bound)`,
      [0, 1000, 5000],
      [[s.one, 1000]],
      s.bound,
    ),
    blocks('blocks: count 128 from 50, tip 100 → 51 (the tip)', [50, 128, 100], [[s.one, 51]], 51),
    blocks('blocks: start above the tip → 0, an empty blocks', [101, 128, 100], [], 0),
    blocks('blocks: 3 MiB blocks → 2 (the byte budget)', [10, 10, 100], [[third, 10]], 2),
    blocks(
      'blocks: the largest block first → 1, alone',
      [10, 10, 100],
      [
        [s.largest, 1],
        [s.one, 9],
      ],
      1,
    ),
    blocks(
      `blocks: a ${s.one}-byte block, then one of ${grouped(underBudget)} bytes (together over 8 MiB) → 1`,
      [10, 10, 100],
      [
        [s.one, 1],
        [underBudget, 1],
        [s.one, 8],
      ],
      1,
    ),
    blocks(
      `blocks: ${s.exact - 1} of ${s.P} bytes and one making exactly 8 MiB → ${s.exact}`,
      [0, 200, 1000],
      [
        [s.P, s.exact - 1],
        [s.big, 1],
        [s.P, rest],
      ],
      s.exact,
    ),
    blocks(
      `blocks: ${s.exact - 1} of ${s.P} bytes and one making 8 MiB + ${s.T} → ${s.exact - 1}`,
      [0, 200, 1000],
      [
        [s.P, s.exact - 1],
        [s.big + s.T, 1],
        [s.P, rest],
      ],
      s.exact - 1,
    ),
  ]
  return cases.map(({ expect, blockLengths, ...vector }) => {
    const request = { startHeight: vector.startHeight, count: vector.count }
    let answerCount: number
    if (vector.request === 'get_headers')
      answerCount = trim.rangeToServe(request, vector.tipHeight, s.maxHeaders)
    else {
      const lengths = (blockLengths ?? []).flatMap(({ length, count }) =>
        Array.from({ length: count }, () => ({ length })),
      )
      answerCount = trim.blocksThatFit(
        lengths.slice(0, trim.rangeToServe(request, vector.tipHeight, s.bound)),
      )
    }
    if (answerCount !== expect) throw new Error(`trimming "${vector.name}": answered ${answerCount}`)
    return {
      ...vector,
      ...(blockLengths === undefined ? {} : { blockLengths }),
      answerCount,
      nextStartHeight: vector.startHeight + answerCount,
    }
  })
}
