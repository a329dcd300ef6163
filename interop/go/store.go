package main

import (
	"encoding/hex"
	"sync"

	"paw-interop-go/internal/chain"
)

// store holds the blocks this peer verified: by hash, and its best chain by height (the
// chain it synced, extended by gossiped blocks that link to its tip).
type store struct {
	mu     sync.Mutex
	blocks map[string][]byte // block hash (hex) → encoding
	best   []string          // height → block hash (hex)
	txs    map[string][]byte // transaction id (hex) → encoding (published, gossiped, fetched)
}

func newStore() *store {
	return &store{blocks: map[string][]byte{}, txs: map[string][]byte{}}
}

func (s *store) addTx(tx []byte) string {
	id := hex.EncodeToString(chain.Sha256(tx))
	s.mu.Lock()
	s.txs[id] = tx
	s.mu.Unlock()
	return id
}

func (s *store) tx(id []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.txs[hex.EncodeToString(id)]
}

// setBest replaces the best chain (after a sync).
func (s *store) setBest(blocks [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.best = s.best[:0]
	for _, b := range blocks {
		id := hex.EncodeToString(chain.Sha256(b[:185]))
		s.blocks[id] = b
		s.best = append(s.best, id)
	}
	s.extend()
}

// addBlock keeps a verified block, and extends the best chain if it links to the tip.
func (s *store) addBlock(b []byte) {
	id := hex.EncodeToString(chain.Sha256(b[:185]))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocks[id] = b
	s.extend()
}

// extend appends to the best chain every held block that links to its tip (blocks
// gossiped during a sync arrive before the chain they extend).
func (s *store) extend() {
	for len(s.best) > 0 {
		tip := s.best[len(s.best)-1]
		next := ""
		for id, b := range s.blocks {
			h, err := chain.DecodeHeader(b[:185])
			if err == nil && h.Height == uint64(len(s.best)) && hex.EncodeToString(h.PreviousHash) == tip {
				next = id
				break
			}
		}
		if next == "" {
			return
		}
		s.best = append(s.best, next)
	}
}

func (s *store) block(hash []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocks[hex.EncodeToString(hash)]
}

// bestRange returns the encodings at heights start.. (at most n).
func (s *store) bestRange(start, n uint64) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]byte
	for h := start; h < uint64(len(s.best)) && uint64(len(out)) < n; h++ {
		out = append(out, s.blocks[s.best[h]])
	}
	return out
}

func (s *store) tip() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.best) == 0 {
		return 0, false
	}
	return uint64(len(s.best) - 1), true
}
