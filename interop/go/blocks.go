package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"paw-interop-go/internal/chain"
	"paw-interop-go/internal/wire"
)

// ProtoBlocks is blocks.md's protocol id.
const ProtoBlocks = "/paw/blocks/1"

// Genesis hashes of docs/chain.md "Built-in chains".
var genesisHashes = map[string]string{
	"paw-devnet":  "8f3873fcd3eb2ddfaacd7e5e667753843c67e0d1ca729561c4a156b8641f8cbe",
	"paw-testnet": "ffc19a3a5c90c44f26ee4fbc2b1c0915b49141461cb8493e2b5aa14813f7a43f",
	"paw-mainnet": "82788490222d50236b57491dd15f5aa2b68664264fadda532fc67e7a6e511b59",
}

// registerBlocks answers requests from what the store holds (blocks.md "Answers and
// trimming"); a peer that holds no chain answers ranges with count 0.
func (a *app) registerBlocks() {
	a.h.SetStreamHandler(ProtoBlocks, func(s network.Stream) {
		if !a.isHandshaken(s.Conn().RemotePeer()) {
			_ = s.Reset()
			return
		}
		defer s.Close()
		fs := newFrameStream(s)
		for {
			typ, payload, err := fs.read(wire.BlocksResponder)
			if err != nil {
				if err != errEnd {
					_ = s.Reset()
				}
				return
			}
			answerType, answer, err := a.answerBlocks(typ, payload)
			fields := map[string]any{"peer": s.Conn().RemotePeer().String(), "request": typ, "answer": answerType}
			if err != nil {
				fields["error"] = err.Error()
				a.ev.emit("served", fields)
				_ = s.Reset()
				return
			}
			a.ev.emit("served", fields)
			if err := fs.write(answerType, answer); err != nil {
				_ = s.Reset()
				return
			}
		}
	})
}

func (a *app) answerBlocks(typ string, payload []byte) (string, []byte, error) {
	switch typ {
	case "get_block":
		hash, err := wire.DecodeHash(payload)
		if err != nil {
			return "", nil, err
		}
		if b := a.store.block(hash); b != nil {
			out, err := wire.EncodeBlocks([][]byte{b})
			return "blocks", out, err
		}
		out, err := wire.EncodeHash(hash)
		return "not_found", out, err
	case "get_block_transactions":
		// This peer relays no compact blocks (blocks.md r2): it holds none of their places to give,
		// so it answers as for a block it does not hold. [32 hash][u32 k ≥ 1] k × [u32 index].
		if len(payload) < 40 || (len(payload)-36)%4 != 0 {
			return "", nil, &wire.CodeError{Code: wire.InvalidMessageFormat, Msg: fmt.Sprintf("get_block_transactions of %d bytes", len(payload))}
		}
		out, err := wire.EncodeHash(payload[:32])
		return "not_found", out, err
	case "get_blocks", "get_headers":
		r, err := wire.DecodeRange(payload)
		if err != nil {
			return "", nil, err
		}
		var entries [][]byte
		if tip, ok := a.store.tip(); ok {
			bound := uint64(wire.MaxBlocksPerAnswer)
			if typ == "get_headers" {
				bound = wire.MaxHeadersPerAnswer
			}
			entries = a.store.bestRange(uint64(r.Start), wire.RangeToServe(uint64(r.Start), uint64(r.Count), bound, tip))
		}
		if typ == "get_headers" {
			headers := make([][]byte, len(entries))
			for i, b := range entries {
				headers[i] = b[:wire.HeaderBytes]
			}
			out, err := wire.EncodeHeaders(headers)
			return "headers", out, err
		}
		sizes := make([]int, len(entries))
		for i, b := range entries {
			sizes[i] = len(b)
		}
		out, err := wire.EncodeBlocks(entries[:wire.BlocksThatFit(sizes)])
		return "blocks", out, err
	}
	return "", nil, &wire.CodeError{Code: wire.InvalidMessageFormat, Msg: "type " + typ}
}

// blockRequester is one lock-step /paw/blocks/1 stream of ours.
type blockRequester struct{ fs *frameStream }

func (a *app) openBlocks(ctx context.Context, p peer.ID) (*blockRequester, error) {
	s, err := a.h.NewStream(ctx, p, ProtoBlocks)
	if err != nil {
		return nil, err
	}
	return &blockRequester{fs: newFrameStream(s)}, nil
}

func (r *blockRequester) close() { _ = r.fs.s.Close() }

func (r *blockRequester) headers(start uint32, count uint16) ([][]byte, error) {
	req, _ := wire.EncodeRange(int64(start), int64(count))
	if err := r.fs.write("get_headers", req); err != nil {
		return nil, err
	}
	typ, payload, err := r.fs.read(wire.BlocksAfter("get_headers", int(count)))
	if err != nil {
		return nil, err
	}
	if typ != "headers" {
		return nil, &wire.CodeError{Code: wire.UnexpectedMessage, Msg: typ}
	}
	return wire.DecodeHeaders(payload)
}

func (r *blockRequester) blocks(start uint32, count uint16) ([][]byte, error) {
	req, _ := wire.EncodeRange(int64(start), int64(count))
	if err := r.fs.write("get_blocks", req); err != nil {
		return nil, err
	}
	typ, payload, err := r.fs.read(wire.BlocksAfter("get_blocks", int(count)))
	if err != nil {
		return nil, err
	}
	if typ != "blocks" {
		return nil, &wire.CodeError{Code: wire.UnexpectedMessage, Msg: typ}
	}
	blocks, err := wire.DecodeBlocks(payload)
	if err == nil && len(blocks) > int(count) {
		err = &wire.CodeError{Code: wire.UnexpectedMessage, Msg: "more blocks than asked"}
	}
	return blocks, err
}

// block asks for one block by hash: its encoding, or nil for not_found.
func (r *blockRequester) block(hash []byte) ([]byte, error) {
	if err := r.fs.write("get_block", hash); err != nil {
		return nil, err
	}
	typ, payload, err := r.fs.read(wire.BlocksAfter("get_block", 1))
	if err != nil {
		return nil, err
	}
	switch typ {
	case "not_found":
		got, err := wire.DecodeHash(payload)
		if err == nil && !bytes.Equal(got, hash) {
			err = &wire.CodeError{Code: wire.UnexpectedMessage, Msg: "not_found for another hash"}
		}
		return nil, err
	case "blocks":
		blocks, err := wire.DecodeBlocks(payload)
		if err != nil {
			return nil, err
		}
		if len(blocks) != 1 || !bytes.Equal(chain.Sha256(blocks[0][:wire.HeaderBytes]), hash) {
			return nil, &wire.CodeError{Code: wire.UnexpectedMessage, Msg: "not the block asked for"}
		}
		return blocks[0], nil
	}
	return nil, &wire.CodeError{Code: wire.UnexpectedMessage, Msg: typ}
}

// merkleRoot is chain.MerkleRoot, or a wrong one when the peer is broken on purpose.
func (a *app) merkleRoot(hashes [][]byte) []byte {
	if a.broken("merkle") && len(hashes) > 1 {
		swapped := append([][]byte{hashes[1], hashes[0]}, hashes[2:]...)
		return chain.MerkleRoot(swapped)
	}
	return chain.MerkleRoot(hashes)
}

// checkBody is docs/chain.md rules 10–15 that need no state: every transaction decodes,
// none twice, the txRoot, the coinbase, each transfer's form and signature.
func (a *app) checkBody(h chain.Header, txs [][]byte) error {
	hashes := chain.TxHashes(txs)
	seen := map[string]bool{}
	for _, id := range hashes {
		if seen[string(id)] {
			return fmt.Errorf("DUPLICATE_TRANSACTION")
		}
		seen[string(id)] = true
	}
	if !bytes.Equal(a.merkleRoot(hashes), h.TxRoot) {
		return fmt.Errorf("BAD_TX_ROOT at height %d", h.Height)
	}
	if h.Height == 0 {
		return nil
	}
	zero := make([]byte, 32)
	for i, raw := range txs {
		tx, _ := chain.DecodeTransaction(raw)
		if i == 0 {
			if !bytes.Equal(tx.From, zero) || tx.Nonce != h.Height || tx.Fee != 0 || !bytes.Equal(tx.Signature, make([]byte, 64)) {
				return fmt.Errorf("BAD_COINBASE at height %d", h.Height)
			}
			continue
		}
		if bytes.Equal(tx.From, zero) || tx.Amount == 0 || bytes.Equal(tx.From, tx.To) {
			return fmt.Errorf("BAD_TRANSACTION at height %d", h.Height)
		}
		if !chain.VerifyTransaction(raw, a.chainID) {
			return fmt.Errorf("BAD_SIGNATURE at height %d", h.Height)
		}
	}
	return nil
}

// checkHeader is what a header alone shows: it decodes, its chain, its proof of work.
func (a *app) checkHeader(raw []byte) (chain.Header, error) {
	h, err := chain.DecodeHeader(raw)
	if err != nil {
		return h, err
	}
	if h.ChainID != a.chainID {
		return h, fmt.Errorf("WRONG_CHAIN %q", h.ChainID)
	}
	if h.Height > 0 && !chain.MeetsTarget(chain.Sha256(raw), h.Target) {
		return h, fmt.Errorf("BAD_PROOF_OF_WORK at height %d", h.Height)
	}
	return h, nil
}

// sync fetches p's best chain, headers first then bodies, and verifies it.
func (a *app) sync(ctx context.Context, p peer.ID) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	r, err := a.openBlocks(ctx, p)
	if err != nil {
		return nil, err
	}
	defer r.close()
	result := map[string]any{"peer": p.String()}
	var headers [][]byte
	var previous []byte
	requests := 0
	for {
		batch, err := r.headers(uint32(len(headers)), 0xffff)
		requests++
		if err != nil {
			return result, fmt.Errorf("get_headers from %d: %w", len(headers), err)
		}
		if len(batch) == 0 {
			break
		}
		for _, raw := range batch {
			h, err := a.checkHeader(raw)
			if err != nil {
				return result, err
			}
			if h.Height != uint64(len(headers)) {
				return result, fmt.Errorf("BAD_HEIGHT %d, expected %d", h.Height, len(headers))
			}
			if h.Height == 0 {
				if want, ok := genesisHashes[a.chainID]; ok && hex.EncodeToString(chain.Sha256(raw)) != want {
					return result, fmt.Errorf("genesis hash %x, docs/chain.md gives %s", chain.Sha256(raw), want)
				}
				previous = make([]byte, 32)
			}
			if !bytes.Equal(h.PreviousHash, previous) {
				return result, fmt.Errorf("previousHash at height %d does not link", h.Height)
			}
			previous = chain.Sha256(raw)
			headers = append(headers, raw)
		}
	}
	if len(headers) == 0 {
		return result, fmt.Errorf("no headers")
	}
	result["headers"], result["headerRequests"] = len(headers), requests
	var blocks [][]byte
	transfers, multi := 0, 0
	for len(blocks) < len(headers) {
		batch, err := r.blocks(uint32(len(blocks)), uint16(min(len(headers)-len(blocks), 0xffff)))
		if err != nil {
			return result, fmt.Errorf("get_blocks from %d: %w", len(blocks), err)
		}
		if len(batch) == 0 {
			return result, fmt.Errorf("get_blocks from %d: empty below the tip", len(blocks))
		}
		for _, raw := range batch {
			height := len(blocks)
			if height >= len(headers) {
				break
			}
			header, txs, err := chain.SplitBlock(raw)
			if err != nil {
				return result, err
			}
			if !bytes.Equal(header, headers[height]) {
				return result, fmt.Errorf("block at height %d is not the header synced there", height)
			}
			h, _ := chain.DecodeHeader(header)
			if err := a.checkBody(h, txs); err != nil {
				return result, err
			}
			if height > 0 {
				transfers += len(txs) - 1
				if len(txs) > 1 {
					multi++
				}
			}
			blocks = append(blocks, raw)
		}
	}
	a.store.setBest(blocks)
	tip := chain.Sha256(headers[len(headers)-1])
	got, err := r.block(tip)
	if err != nil || got == nil {
		return result, fmt.Errorf("get_block of the tip: %v (found %v)", err, got != nil)
	}
	notHeld := chain.Sha256([]byte("not a block"))
	if got, err := r.block(notHeld); err != nil || got != nil {
		return result, fmt.Errorf("get_block of notHeld: %v (found %v)", err, got != nil)
	}
	result["height"], result["tip"] = len(headers)-1, hex.EncodeToString(tip)
	result["blocks"], result["transfers"], result["blocksWithTransfers"] = len(blocks), transfers, multi
	result["checked"] = []string{"chain", "height", "links", "genesis", "proofOfWork", "txRoot", "duplicates", "coinbase", "signatures", "getBlock", "notFound"}
	return result, nil
}
