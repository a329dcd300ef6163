/**
 * Import rules of the layers (README "Architecture"; STYLE.md "Our layout"), checked by
 * `npm run check:imports` as part of `npm test`. Each rule says why in its comment.
 */
/** The network layer: it knows a chain only through src/ports (issue 16). */
const NETWORK = '^src/(protocols|gossip|sync|peers|wire)/'
/** Chains: the reference chain and the second, proof-of-authority one. */
const CHAINS = '^src/(chain|authority-chain)/'

module.exports = {
  forbidden: [
    {
      name: 'network-never-imports-a-chain',
      comment:
        'src/protocols, gossip, sync, peers and wire move encodings and ask the chain port (src/ports/chain.ts); a chain plugs in without touching them (docs/chain-port.md)',
      severity: 'error',
      from: { path: NETWORK },
      to: { path: CHAINS },
    },
    {
      name: 'network-never-imports-the-assembly-or-node',
      comment:
        'the network layer is built by src/assembly; it never reaches up to it, the facade, src/node or the CLI',
      severity: 'error',
      from: { path: NETWORK },
      to: { path: '^src/(assembly/|node/|cli/|paw-node\\.ts|create-paw-node\\.ts|index\\.ts)' },
    },
    {
      name: 'ports-import-nothing-internal',
      comment: 'the port is the contract between the network and any chain: it depends on neither',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { path: '^src/', pathNot: '^src/ports/' },
    },
    {
      name: 'chains-never-import-the-network',
      comment: 'a chain implements the port; it does not drive the network (the node assembly joins them)',
      severity: 'error',
      from: { path: CHAINS },
      to: { path: '^src/(protocols|gossip|sync|peers|assembly|node|cli)/' },
    },
    {
      name: 'api-types-import-nothing-internal',
      comment:
        'the public types (src/api/) are what a dApp programs against: they import only each other, the ports, the reference chain’s public types and the settings’ types',
      severity: 'error',
      from: { path: '^src/api/' },
      // Two more, by type only, for PawNodeInit and PawNode: config/settings.ts, whose Settings
      // and SettingsInput are derived from the definitions of the settings (a copy here would
      // drift from them), and chain/store/block-store.ts, the reference chain's public store
      // interface (headerStore), which imports only chain/types.ts. no-circular keeps both from reaching back.
      to: {
        path: '^src/',
        pathNot: '^src/(api/|ports/|chain/types\\.ts|chain/store/block-store\\.ts|config/settings\\.ts)',
      },
    },
    {
      name: 'browser-entry-reaches-no-node-builtin',
      comment:
        'src/index.ts is the browser-safe entry (package.json "browser"): nothing it reaches may need Node',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      // Node built-ins are imported as node:… here (biome's useNodejsImportProtocol).
      to: { path: '^node:', reachable: true },
    },
    {
      name: 'browser-entry-reaches-no-node-module',
      comment: 'src/node/ and src/cli/ are Node-only (TCP, LevelDB, files): unreachable from src/index.ts',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/(node|cli)/', reachable: true },
    },
    {
      name: 'no-circular',
      comment: 'a cycle, even of types only, means two modules are one job split wrong',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
