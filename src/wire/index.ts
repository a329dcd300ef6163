export {
  BLOCK_HASH_LENGTH,
  type BlockLengthRule,
  BlocksFrameType,
  blocksPayloadLength,
  blocksThatFit,
  decodeBlocks,
  decodeGetBlock,
  decodeGetBlocks,
  decodeGetHeaders,
  decodeHeaders,
  decodeNotFound,
  encodeBlocks,
  encodeBlocksParts,
  encodeGetBlock,
  encodeGetBlocks,
  encodeGetHeaders,
  encodeHeaders,
  encodeNotFound,
  MAX_BLOCK_ANSWER_BYTES,
  MAX_BLOCK_ENCODING_BYTES,
  MAX_BLOCKS_PER_ANSWER,
  MAX_HEADERS_PER_ANSWER,
  type RangeRequest,
  rangeToServe,
} from './blocks.ts'
export { type ByteInput, contiguous } from './bytes.ts'
export * from './constants.ts'
export { type EncodeFrameOptions, encodeFrame, encodeFrameHeader, type Frame, isTypeByte } from './frame.ts'
export { type DecodedItem, FrameDecoder, type FrameDecoderOptions } from './frame-decoder.ts'
export { type ByteChunk, decodeFrames } from './frame-stream.ts'
export {
  checkHandshake,
  decodeChainId,
  decodeHandshake,
  decodeReject,
  encodeChainId,
  encodeHandshake,
  encodeReject,
  type Handshake,
  type HandshakeExpectation,
  type Reject,
} from './handshake.ts'
export { type IpFamily, ipFamily, isIPv4, isIPv6 } from './ip.ts'
export {
  decodeGetTransactions,
  decodeMempoolHashes,
  decodeTransactions,
  encodeGetTransactions,
  encodeMempoolHashes,
  encodeTransactions,
  MAX_MEMPOOL_HASHES,
  MAX_TRANSACTIONS_PER_REQUEST,
  MEMPOOL_HASH_LENGTH,
  type TransactionsResponse,
} from './mempool.ts'
export {
  decodeGetPeers,
  decodePeerList,
  encodeGetPeers,
  encodePeerList,
  type PeerAddress,
  type PeerList,
  type SkippedPeerEntry,
} from './peer-list.ts'
