package wire

import "encoding/binary"

// Mempool bounds (mempool.md).
const (
	MaxMempoolHashes          = 4096
	MaxTransactionsPerRequest = 256
)

func encodeHashList(hashes [][]byte, lo, hi int) ([]byte, error) {
	if len(hashes) < lo || len(hashes) > hi {
		return nil, fail(InvalidMessageFormat, "%d hashes", len(hashes))
	}
	seen := map[string]bool{}
	out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+32*len(hashes)), uint16(len(hashes)))
	for _, h := range hashes {
		if len(h) != HashBytes || seen[string(h)] {
			return nil, fail(InvalidMessageFormat, "bad or repeated hash")
		}
		seen[string(h)] = true
		out = append(out, h...)
	}
	return out, nil
}

func decodeHashList(payload []byte, lo, hi int) ([][]byte, error) {
	if len(payload) < 2 {
		return nil, fail(InvalidMessageFormat, "shorter than its count")
	}
	count := int(binary.BigEndian.Uint16(payload))
	if count < lo || count > hi {
		return nil, fail(InvalidMessageFormat, "count %d", count)
	}
	if len(payload) != 2+32*count {
		return nil, fail(InvalidMessageFormat, "%d bytes for count %d", len(payload), count)
	}
	return splitDistinct(payload[2:], 32, count)
}

func splitDistinct(b []byte, width, count int) ([][]byte, error) {
	seen := map[string]bool{}
	out := make([][]byte, count)
	for i := range out {
		e := b[width*i : width*(i+1)]
		if seen[string(e)] {
			return nil, fail(InvalidMessageFormat, "entry %d repeated", i)
		}
		seen[string(e)] = true
		out[i] = e
	}
	return out, nil
}

// EncodeMempoolHashes: up to 4096 distinct hashes.
func EncodeMempoolHashes(hashes [][]byte) ([]byte, error) {
	return encodeHashList(hashes, 0, MaxMempoolHashes)
}

// DecodeMempoolHashes reads an inventory.
func DecodeMempoolHashes(payload []byte) ([][]byte, error) {
	return decodeHashList(payload, 0, MaxMempoolHashes)
}

// EncodeGetTransactions: 1..256 distinct hashes.
func EncodeGetTransactions(hashes [][]byte) ([]byte, error) {
	return encodeHashList(hashes, 1, MaxTransactionsPerRequest)
}

// DecodeGetTransactions reads a request.
func DecodeGetTransactions(payload []byte) ([][]byte, error) {
	return decodeHashList(payload, 1, MaxTransactionsPerRequest)
}

// EncodeTransactions builds `[u16 found][found × tx][u16 missing][missing × hash]`.
func EncodeTransactions(txs, missing [][]byte) ([]byte, error) {
	n := len(txs) + len(missing)
	if n < 1 || n > MaxTransactionsPerRequest {
		return nil, fail(InvalidMessageFormat, "%d entries", n)
	}
	seen := map[string]bool{}
	out := binary.BigEndian.AppendUint16(nil, uint16(len(txs)))
	for _, t := range txs {
		if len(t) != TransactionBytes || seen[string(t)] {
			return nil, fail(InvalidMessageFormat, "bad or repeated transaction")
		}
		seen[string(t)] = true
		out = append(out, t...)
	}
	out = binary.BigEndian.AppendUint16(out, uint16(len(missing)))
	for _, h := range missing {
		if len(h) != HashBytes || seen[string(h)] {
			return nil, fail(InvalidMessageFormat, "bad or repeated hash")
		}
		seen[string(h)] = true
		out = append(out, h...)
	}
	return out, nil
}

// DecodeTransactions reads an answer.
func DecodeTransactions(payload []byte) (txs, missing [][]byte, err error) {
	if len(payload) < 2 {
		return nil, nil, fail(InvalidMessageFormat, "shorter than its count")
	}
	found := int(binary.BigEndian.Uint16(payload))
	if found > MaxTransactionsPerRequest {
		return nil, nil, fail(InvalidMessageFormat, "found %d", found)
	}
	m := 2 + TransactionBytes*found
	if len(payload) < m+2 {
		return nil, nil, fail(InvalidMessageFormat, "ends before the missing count")
	}
	miss := int(binary.BigEndian.Uint16(payload[m:]))
	if miss > MaxTransactionsPerRequest || found+miss < 1 || found+miss > MaxTransactionsPerRequest {
		return nil, nil, fail(InvalidMessageFormat, "found %d missing %d", found, miss)
	}
	if len(payload) != m+2+32*miss {
		return nil, nil, fail(InvalidMessageFormat, "%d bytes for the counts", len(payload))
	}
	if txs, err = splitDistinct(payload[2:m], TransactionBytes, found); err != nil {
		return nil, nil, err
	}
	if missing, err = splitDistinct(payload[m+2:], 32, miss); err != nil {
		return nil, nil, err
	}
	return txs, missing, nil
}

// Mempool stream limits (mempool.md "Frame limits"; the serving ceiling is 8,212 in
// mempool.vectors.json although the document gives the protocol one ceiling, 131,090).
var (
	MempoolTypes        = []string{"mempool_hashes", "get_transactions", "transactions"}
	MempoolOpenedByPeer = &Limits{Accepted: map[string]int{"mempool_hashes": 131090, "get_transactions": 8212}, Defined: MempoolTypes, Ceiling: 131090}
	MempoolServing      = &Limits{Accepted: map[string]int{"get_transactions": 8212}, Defined: MempoolTypes, Ceiling: 8212}
	MempoolRequesting   = &Limits{Accepted: map[string]int{}, Defined: MempoolTypes, Ceiling: 131090}
)

// MempoolAnswer is the table after get_transactions for k hashes: 18 + 152·k.
func MempoolAnswer(k int) *Limits {
	return &Limits{Accepted: map[string]int{"transactions": 18 + TransactionBytes*k}, Defined: MempoolTypes, Ceiling: 131090}
}
