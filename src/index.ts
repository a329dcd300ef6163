/**
 * paw-node public API. Browser-safe: nothing reachable from here imports a Node built-in
 * (Node-only parts live under src/node/).
 */

// The public types (src/api/). The shapes inside them (the statistics' parts, the stored
// documents) are reachable through these and not exported by name.
export type {
  AnnounceResult,
  ChainSource,
  ChainTip,
  Direction,
  GossipBroadcast,
  GossipStats,
  HashInput,
  HeaderSource,
  MessageHandler,
  NodeChain,
  NodeStats,
  PawMessage,
  PawNode,
  PawNodeEvents,
  PawNodeInit,
  PeerInfo,
  PeerState,
  PeerStateEvent,
  PeerStats,
  ReceivedBlock,
  ReceivedHeader,
  ReceivedTransaction,
  ReorgEvent,
  SubmitResult,
  SyncProgress,
  SyncResult,
  TipEvent,
  TransactionRequestResult,
} from './api/index.ts'
export { describeAmount, formatPaw, PAW_DECIMALS, parsePaw } from './chain/amount.ts'
export {
  decodeBlock,
  decodeHeader,
  decodeTransaction,
  encodeBlock,
  encodeHeader,
  encodeTransaction,
} from './chain/encoding.ts'
export { ChainError, ChainErrorCode, isChainError } from './chain/errors.ts'
export { type FullChain, openFullChain } from './chain/full-chain.ts'
export { blockHash, txHash, txRoot } from './chain/hashing.ts'
export { HeaderChain } from './chain/header-chain.ts'
export { Mempool } from './chain/mempool/index.ts'
export { Miner } from './chain/miner.ts'
export {
  BUILT_IN_CHAINS,
  builtInParams,
  DEVNET_ACCOUNT_COUNT,
  devnetAccount,
  PAW_DEVNET,
  PAW_MAINNET,
  PAW_TESTNET,
  paramsFromJson,
} from './chain/params.ts'
export { ReferenceChain } from './chain/reference-chain.ts'
export { signTransaction, verifyTransactionSignature } from './chain/signing.ts'
export type { BlockStore } from './chain/store/block-store.ts'
export { IndexedDbBlockStore } from './chain/store/browser-store.ts'
export { MemoryBlockStore } from './chain/store/memory-store.ts'
// The reference chain (browser-safe parts; LevelDB is in paw-node/node).
export * from './chain/types.ts'
export { PROFILES, type ProfileName } from './config/defaults.ts'
export { ConfigError, resolveSettings, type Settings, type SettingsInput } from './config/settings.ts'
export { createPawNode } from './create-paw-node.ts'
export * from './errors.ts'
export { blockTopic, headerTopic, pawTopics, transactionTopic } from './gossip/topics.ts'
export { createLogger, type Logger } from './logging.ts'
export { parsePeerAddress } from './peers/address.ts'
export { RATE_LIMITS, type RateLimit, type RateLimitName } from './peers/rate-limits.ts'
export { HANDSHAKE_PROTOCOL } from './protocols/handshake/constants.ts'
export { isStateReadError, StateReadError, StateReadErrorCode } from './state-read-error.ts'
export { AGENT_VERSION, VERSION } from './version.ts'
export { fromHex, toHex } from './wire/bytes.ts'
export * from './wire/index.ts'
