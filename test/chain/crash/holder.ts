/**
 * Child process for the "locked by another process" test: opens a LevelBlockStore at
 * argv[2], prints `ready`, and holds it until its stdin closes (or it is killed).
 */
import { writeSync } from 'node:fs'
import { LevelBlockStore } from '../../../src/chain/store/level-store.ts'

const path = process.argv[2]
if (path === undefined) throw new Error('usage: holder.ts <store dir>')
const store = new LevelBlockStore(path)
await store.open()
writeSync(1, 'ready\n')
process.stdin.resume()
process.stdin.on('end', () => {
  void store.close().then(() => process.exit(0))
})
