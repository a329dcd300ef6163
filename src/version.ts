/** The package version; test/version.test.ts keeps it equal to package.json's. */
export const VERSION = '0.1.0'

/** libp2p identify agent version (DECISIONS.md "Transport and security"). */
export const AGENT_VERSION = `paw-node/${VERSION}`
