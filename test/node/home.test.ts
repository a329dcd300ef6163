/** The home directory and the node key: created once, never overwritten, refused when unsafe. */
import { chmod, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config/settings.ts'
import { parseConfig } from '../../src/node/config-file.ts'
import {
  HomeError,
  homePaths,
  initHome,
  legacyNodeId,
  loadNodeKey,
  readNodeKeyFile,
  resolveHome,
} from '../../src/node/home.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paw-home-test-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('resolveHome', () => {
  it('prefers --home, then $PAW_HOME, then ~/.paw', () => {
    expect(resolveHome('/a/b', { PAW_HOME: '/c' })).toBe('/a/b')
    expect(resolveHome(undefined, { PAW_HOME: '/c' })).toBe('/c')
    expect(resolveHome(undefined, {})).toBe(join(homedir(), '.paw'))
    expect(resolveHome(undefined, { PAW_HOME: '' })).toBe(join(homedir(), '.paw'))
  })

  it('expands ~ and makes the path absolute', () => {
    expect(resolveHome('~/nodes/one', {})).toBe(join(homedir(), 'nodes', 'one'))
    expect(resolveHome('~', {})).toBe(homedir())
    expect(resolveHome('rel', {})).toBe(join(process.cwd(), 'rel'))
  })
})

describe('initHome', () => {
  it('creates config.toml, data/ and a 0600 Ed25519 key whose PeerId it returns', async () => {
    const home = join(dir, 'h')
    const result = await initHome({ home, chainId: 'paw-devnet' })
    const paths = homePaths(home)
    expect(result.created).toEqual({ config: true, key: true })
    expect(await mode(paths.keyFile)).toBe(0o600)
    expect((await stat(paths.dataDir)).isDirectory()).toBe(true)
    expect(parseConfig(await readFile(paths.configFile, 'utf8')).chainId).toBe('paw-devnet')
    const file = JSON.parse(await readFile(paths.keyFile, 'utf8'))
    expect(file.type).toBe('Ed25519')
    expect(file.peer_id).toBe(result.peerId.toString())
    expect(result.peerId.toString()).toMatch(/^12D3KooW/)
    expect(result.privateKey.type).toBe('Ed25519')
    // No temporary files are left behind.
    const { readdir } = await import('node:fs/promises')
    expect((await readdir(paths.configDir)).sort()).toEqual(['config.toml', 'node_key.json'])
  })

  it('a second init keeps the key and the config, byte for byte', async () => {
    const home = join(dir, 'h')
    const paths = homePaths(home)
    const first = await initHome({ home, chainId: 'paw-devnet' })
    const key = await readFile(paths.keyFile, 'utf8')
    const config = await readFile(paths.configFile, 'utf8')
    const second = await initHome({ home, chainId: 'other-chain' })
    expect(second.created).toEqual({ config: false, key: false })
    expect(second.peerId.equals(first.peerId)).toBe(true)
    expect(await readFile(paths.keyFile, 'utf8')).toBe(key)
    expect(await readFile(paths.configFile, 'utf8')).toBe(config)
  })

  it('recreates a deleted config.toml but keeps the key', async () => {
    const home = join(dir, 'h')
    const first = await initHome({ home })
    await unlink(homePaths(home).configFile)
    const second = await initHome({ home })
    expect(second.created).toEqual({ config: true, key: false })
    expect(second.peerId.equals(first.peerId)).toBe(true)
  })

  it('concurrent inits of one home end with one key that all of them return', async () => {
    const home = join(dir, 'h')
    const results = await Promise.all(Array.from({ length: 6 }, () => initHome({ home })))
    const ids = new Set(results.map((r) => r.peerId.toString()))
    expect(ids.size).toBe(1)
    expect(results.filter((r) => r.created.key)).toHaveLength(1)
    expect(results.filter((r) => r.created.config)).toHaveLength(1)
  })

  it('refuses a bad chain ID before writing anything', async () => {
    const home = join(dir, 'h')
    const error = await initHome({ home, chainId: 'x'.repeat(33) }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).key).toBe('chain_id')
    await expect(stat(home)).rejects.toThrow(/ENOENT/)
  })
})

describe('readNodeKeyFile / loadNodeKey', () => {
  async function keyFile(content: unknown, fileMode = 0o600): Promise<string> {
    const path = join(dir, 'node_key.json')
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), { mode: fileMode })
    await chmod(path, fileMode)
    return path
  }

  async function validFile() {
    const key = await generateKeyPair('Ed25519')
    return {
      key,
      file: {
        type: 'Ed25519',
        priv_key: Buffer.from(privateKeyToProtobuf(key)).toString('base64'),
        peer_id: peerIdFromPrivateKey(key).toString(),
      },
    }
  }

  async function refusal(path: string): Promise<HomeError> {
    const error = await readNodeKeyFile(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HomeError)
    expect((error as HomeError).path).toBe(path)
    expect((error as HomeError).message).toContain(path)
    return error as HomeError
  }

  it('loads a valid key, by file or by home', async () => {
    const { key, file } = await validFile()
    const loaded = await readNodeKeyFile(await keyFile(file))
    expect(loaded.equals(key)).toBe(true)
    const home = join(dir, 'h')
    const init = await initHome({ home })
    expect((await loadNodeKey(home)).equals(init.privateKey)).toBe(true)
  })

  it('refuses a missing file, pointing at paw-node init', async () => {
    expect((await refusal(join(dir, 'none.json'))).message).toContain('paw-node init')
  })

  it('refuses a corrupt file', async () => {
    expect((await refusal(await keyFile('{"type": "Ed25'))).message).toContain('not valid JSON')
  })

  it('refuses a priv_key that is not a key', async () => {
    const { file } = await validFile()
    const path = await keyFile({ ...file, priv_key: 'AAAA' })
    expect((await refusal(path)).message).toContain('not a valid libp2p private key')
  })

  it('refuses a key that is not Ed25519, by its type field and by its content', async () => {
    const { file } = await validFile()
    expect((await refusal(await keyFile({ ...file, type: 'secp256k1' }))).message).toContain('"Ed25519"')
    const other = await generateKeyPair('secp256k1')
    const path = await keyFile({
      type: 'Ed25519',
      priv_key: Buffer.from(privateKeyToProtobuf(other)).toString('base64'),
      peer_id: peerIdFromPrivateKey(other).toString(),
    })
    expect((await refusal(path)).message).toContain('secp256k1')
  })

  it('refuses a peer_id that does not match the key', async () => {
    const { file } = await validFile()
    const { file: other } = await validFile()
    const error = await refusal(await keyFile({ ...file, peer_id: other.peer_id }))
    expect(error.message).toContain('does not match')
    expect(error.message).toContain(file.peer_id)
  })

  it.each([0o644, 0o640, 0o604, 0o660])(
    'refuses a key file with mode %o and says how to fix it',
    async (m) => {
      const { file } = await validFile()
      const path = await keyFile(file, m)
      const error = await refusal(path)
      expect(error.message).toContain(`chmod 600 ${path}`)
      expect(error.message).toContain(`mode ${m.toString(8)}`)
    },
  )

  it('initHome refuses a home whose key was swapped for a bad one', async () => {
    const home = join(dir, 'h')
    await initHome({ home })
    await chmod(homePaths(home).keyFile, 0o644)
    await expect(initHome({ home })).rejects.toThrow(/chmod 600/)
  })
})

describe('legacyNodeId', () => {
  it('is the hex of the first 20 bytes of the raw public key', async () => {
    const key = await generateKeyPair('Ed25519')
    const id = legacyNodeId(key.publicKey)
    expect(id).toMatch(/^[0-9a-f]{40}$/)
    expect(id).toBe(Buffer.from(key.publicKey.raw).toString('hex').slice(0, 40))
  })
})
