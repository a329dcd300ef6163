/**
 * paw-node public API. Browser-safe: nothing reachable from here imports a Node built-in
 * (Node-only parts live under src/node/).
 */

export * from './api.ts'
export { PROFILES, type ProfileName } from './config/defaults.ts'
export { ConfigError, resolveSettings, type Settings, type SettingsInput } from './config/settings.ts'
export { createPawNode } from './create-paw-node.ts'
export * from './errors.ts'
export { createLogger, type Logger } from './logging.ts'
export { parsePeerAddress } from './peers/address.ts'
export { HANDSHAKE_PROTOCOL } from './protocols/handshake/constants.ts'
export { AGENT_VERSION, VERSION } from './version.ts'
export * from './wire/index.ts'
