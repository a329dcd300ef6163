/**
 * The vector files that carry the reference chain's headers and blocks are what
 * test/protocols/header-vectors.ts builds from the code. Stale after a change to the header,
 * the block encoding, a bound or the sample block: rebuild with
 * `./node_modules/.bin/node test/protocols/header-vectors.ts`, review the diff, then rebuild
 * protocols/inclusion-proof.vectors.json (it holds the sample block's transaction ids).
 */
import { describe, expect, it } from 'vitest'
import { buildHeaderVectors, storedText } from './header-vectors.ts'

describe('header vectors', () => {
  it('each file is what its generator builds', async () => {
    const built = await buildHeaderVectors()
    expect([...built.keys()].sort()).toEqual([
      'protocols/blocks.vectors.json',
      'protocols/framing.vectors.json',
      'protocols/gossip.vectors.json',
      'test/reliability/corpus/decoders.json',
    ])
    for (const [path, text] of built) {
      // Compared as text, not parsed: the multi-MiB vectors are runs of a byte, the file small.
      expect(storedText(path) === text, `${path} is stale`).toBe(true)
    }
  })
})
