/**
 * The library as a dApp or service embeds it (issue 17, item 11): quiet by default (warnings
 * and errors only, no INFO on the host's stderr), `false` turns a listener off as in
 * config.toml, and a bad option is reported by the option's own name. Each case runs a real
 * node in a child process of the project's Node, importing the built package (dist/).
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../support/system-node.ts'

/** Runs `body` (an async function body given `createPawNode`) in a fresh process. */
function runEmbedded(body: string) {
  const script = `
    import { createPawNode } from 'paw-node/node'
    const run = async () => { ${body} }
    await run()
  `
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 60_000,
  })
}

const LIGHT = `type: 'light', chainId: 'paw-devnet', listenHost: '127.0.0.1', tcpPort: 0`

describe('createPawNode, embedded', () => {
  it('logs nothing at INFO unless asked; logLevel info brings the lines back', () => {
    const quiet = runEmbedded(`
      const node = await createPawNode({ ${LIGHT}, wsPort: null })
      await node.start()
      await node.stop()
      console.log('done')
    `)
    expect(quiet.status, quiet.stderr).toBe(0)
    expect(quiet.stdout.trim()).toBe('done')
    expect(quiet.stderr).toBe('')

    const told = runEmbedded(`
      const node = await createPawNode({ ${LIGHT}, wsPort: null, logLevel: 'info' })
      await node.start()
      await node.stop()
    `)
    expect(told.status, told.stderr).toBe(0)
    expect(told.stderr).toContain('INFO  node started')
  })

  it('wsPort: false turns WebSockets off, as ws_port = false does in config.toml', () => {
    const result = runEmbedded(`
      const node = await createPawNode({ ${LIGHT}, wsPort: false })
      await node.start()
      console.log(node.getMultiaddrs().map(String).join('\\n'))
      await node.stop()
    `)
    expect(result.status, result.stderr).toBe(0)
    const addresses = result.stdout.trim().split('\n')
    expect(addresses.length).toBeGreaterThan(0)
    for (const address of addresses) expect(address).not.toContain('/ws')
  })

  it('a bad option is named as the caller wrote it, with its config.toml key after it', () => {
    const result = runEmbedded(`
      try {
        await createPawNode({ ${LIGHT}, limits: { maxInbound: -1 } })
        console.log('accepted')
      } catch (error) {
        console.log(error.code + ' ' + error.message)
      }
    `)
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout.trim()).toMatch(
      /^ERR_INVALID_CONFIG invalid option limits\.maxInbound \(p2p\.max_inbound in config\.toml\): /,
    )
  })
})
