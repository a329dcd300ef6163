import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { AGENT_VERSION, VERSION } from '../src/version.ts'

it('VERSION matches package.json, and the agent string is paw-node/<version>', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  expect(VERSION).toBe(pkg.version)
  expect(AGENT_VERSION).toBe(`paw-node/${pkg.version}`)
})
