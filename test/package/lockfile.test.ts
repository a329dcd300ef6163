/**
 * package-lock.json agrees with package.json (issue 17, item 10): otherwise the first
 * `npm install` on a fresh clone rewrites the lockfile (a `^` range where package.json pins
 * a version, an `engines` field of its own) and leaves the operator's clone dirty. npm copies
 * these fields of the root package into the lockfile's `packages[""]`; compared here as npm
 * would write them.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = (name: string) => fileURLToPath(new URL(`../../${name}`, import.meta.url))

describe('package-lock.json', () => {
  it('records the root package as package.json declares it', async () => {
    const manifest = JSON.parse(await readFile(root('package.json'), 'utf8'))
    const lock = JSON.parse(await readFile(root('package-lock.json'), 'utf8'))
    const recorded = lock.packages['']
    expect(lock.name).toBe(manifest.name)
    expect(lock.version).toBe(manifest.version)
    for (const field of ['name', 'version', 'license', 'bin', 'engines', 'dependencies', 'devDependencies']) {
      expect(recorded[field], field).toEqual(manifest[field])
    }
    for (const field of ['optionalDependencies', 'peerDependencies']) {
      expect(recorded[field], field).toEqual(manifest[field])
    }
  })

  it('has an entry for every dependency, at a version its range accepts', async () => {
    const manifest = JSON.parse(await readFile(root('package.json'), 'utf8'))
    const lock = JSON.parse(await readFile(root('package-lock.json'), 'utf8'))
    for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
      const entry = lock.packages[`node_modules/${name}`]
      expect(entry, name).toBeDefined()
      // Exact pins must match exactly; a caret range must share its major (enough to catch drift).
      const wanted = String(range)
      if (/^\d/.test(wanted)) expect(entry.version, name).toBe(wanted)
      else if (wanted.startsWith('^'))
        expect(entry.version.split('.')[0], name).toBe(wanted.slice(1).split('.')[0])
    }
  })
})
