/**
 * The entries of other files that carry the reference chain's header size: the two
 * `headers`-answer vectors of protocols/framing.vectors.json ("Frame limits"), and the
 * blocks.* inputs of test/reliability/corpus/decoders.json, seeded from blocks.vectors.json.
 * The rest of those files does not depend on the header and is kept as it is.
 */
import { answerLimits } from '../../../src/protocols/blocks/limits.ts'
import { toHex } from '../../../src/wire/bytes.ts'
import { encodeFrameHeader } from '../../../src/wire/frame.ts'
import { type ByteSpec, bytesOf } from '../../support/vectors.ts'

interface LimitsVector {
  name: string
  limits: { accepted: Record<string, number>; defined: string[]; ceiling: number }
  input: ByteSpec
  expect: unknown[]
}
interface FramingVectors {
  limits: LimitsVector[]
}

const isHeadersAnswer = (vector: LimitsVector) => Object.keys(vector.limits.accepted).join() === 'headers'

/**
 * framing.vectors.json with its two vectors of a stream that asked for one header rebuilt
 * for `headerBytes`: one header is accepted, two are 0x04 from the frame header.
 */
export function withHeaderFraming(
  framing: FramingVectors,
  shape: { headerBytes: number; maxBlockBytes: number },
): FramingVectors {
  const H = shape.headerBytes
  const limits = answerLimits({ type: 'get_headers', range: { startHeight: 0, count: 1 } }, shape)
  const one = limits.accepted.get('headers') as number
  const frameHeader = (count: number) => toHex(encodeFrameHeader('headers', 2 + count * H))
  const twoLength = 2 + 'headers'.length + 2 + 2 * H
  const table = (vector: LimitsVector) => ({
    ...vector.limits,
    accepted: { headers: one },
    ceiling: limits.ceiling,
  })
  const found = framing.limits.filter(isHeadersAnswer)
  if (found.length !== 2)
    throw new Error(`framing.vectors.json: ${found.length} headers-answer vectors, expected 2`)
  const [accepts, refuses] = found as [LimitsVector, LimitsVector]
  const rebuilt = new Map<LimitsVector, LimitsVector>([
    [
      accepts,
      {
        name: `a request stream after get_headers for 1 header accepts one headers frame of at most ${2 + H} bytes of payload (L = ${one})`,
        limits: table(accepts),
        input: [frameHeader(1), '0001', { hex: 'ab', repeat: H }],
        expect: [{ type: 'headers', payload: ['0001', { hex: 'ab', repeat: H }] }],
      },
    ],
    [
      refuses,
      {
        name: `the same stream: a headers frame with 2 headers (L = ${twoLength}) for a request of 1 is 0x04`,
        limits: table(refuses),
        input: [frameHeader(2), '0002'],
        expect: [{ error: '0x04', fatal: true }],
      },
    ],
  ])
  return { ...framing, limits: framing.limits.map((vector) => rebuilt.get(vector) ?? vector) }
}

interface Corpus {
  description: string
  inputs: Array<{ name: string; hex: string }>
}

/** The largest payload the corpus takes from the vectors (its description: 8 KiB). */
const MAX_SEED_BYTES = 8 * 1024
const SECTIONS = ['getBlock', 'notFound', 'getBlocks', 'getHeaders', 'blocks', 'headers'] as const
const SEED_NAME = new RegExp(`^blocks\\.(${SECTIONS.join('|')})\\.(valid|invalid): `)

/**
 * The corpus with its blocks.* inputs taken again from `blocks`: each section's valid then
 * invalid payloads up to 8 KiB, in file order, none twice; the other inputs after them, as
 * they were (none of them may repeat a blocks input).
 */
export function withBlocksSeeds(corpus: Corpus, blocks: Record<string, unknown>): Corpus {
  const seen = new Set<string>()
  const seeds: Corpus['inputs'] = []
  for (const section of SECTIONS) {
    const cases = blocks[section] as Record<'valid' | 'invalid', Array<{ name: string; payload: ByteSpec }>>
    for (const kind of ['valid', 'invalid'] as const) {
      for (const vector of cases[kind]) {
        const payload = bytesOf(vector.payload)
        if (payload.length > MAX_SEED_BYTES) continue
        const hex = toHex(payload)
        if (seen.has(hex)) continue
        seen.add(hex)
        seeds.push({ name: `blocks.${section}.${kind}: ${vector.name}`, hex })
      }
    }
  }
  const others = corpus.inputs.filter((input) => !SEED_NAME.test(input.name))
  const repeated = others.find((input) => seen.has(input.hex))
  if (repeated !== undefined) throw new Error(`corpus: ${repeated.name} repeats a blocks input`)
  return { ...corpus, inputs: [...seeds, ...others] }
}
