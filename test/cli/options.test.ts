/** The `start` flags: what they set, and the usage errors that name a malformed one. */
import { describe, expect, it } from 'vitest'
import { parseFlags, START_OPTIONS, settingsFromFlags, UsageError } from '../../src/cli/options.ts'
import { definitionOf, SETTING_KEYS, SETTING_NAMES } from '../../src/config/settings.ts'

const PEER = '12D3KooWLJszRpqqnvtfS6a8QXCFBQ8UYBjVxAaKRAn57N745mqN'

const fromArgs = (args: string[]) => settingsFromFlags(parseFlags(args, START_OPTIONS))

function usageError(args: string[]): UsageError {
  try {
    fromArgs(args)
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return error as UsageError
  }
  throw new Error(`accepted ${args.join(' ')}`)
}

describe('start flags', () => {
  it('set the settings they name, and only those', () => {
    const { input, sources } = fromArgs([
      '--chain-id=paw-devnet',
      '--port',
      '0',
      '--ws-port',
      'off',
      '--listen-host',
      '127.0.0.1',
      '--max-inbound',
      '7',
      '--profile',
      'low-resource',
      '--log-level',
      'debug',
      '--log-format',
      'json',
    ])
    expect(input).toEqual({
      chainId: 'paw-devnet',
      tcpPort: 0,
      wsPort: null,
      listenHost: '127.0.0.1',
      limits: { maxInbound: 7 },
      profile: 'low-resource',
      logLevel: 'debug',
      logFormat: 'json',
    })
    expect(sources.get(SETTING_KEYS.maxInbound)).toBe('--max-inbound')
    expect(sources.get(SETTING_KEYS.wsPort)).toBe('--ws-port')
    expect(sources.has(SETTING_KEYS.maxPeers)).toBe(false)
  })

  it('exist for exactly the settings whose definition names a flag, plus --mine', () => {
    const own = SETTING_NAMES.flatMap((name) => definitionOf(name).flag ?? [])
    expect(Object.keys(START_OPTIONS).sort()).toEqual(['help', 'home', 'mine', ...own].sort())
  })

  it('--seeds none clears the seeds; --seed-mode, the TLS files and the memory budget set theirs', () => {
    const { input, sources } = fromArgs([
      '--seeds',
      'none',
      '--seed-mode',
      '--ws-tls-cert',
      'cert.pem',
      '--ws-tls-key',
      'key.pem',
      '--max-buffer-mib',
      '300',
      '--max-hashrate',
      '5',
    ])
    expect(input).toEqual({
      seeds: [],
      seedMode: true,
      wsTlsCertFile: 'cert.pem',
      wsTlsKeyFile: 'key.pem',
      bufferMemory: { nodeMiB: 300 },
      minerHashesPerSecond: 5,
    })
    expect(sources.get(SETTING_KEYS.nodeMiB)).toBe('--max-buffer-mib')
    expect(sources.get(SETTING_KEYS.seedMode)).toBe('--seed-mode')
  })

  it('take several peers: the flag repeated, and values separated by commas', () => {
    const a = `/ip4/10.0.0.1/tcp/26656/p2p/${PEER}`
    const b = `${PEER}@10.0.0.2:26656`
    const c = `${PEER}@seed.example.org:26656`
    const { input } = fromArgs(['--bootstrap', `${a}, ${b}`, '--bootstrap', c, '--persistent-peers', b])
    expect(input.bootstrap).toEqual([a, b, c])
    expect(input.persistentPeers).toEqual([b])
  })

  it('--admin-listen sets admin.listen; off turns it off; the loopback rule is left to resolveSettings', () => {
    const { input, sources } = fromArgs(['--admin-listen', '127.0.0.1:0'])
    expect(input).toEqual({ adminListen: '127.0.0.1:0' })
    expect(sources.get(SETTING_KEYS.adminListen)).toBe('--admin-listen')
    expect(fromArgs(['--admin-listen', 'off']).input).toEqual({ adminListen: null })
    expect(fromArgs(['--admin-listen', '0.0.0.0:26658']).input).toEqual({ adminListen: '0.0.0.0:26658' })
  })

  it.each([
    [['--admin-listen', '26658'], '--admin-listen: expected host:port'],
    [['--max-inbound', 'abc'], '--max-inbound must be an integer, got "abc"'],
    [['--port', '26656x'], '--port must be an integer'],
    [['--max-peers', '1.5'], '--max-peers must be an integer'],
    [['--profile', 'fast'], '--profile must be one of default, high-traffic, low-resource'],
    [['--log-level', 'trace'], '--log-level must be one of debug, info, warn, error'],
    [['--log-format', 'xml'], '--log-format must be one of plain, json'],
    [['--bootstrap', `/ip4/10.0.0.1/tcp/26656/p2p/${PEER},bogus`], '--bootstrap: expected a multiaddr'],
    [['--persistent-peers', '/ip4/999.1.1.1/tcp/1'], '--persistent-peers: not a valid multiaddr'],
    [['--port'], "Option '--port <value>' argument missing"],
    [['--prot', '1'], "Unknown option '--prot'"],
    [['extra'], 'Unexpected argument'],
  ])('refuse %j, naming the flag', (args, message) => {
    expect(usageError(args).message).toContain(message)
  })
})

describe('node type flags', () => {
  it('--type sets node_type; --mine is --type miner', () => {
    expect(fromArgs(['--type', 'light']).input.nodeType).toBe('light')
    const mined = fromArgs(['--mine'])
    expect(mined.input.nodeType).toBe('miner')
    expect(mined.sources.get(SETTING_KEYS.nodeType)).toBe('--mine')
    expect(fromArgs(['--mine', '--type', 'miner']).input.nodeType).toBe('miner')
  })

  it('refuses an unknown type and --mine with another type', () => {
    expect(usageError(['--type', 'archive']).message).toMatch(/--type/)
    expect(usageError(['--mine', '--type', 'full']).message).toMatch(/--mine contradicts --type full/)
  })
})
