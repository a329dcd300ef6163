package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"paw-interop-go/internal/chain"
	"paw-interop-go/internal/wire"
)

// ProtoMempool is mempool.md's protocol id.
const ProtoMempool = "/paw/mempool/1"

func hexes(list [][]byte) []string {
	out := make([]string, len(list))
	for i, b := range list {
		out[i] = hex.EncodeToString(b)
	}
	return out
}

// registerMempool: a stream the peer opens starts with its inventory (which we fetch)
// or with a get_transactions (which we answer, one at a time).
func (a *app) registerMempool() {
	a.h.SetStreamHandler(ProtoMempool, func(s network.Stream) {
		p := s.Conn().RemotePeer()
		if !a.isHandshaken(p) {
			_ = s.Reset()
			return
		}
		defer s.Close()
		fs := newFrameStream(s)
		typ, payload, err := fs.read(wire.MempoolOpenedByPeer)
		if err != nil {
			_ = s.Reset()
			return
		}
		if typ == "mempool_hashes" {
			a.fetchInventory(fs, p, payload)
			return
		}
		for {
			hashes, err := wire.DecodeGetTransactions(payload)
			if err != nil {
				_ = s.Reset()
				return
			}
			var found, missing [][]byte
			for _, h := range hashes {
				if tx := a.store.tx(h); tx != nil {
					found = append(found, tx)
				} else {
					missing = append(missing, h)
				}
			}
			answer, err := wire.EncodeTransactions(found, missing)
			if err != nil || fs.write("transactions", answer) != nil {
				_ = s.Reset()
				return
			}
			a.ev.emit("served", map[string]any{"peer": p.String(), "request": "get_transactions", "found": len(found), "missing": len(missing)})
			if typ, payload, err = fs.read(wire.MempoolServing); err != nil {
				return
			}
		}
	})
}

// fetchInventory takes a peer's mempool_hashes and fetches what it does not hold, 256
// hashes per request, checking each answer against its request.
func (a *app) fetchInventory(fs *frameStream, p peer.ID, payload []byte) {
	fields := map[string]any{"peer": p.String()}
	hashes, err := wire.DecodeMempoolHashes(payload)
	if err != nil {
		fields["error"] = err.Error()
		a.ev.emit("inventory", fields)
		_ = fs.s.Reset()
		return
	}
	fields["hashes"] = hexes(hashes)
	var want [][]byte
	for _, h := range hashes {
		if a.store.tx(h) == nil {
			want = append(want, h)
		}
	}
	var fetched, notFound []string
	valid := 0
	for len(want) > 0 {
		batch := want[:min(len(want), wire.MaxTransactionsPerRequest)]
		want = want[len(batch):]
		txs, missing, err := a.requestTransactions(fs, batch)
		if err != nil {
			fields["error"] = err.Error()
			break
		}
		for _, tx := range txs {
			if chain.VerifyTransaction(tx, a.chainID) {
				valid++
			}
			fetched = append(fetched, a.store.addTx(tx))
		}
		notFound = append(notFound, hexes(missing)...)
	}
	fields["fetched"], fields["notFound"], fields["validSignatures"] = fetched, notFound, valid
	a.ev.emit("inventory", fields)
}

// requestTransactions sends one get_transactions and checks the answer: each hash once,
// found or missing, in request order.
func (a *app) requestTransactions(fs *frameStream, hashes [][]byte) ([][]byte, [][]byte, error) {
	req, err := wire.EncodeGetTransactions(hashes)
	if err != nil {
		return nil, nil, err
	}
	if err := fs.write("get_transactions", req); err != nil {
		return nil, nil, err
	}
	typ, payload, err := fs.read(wire.MempoolAnswer(len(hashes)))
	if err != nil {
		return nil, nil, err
	}
	if typ != "transactions" {
		return nil, nil, &wire.CodeError{Code: wire.UnexpectedMessage, Msg: typ}
	}
	txs, missing, err := wire.DecodeTransactions(payload)
	if err != nil {
		return nil, nil, err
	}
	// Found entries in request order, then the missing ones in request order.
	i, j := 0, 0
	for _, h := range hashes {
		switch {
		case i < len(txs) && bytes.Equal(chain.Sha256(txs[i]), h):
			i++
		case j < len(missing) && bytes.Equal(missing[j], h):
			j++
		default:
			return nil, nil, &wire.CodeError{Code: wire.UnexpectedMessage, Msg: "answer does not match the request"}
		}
	}
	if i != len(txs) || j != len(missing) {
		return nil, nil, &wire.CodeError{Code: wire.UnexpectedMessage, Msg: "answer does not match the request"}
	}
	return txs, missing, nil
}

// getTransactions is TRANSACTION_REQUEST alone: a stream whose first frame is a request.
func (a *app) getTransactions(ctx context.Context, p peer.ID, hashes [][]byte) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := a.h.NewStream(ctx, p, ProtoMempool)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	txs, missing, err := a.requestTransactions(newFrameStream(s), hashes)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, tx := range txs {
		found = append(found, hex.EncodeToString(chain.Sha256(tx)))
	}
	return map[string]any{"found": found, "notFound": hexes(missing)}, nil
}
