package wire

import (
	"encoding/binary"
)

// Reference chain shape (blocks.md "Blocks, headers and hashes").
const (
	HashBytes           = 32
	HeaderBytes         = 185
	BlockPrefixBytes    = 189
	TransactionBytes    = 152
	MaxBlockBytes       = 10_485_696
	MaxBlocksPerAnswer  = 128
	MaxHeadersPerAnswer = 512
	MaxBlockAnswerBytes = 8 * 1024 * 1024
)

// IsBlockLength is the reference chain's block-length rule: 189 + 152·n, ≤ MaxBlockBytes.
func IsBlockLength(n int) bool {
	return n >= BlockPrefixBytes && n <= MaxBlockBytes && (n-BlockPrefixBytes)%TransactionBytes == 0
}

// EncodeHash is the payload of get_block and not_found.
func EncodeHash(hash []byte) ([]byte, error) {
	if len(hash) != HashBytes {
		return nil, fail(InvalidMessageFormat, "hash of %d bytes", len(hash))
	}
	return append([]byte(nil), hash...), nil
}

// DecodeHash reads a get_block or not_found payload: exactly 32 bytes.
func DecodeHash(payload []byte) ([]byte, error) { return EncodeHash(payload) }

// Range is a get_blocks or get_headers request.
type Range struct {
	Start uint32
	Count uint16
}

// EncodeRange refuses count 0 and values outside u32/u16.
func EncodeRange(start int64, count int64) ([]byte, error) {
	if start < 0 || start > 0xffffffff || count < 1 || count > 0xffff {
		return nil, fail(InvalidMessageFormat, "range %d, %d", start, count)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(start))
	return binary.BigEndian.AppendUint16(out, uint16(count)), nil
}

// DecodeRange reads exactly 6 bytes with a count of at least 1.
func DecodeRange(payload []byte) (Range, error) {
	if len(payload) != 6 {
		return Range{}, fail(InvalidMessageFormat, "range of %d bytes", len(payload))
	}
	r := Range{Start: binary.BigEndian.Uint32(payload), Count: binary.BigEndian.Uint16(payload[4:])}
	if r.Count == 0 {
		return Range{}, fail(InvalidMessageFormat, "count 0")
	}
	return r, nil
}

// EncodeBlocks builds `[u16 count] count × ([u32 length][block])`.
func EncodeBlocks(blocks [][]byte) ([]byte, error) {
	if len(blocks) > MaxBlocksPerAnswer {
		return nil, fail(InvalidMessageFormat, "%d blocks", len(blocks))
	}
	total := 0
	for _, b := range blocks {
		if !IsBlockLength(len(b)) {
			return nil, fail(InvalidMessageFormat, "block of %d bytes", len(b))
		}
		total += len(b)
	}
	if len(blocks) >= 2 && total > MaxBlockAnswerBytes {
		return nil, fail(InvalidMessageFormat, "blocks of %d bytes", total)
	}
	out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+4*len(blocks)+total), uint16(len(blocks)))
	for _, b := range blocks {
		out = binary.BigEndian.AppendUint32(out, uint32(len(b)))
		out = append(out, b...)
	}
	return out, nil
}

// DecodeBlocks splits a `blocks` payload by its length prefixes.
func DecodeBlocks(payload []byte) ([][]byte, error) {
	if len(payload) < 2 {
		return nil, fail(InvalidMessageFormat, "blocks shorter than its count")
	}
	count := int(binary.BigEndian.Uint16(payload))
	if count > MaxBlocksPerAnswer {
		return nil, fail(InvalidMessageFormat, "count %d", count)
	}
	blocks := make([][]byte, 0, count)
	o, total := 2, 0
	for i := 0; i < count; i++ {
		if o+4 > len(payload) {
			return nil, fail(InvalidMessageFormat, "short: length prefix %d", i)
		}
		n := int(binary.BigEndian.Uint32(payload[o:]))
		if !IsBlockLength(n) {
			return nil, fail(InvalidMessageFormat, "block length %d", n)
		}
		total += n
		if count >= 2 && total > MaxBlockAnswerBytes {
			return nil, fail(InvalidMessageFormat, "over the answer budget")
		}
		if o+4+n > len(payload) {
			return nil, fail(InvalidMessageFormat, "short: block %d", i)
		}
		blocks = append(blocks, payload[o+4:o+4+n])
		o += 4 + n
	}
	if o != len(payload) {
		return nil, fail(InvalidMessageFormat, "trailing bytes")
	}
	return blocks, nil
}

// EncodeHeaders builds `[u16 count] count × [185-byte header]`.
func EncodeHeaders(headers [][]byte) ([]byte, error) {
	if len(headers) > MaxHeadersPerAnswer {
		return nil, fail(InvalidMessageFormat, "%d headers", len(headers))
	}
	out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+HeaderBytes*len(headers)), uint16(len(headers)))
	for _, h := range headers {
		if len(h) != HeaderBytes {
			return nil, fail(InvalidMessageFormat, "header of %d bytes", len(h))
		}
		out = append(out, h...)
	}
	return out, nil
}

// DecodeHeaders reads a `headers` payload: exactly 2 + 185 · count bytes, count ≤ 512.
func DecodeHeaders(payload []byte) ([][]byte, error) {
	if len(payload) < 2 {
		return nil, fail(InvalidMessageFormat, "headers shorter than its count")
	}
	count := int(binary.BigEndian.Uint16(payload))
	if count > MaxHeadersPerAnswer {
		return nil, fail(InvalidMessageFormat, "count %d", count)
	}
	if len(payload) != 2+HeaderBytes*count {
		return nil, fail(InvalidMessageFormat, "headers of %d bytes for count %d", len(payload), count)
	}
	headers := make([][]byte, count)
	for i := range headers {
		headers[i] = payload[2+HeaderBytes*i : 2+HeaderBytes*(i+1)]
	}
	return headers, nil
}

// RangeToServe is blocks.md "Answers and trimming": min(count, bound, tip − start + 1).
func RangeToServe(start, count uint64, bound uint64, tip uint64) uint64 {
	if start > tip {
		return 0
	}
	return min(count, bound, tip-start+1)
}

// BlocksThatFit keeps the longest prefix of sizes totalling at most 8 MiB, the first
// always included.
func BlocksThatFit(sizes []int) int {
	total := 0
	for i, s := range sizes {
		total += s
		if i > 0 && total > MaxBlockAnswerBytes {
			return i
		}
	}
	return len(sizes)
}

// Blocks stream limits (blocks.md "Frame limits").
// r2 added get_block_transactions / block_transactions (compact blocks' missing transactions).
var BlocksTypes = []string{"get_block", "get_blocks", "get_headers", "blocks", "headers", "not_found", "get_block_transactions", "block_transactions"}

// MaxBlockTransactionIndexes is blocks.md's bound on k: floor(maxBlockBytes / 152).
const MaxBlockTransactionIndexes = 10_485_696 / 152

const blocksCeiling = 10_485_710

// BlocksResponder is a stream the peer opened (it asks).
var BlocksResponder = &Limits{Accepted: map[string]int{"get_block": 43, "get_blocks": 18, "get_headers": 19, "get_block_transactions": 2 + len("get_block_transactions") + 36 + 4*MaxBlockTransactionIndexes}, Defined: BlocksTypes, Ceiling: blocksCeiling}

// BlocksIdle is a stream we opened, between requests.
var BlocksIdle = &Limits{Accepted: map[string]int{}, Defined: BlocksTypes, Ceiling: blocksCeiling}

// BlocksAfter is a stream we opened after a request of type req for count entries.
func BlocksAfter(req string, count int) *Limits {
	switch req {
	case "get_block":
		return &Limits{Accepted: map[string]int{"blocks": blocksCeiling, "not_found": 43}, Defined: BlocksTypes, Ceiling: blocksCeiling}
	case "get_blocks":
		return &Limits{Accepted: map[string]int{"blocks": blocksCeiling}, Defined: BlocksTypes, Ceiling: blocksCeiling}
	default:
		return &Limits{Accepted: map[string]int{"headers": 9 + 2 + HeaderBytes*min(count, MaxHeadersPerAnswer)}, Defined: BlocksTypes, Ceiling: blocksCeiling}
	}
}
