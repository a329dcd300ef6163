// Package chain holds what the interop peer needs of the reference chain
// (docs/chain.md): encodings, hashes, the Merkle root, proof of work, signatures, devnet
// accounts and the gossip message IDs of protocols/gossip.md. Written from the documents.
package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"paw-interop-go/internal/wire"
)

// MaxSafe is 2^53 − 1, the bound on heights and timestamps.
const MaxSafe = 1<<53 - 1

// ErrMalformed is docs/chain.md's MALFORMED.
var ErrMalformed = errors.New("MALFORMED")

// Header is docs/chain.md "Header: 185 bytes" (version 2).
type Header struct {
	Version      byte
	ChainID      string
	Height       uint64
	PreviousHash []byte
	Timestamp    uint64
	TxRoot       []byte
	StateRoot    []byte
	Target       []byte
	Nonce        uint64
}

// Transaction is docs/chain.md "Transaction: 152 bytes".
type Transaction struct {
	From, To           []byte
	Amount, Fee, Nonce uint64
	Signature          []byte
}

// DecodeHeader refuses anything but 185 bytes of version 2 with a valid chain ID field
// and height and timestamp ≤ 2^53 − 1.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) != wire.HeaderBytes || b[0] != 2 {
		return Header{}, fmt.Errorf("%w: header of %d bytes, version %d", ErrMalformed, len(b), first(b))
	}
	chainID, err := wire.ReadChainIDField(b[1:33])
	if err != nil {
		return Header{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	h := Header{
		Version:      2,
		ChainID:      chainID,
		Height:       binary.BigEndian.Uint64(b[33:]),
		PreviousHash: b[41:73],
		Timestamp:    binary.BigEndian.Uint64(b[73:]),
		TxRoot:       b[81:113],
		StateRoot:    b[113:145],
		Target:       b[145:177],
		Nonce:        binary.BigEndian.Uint64(b[177:]),
	}
	if h.Height > MaxSafe || h.Timestamp > MaxSafe {
		return Header{}, fmt.Errorf("%w: height or timestamp over 2^53 - 1", ErrMalformed)
	}
	return h, nil
}

func first(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

// SplitBlock returns the header bytes and the transactions of a block encoding:
// exactly 189 + 152·n bytes with n its count.
func SplitBlock(b []byte) (header []byte, txs [][]byte, err error) {
	if len(b) < wire.BlockPrefixBytes || (len(b)-wire.BlockPrefixBytes)%wire.TransactionBytes != 0 {
		return nil, nil, fmt.Errorf("%w: block of %d bytes", ErrMalformed, len(b))
	}
	n := binary.BigEndian.Uint32(b[185:189])
	if uint64(len(b)) != wire.BlockPrefixBytes+uint64(n)*wire.TransactionBytes {
		return nil, nil, fmt.Errorf("%w: count %d for %d bytes", ErrMalformed, n, len(b))
	}
	txs = make([][]byte, n)
	for i := range txs {
		o := wire.BlockPrefixBytes + i*wire.TransactionBytes
		txs[i] = b[o : o+wire.TransactionBytes]
	}
	return b[:185], txs, nil
}

// DecodeTransaction reads 152 bytes.
func DecodeTransaction(b []byte) (Transaction, error) {
	if len(b) != wire.TransactionBytes {
		return Transaction{}, fmt.Errorf("%w: transaction of %d bytes", ErrMalformed, len(b))
	}
	return Transaction{
		From: b[0:32], To: b[32:64],
		Amount: binary.BigEndian.Uint64(b[64:]), Fee: binary.BigEndian.Uint64(b[72:]),
		Nonce: binary.BigEndian.Uint64(b[80:]), Signature: b[88:152],
	}, nil
}

// EncodeTransaction writes the 152 bytes (signature as given, 64 bytes).
func EncodeTransaction(t Transaction) []byte {
	out := make([]byte, 0, wire.TransactionBytes)
	out = append(out, t.From...)
	out = append(out, t.To...)
	out = binary.BigEndian.AppendUint64(out, t.Amount)
	out = binary.BigEndian.AppendUint64(out, t.Fee)
	out = binary.BigEndian.AppendUint64(out, t.Nonce)
	sig := t.Signature
	if sig == nil {
		sig = make([]byte, 64)
	}
	return append(out, sig...)
}

// Sha256 is SHA-256 of the concatenation of parts.
func Sha256(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// MerkleRoot is docs/chain.md "Hashing": Bitcoin's construction, the last hash of an
// odd level paired with itself, 32 zero bytes for none.
func MerkleRoot(hashes [][]byte) []byte {
	if len(hashes) == 0 {
		return make([]byte, 32)
	}
	level := hashes
	for len(level) > 1 {
		next := make([][]byte, 0, (len(level)+1)/2)
		for i := 0; i < len(level); i += 2 {
			right := level[i]
			if i+1 < len(level) {
				right = level[i+1]
			}
			next = append(next, Sha256(level[i], right))
		}
		level = next
	}
	return level[0]
}

// TxHashes hashes each transaction encoding.
func TxHashes(txs [][]byte) [][]byte {
	out := make([][]byte, len(txs))
	for i, t := range txs {
		out[i] = Sha256(t)
	}
	return out
}

// MeetsTarget: the block hash, read as a 256-bit big-endian number, is ≤ target.
func MeetsTarget(hash, target []byte) bool { return bytes.Compare(hash, target) <= 0 }

// BodyMatches is what gossip.md needs for a block's ID: no transaction twice, and the
// Merkle root of the transaction hashes equal to the header's txRoot.
func BodyMatches(header Header, txs [][]byte) bool {
	hashes := TxHashes(txs)
	seen := map[string]bool{}
	for _, h := range hashes {
		if seen[string(h)] {
			return false
		}
		seen[string(h)] = true
	}
	return bytes.Equal(MerkleRoot(hashes), header.TxRoot)
}
