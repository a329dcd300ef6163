package vectors

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"testing"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"google.golang.org/protobuf/proto"

	"paw-interop-go/internal/chain"
	"paw-interop-go/internal/wire"
)

type hashGroup struct {
	Valid []struct {
		Name    string
		Payload string
		Hash    string
	}
	Invalid       []invalidVector
	EncodeInvalid []struct{ Name, Hash, Error string }
}

type rangeGroup struct {
	Valid []struct {
		Name        string
		Payload     string
		StartHeight int64 `json:"startHeight"`
		Count       int64
	}
	Invalid       []invalidVector
	EncodeInvalid []struct {
		Name        string
		StartHeight float64 `json:"startHeight"`
		Count       float64
		Error       string
	}
}

func TestBlocksVectors(t *testing.T) {
	type listGroup struct {
		Valid []struct {
			Name    string
			Payload json.RawMessage
			Blocks  json.RawMessage
			Headers json.RawMessage
		}
		Invalid       []invalidVector
		EncodeInvalid []struct {
			Name    string
			Blocks  json.RawMessage
			Headers json.RawMessage
			Error   string
		}
	}
	var file struct {
		Samples struct {
			ChainID     string `json:"chainId"`
			GenesisHash string `json:"genesisHash"`
			NotHeld     string `json:"notHeld"`
			Block       struct{ Hash, Header, Hex string }
		}
		Frames                []frameVector
		GetBlock, NotFound    hashGroup
		GetBlocks, GetHeaders rangeGroup
		Blocks, Headers       listGroup
		Trimming              []struct {
			Name         string
			Request      string
			StartHeight  uint64 `json:"startHeight"`
			Count        uint64
			TipHeight    uint64 `json:"tipHeight"`
			BlockLengths []struct{ Length, Count int }
			AnswerCount  int
		}
		FrameLimits struct {
			Responder, Requesting limitTable
			Answers               []struct {
				Request string
				Count   int
				limitTable
			}
		}
	}
	if err := Load("blocks.vectors.json", &file); err != nil {
		t.Fatal(err)
	}
	// The sample block: its header hashes to its hash, its body matches its txRoot.
	block := mustHex(t, file.Samples.Block.Hex)
	header, txs, err := chain.SplitBlock(block)
	if err != nil || hex.EncodeToString(header) != file.Samples.Block.Header ||
		hex.EncodeToString(chain.Sha256(header)) != file.Samples.Block.Hash {
		t.Errorf("sample block: %v", err)
	}
	h, err := chain.DecodeHeader(header)
	if err != nil || !chain.BodyMatches(h, txs) || !chain.MeetsTarget(chain.Sha256(header), h.Target) ||
		hex.EncodeToString(h.PreviousHash) != file.Samples.GenesisHash {
		t.Errorf("sample block checks: %v", err)
	}
	if hex.EncodeToString(chain.Sha256([]byte("not a block"))) != file.Samples.NotHeld {
		t.Errorf("notHeld")
	}
	for _, f := range file.Frames {
		checkFrame(t, f)
	}
	for _, g := range []hashGroup{file.GetBlock, file.NotFound} {
		for _, v := range g.Valid {
			got, err := wire.DecodeHash(mustHex(t, v.Payload))
			enc, err2 := wire.EncodeHash(mustHex(t, v.Hash))
			if err != nil || err2 != nil || hex.EncodeToString(got) != v.Hash || hex.EncodeToString(enc) != v.Payload {
				t.Errorf("%s: %v %v", v.Name, err, err2)
			}
		}
		for _, v := range g.Invalid {
			_, err := wire.DecodeHash(mustBytes(t, v.Payload))
			wantCode(t, v.Name, err, v.Error)
		}
		for _, v := range g.EncodeInvalid {
			_, err := wire.EncodeHash(mustHex(t, v.Hash))
			wantCode(t, v.Name, err, v.Error)
		}
	}
	for _, g := range []rangeGroup{file.GetBlocks, file.GetHeaders} {
		for _, v := range g.Valid {
			r, err := wire.DecodeRange(mustHex(t, v.Payload))
			enc, err2 := wire.EncodeRange(v.StartHeight, v.Count)
			if err != nil || err2 != nil || int64(r.Start) != v.StartHeight || int64(r.Count) != v.Count || hex.EncodeToString(enc) != v.Payload {
				t.Errorf("%s: %v %v", v.Name, err, err2)
			}
		}
		for _, v := range g.Invalid {
			_, err := wire.DecodeRange(mustBytes(t, v.Payload))
			wantCode(t, v.Name, err, v.Error)
		}
		for _, v := range g.EncodeInvalid {
			var err error
			if v.StartHeight != float64(int64(v.StartHeight)) || v.Count != float64(int64(v.Count)) {
				err = &wire.CodeError{Code: wire.InvalidMessageFormat, Msg: "not an integer"}
			} else {
				_, err = wire.EncodeRange(int64(v.StartHeight), int64(v.Count))
			}
			wantCode(t, v.Name, err, v.Error)
		}
	}
	for _, v := range file.Blocks.Valid {
		payload := mustBytes(t, v.Payload)
		want, err := List(v.Blocks, "block")
		if err != nil {
			t.Fatal(err)
		}
		got, err := wire.DecodeBlocks(payload)
		if err != nil || !equalLists(got, want) {
			t.Errorf("%s: %v", v.Name, err)
		}
		enc, err := wire.EncodeBlocks(want)
		if err != nil || !bytes.Equal(enc, payload) {
			t.Errorf("%s: encode %v", v.Name, err)
		}
	}
	for _, v := range file.Blocks.Invalid {
		_, err := wire.DecodeBlocks(mustBytes(t, v.Payload))
		wantCode(t, v.Name, err, v.Error)
	}
	for _, v := range file.Blocks.EncodeInvalid {
		blocks, err := List(v.Blocks, "block")
		if err != nil {
			t.Fatal(err)
		}
		_, err = wire.EncodeBlocks(blocks)
		wantCode(t, v.Name, err, v.Error)
	}
	for _, v := range file.Headers.Valid {
		payload := mustBytes(t, v.Payload)
		want, err := List(v.Headers, "header")
		if err != nil {
			t.Fatal(err)
		}
		got, err := wire.DecodeHeaders(payload)
		if err != nil || !equalLists(got, want) {
			t.Errorf("%s: %v", v.Name, err)
		}
		enc, err := wire.EncodeHeaders(want)
		if err != nil || !bytes.Equal(enc, payload) {
			t.Errorf("%s: encode %v", v.Name, err)
		}
	}
	for _, v := range file.Headers.Invalid {
		_, err := wire.DecodeHeaders(mustBytes(t, v.Payload))
		wantCode(t, v.Name, err, v.Error)
	}
	for _, v := range file.Headers.EncodeInvalid {
		headers, err := List(v.Headers, "header")
		if err != nil {
			t.Fatal(err)
		}
		_, err = wire.EncodeHeaders(headers)
		wantCode(t, v.Name, err, v.Error)
	}
	for _, v := range file.Trimming {
		bound := uint64(wire.MaxHeadersPerAnswer)
		if v.Request == "get_blocks" {
			bound = wire.MaxBlocksPerAnswer
		}
		n := int(wire.RangeToServe(v.StartHeight, v.Count, bound, v.TipHeight))
		if v.Request == "get_blocks" {
			var sizes []int
			for _, l := range v.BlockLengths {
				for i := 0; i < l.Count; i++ {
					sizes = append(sizes, l.Length)
				}
			}
			n = wire.BlocksThatFit(sizes[:min(n, len(sizes))])
		}
		if n != v.AnswerCount {
			t.Errorf("%s: %d", v.Name, n)
		}
	}
	sameLimits(t, "responder", wire.BlocksResponder, file.FrameLimits.Responder)
	sameLimits(t, "requesting", wire.BlocksIdle, file.FrameLimits.Requesting)
	for _, a := range file.FrameLimits.Answers {
		sameLimits(t, a.Request, wire.BlocksAfter(a.Request, a.Count), a.limitTable)
	}
}

func TestGossipVectors(t *testing.T) {
	type idVector struct {
		Name, Topic, Data, ID string
	}
	var file struct {
		IDTags struct {
			Header, Malformed int
			Kinds             map[string]int
		}
		Topics struct {
			Valid []struct {
				Name, ChainID, Blocks, Transactions, Headers, Utf8 string
				Bytes                                              int
			}
			Invalid       []struct{ Name, Topic string }
			EncodeInvalid []struct{ Name, ChainID string }
		}
		Samples struct {
			ChainID     string `json:"chainId"`
			GenesisHash string `json:"genesisHash"`
			Block       struct {
				Header, Hash, TxRoot, Hex string
				Transactions              []string
			}
		}
		Envelopes  []struct{ Name, Topic, Data, Message, RPC, Stream string }
		MessageIds []idVector
		Twins      []idVector
	}
	if err := Load("gossip.vectors.json", &file); err != nil {
		t.Fatal(err)
	}
	for _, v := range file.Topics.Valid {
		for kind, want := range map[string]string{"blocks": v.Blocks, "transactions": v.Transactions, "headers": v.Headers} {
			got, ok := chain.Topic(v.ChainID, kind)
			id, _, parsed := chain.ParseTopic(want)
			if !ok || got != want || !parsed || id != v.ChainID {
				t.Errorf("%s %s: %q", v.Name, kind, got)
			}
		}
		if hex.EncodeToString([]byte(v.Transactions)) != v.Utf8 || len(v.ChainID) != v.Bytes {
			t.Errorf("%s: utf8", v.Name)
		}
	}
	for _, v := range file.Topics.Invalid {
		if _, _, ok := chain.ParseTopic(v.Topic); ok {
			t.Errorf("%s: parsed", v.Name)
		}
	}
	for _, v := range file.Topics.EncodeInvalid {
		if _, ok := chain.Topic(v.ChainID, "blocks"); ok {
			t.Errorf("%s: built", v.Name)
		}
	}
	for _, v := range append(file.MessageIds, file.Twins...) {
		if got := hex.EncodeToString(chain.MessageID(v.Topic, mustHex(t, v.Data))); got != v.ID {
			t.Errorf("%s: id %s, want %s", v.Name, got, v.ID)
		}
	}
	// The sample block: transactions, root, and the devnet accounts that sign and receive.
	var txs [][]byte
	for _, tx := range file.Samples.Block.Transactions {
		txs = append(txs, mustHex(t, tx))
	}
	if hex.EncodeToString(chain.MerkleRoot(chain.TxHashes(txs))) != file.Samples.Block.TxRoot {
		t.Errorf("sample txRoot")
	}
	t1, _ := chain.DecodeTransaction(txs[1])
	t2, _ := chain.DecodeTransaction(txs[2])
	coinbase, _ := chain.DecodeTransaction(txs[0])
	if !bytes.Equal(t1.From, chain.DevnetAddress(0)) || !bytes.Equal(t2.From, chain.DevnetAddress(1)) ||
		!bytes.Equal(coinbase.To, chain.DevnetAddress(1)) {
		t.Errorf("devnet accounts: account i is SHA-256(\"paw-devnet account i\") from 0")
	}
	for i, tx := range txs[1:] {
		if !chain.VerifyTransaction(tx, file.Samples.ChainID) || chain.VerifyTransaction(tx, "paw-testnet") {
			t.Errorf("signature of t%d", i+1)
		}
	}
	// Signing t1 again with account 0's seed gives the same bytes (Ed25519 is deterministic).
	again, err := chain.Sign(t1, chain.DevnetSeed(0), file.Samples.ChainID)
	if err != nil || !bytes.Equal(again, txs[1]) {
		t.Errorf("re-signing t1: %v", err)
	}
	// Envelopes: go-libp2p-pubsub's protobuf of an unsigned message is the vector's.
	for _, v := range file.Envelopes {
		data := mustHex(t, v.Data)
		topic := v.Topic
		rpc := &pb.RPC{Publish: []*pb.Message{{Data: data, Topic: &topic}}}
		raw, err := proto.Marshal(rpc)
		if err != nil || hex.EncodeToString(raw) != v.RPC {
			t.Errorf("%s: rpc %x", v.Name, raw)
		}
		stream := binary.AppendUvarint(nil, uint64(len(raw)))
		if hex.EncodeToString(append(stream, raw...)) != v.Stream {
			t.Errorf("%s: stream", v.Name)
		}
		var back pb.RPC
		if err := proto.Unmarshal(mustHex(t, v.RPC), &back); err != nil || len(back.Publish) != 1 ||
			back.Publish[0].From != nil || back.Publish[0].Seqno != nil || back.Publish[0].Signature != nil ||
			back.Publish[0].Key != nil || !bytes.Equal(back.Publish[0].Data, data) {
			t.Errorf("%s: decode %v", v.Name, err)
		}
	}
}
