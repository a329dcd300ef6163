/** `paw-node init --help` states the default the settings really have (issue 17, item 7). */
import { describe, expect, it } from 'vitest'
import { INIT_USAGE } from '../../src/cli/commands/init.ts'
import { resolveSettings } from '../../src/config/settings.ts'

describe('init --help', () => {
  it('gives the chain_id a new home really gets', () => {
    const { chainId } = resolveSettings({})
    expect(INIT_USAGE).toMatch(new RegExp(`--chain-id ID .*\\(default: ${chainId}\\)`))
  })
})
