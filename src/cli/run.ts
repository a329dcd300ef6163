/** Process entry of the CLI (bin/paw-node.js imports this under Node >= 22). */
import { main } from './main.ts'

process.exitCode = await main(process.argv.slice(2))
// Exit once the event loop drains; if a library left a handle open after a clean stop, do
// not hang the operator's terminal or a supervisor's restart (the timer itself keeps
// nothing alive).
setTimeout(() => process.exit(), 2_000).unref()
