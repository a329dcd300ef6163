/** Process entry of the CLI (bin/paw-node.js imports this under Node >= 22). */
import { main } from './main.ts'

process.exitCode = main(process.argv.slice(2))
