/**
 * paw-node public API. Browser-safe: nothing reachable from here imports a Node built-in
 * (Node-only parts live under src/node/).
 */
export * from './errors.ts'
export { AGENT_VERSION, VERSION } from './version.ts'
export * from './wire/index.ts'
