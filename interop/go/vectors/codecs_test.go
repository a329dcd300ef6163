package vectors

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"

	"paw-interop-go/internal/wire"
)

type invalidVector struct {
	Name    string
	Payload json.RawMessage
	Error   string
}

func wantCode(t *testing.T, name string, err error, code string) {
	t.Helper()
	want, cerr := Code(code)
	if cerr != nil {
		t.Fatal(cerr)
	}
	if err == nil || wire.CodeOf(err) != want {
		t.Errorf("%s: got %v, want %s", name, err, code)
	}
}

func mustBytes(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	b, err := Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type frameVector struct {
	Name    string
	Type    string
	Payload json.RawMessage
	Hex     string
}

func checkFrame(t *testing.T, v frameVector) {
	t.Helper()
	payload := mustBytes(t, v.Payload)
	enc, err := wire.EncodeFrame(v.Type, payload)
	if err != nil || hex.EncodeToString(enc) != v.Hex {
		t.Errorf("%s: encode %v", v.Name, err)
	}
	events := wire.NewDecoder(nil).Push(mustHex(t, v.Hex))
	if len(events) != 1 || events[0].Type != v.Type || !bytes.Equal(events[0].Payload, payload) {
		t.Errorf("%s: decode %s", v.Name, describe(events))
	}
}

type limitTable struct {
	Accepted map[string]int
	Ceiling  int
}

func sameLimits(t *testing.T, name string, got *wire.Limits, want limitTable) {
	t.Helper()
	if got.Ceiling != want.Ceiling || len(got.Accepted) != len(want.Accepted) {
		t.Errorf("%s: limits %+v, want %+v", name, got, want)
		return
	}
	for k, v := range want.Accepted {
		if got.Accepted[k] != v {
			t.Errorf("%s: %s ≤ %d, want %d", name, k, got.Accepted[k], v)
		}
	}
}

func TestHandshakeVectors(t *testing.T) {
	var file struct {
		Local struct {
			Version int
			ChainID string `json:"chainId"`
		}
		Frame     frameVector
		Handshake struct {
			Valid []struct {
				Name      string
				Payload   string
				Handshake struct {
					Version int
					ChainID string `json:"chainId"`
					NodeID  string `json:"nodeId"`
				}
			}
			Invalid       []invalidVector
			EncodeInvalid []struct{ Name, ChainID, Error string }
		}
		Reject struct {
			Valid []struct {
				Name    string
				Payload string
				Reject  struct {
					Code   int
					Reason string
				}
			}
			Invalid []invalidVector
		}
		FrameLimits struct{ Listener, Dialer limitTable }
	}
	if err := Load("handshake.vectors.json", &file); err != nil {
		t.Fatal(err)
	}
	checkFrame(t, file.Frame)
	for _, v := range file.Handshake.Valid {
		h, err := wire.DecodeHandshake(mustHex(t, v.Payload))
		if err != nil || int(h.Version) != v.Handshake.Version || h.ChainID != v.Handshake.ChainID ||
			hex.EncodeToString(h.NodeID) != v.Handshake.NodeID {
			t.Errorf("%s: %+v %v", v.Name, h, err)
		}
		enc, err := wire.EncodeHandshake(wire.Handshake{Version: byte(v.Handshake.Version), ChainID: v.Handshake.ChainID, NodeID: mustHex(t, v.Handshake.NodeID)})
		if err != nil || hex.EncodeToString(enc) != v.Payload {
			t.Errorf("%s: encode %v", v.Name, err)
		}
	}
	for _, v := range file.Handshake.Invalid {
		h, err := wire.DecodeHandshake(mustBytes(t, v.Payload))
		if err == nil {
			err = wire.CheckHandshake(h, file.Local.ChainID)
		}
		wantCode(t, v.Name, err, v.Error)
	}
	for _, v := range file.Handshake.EncodeInvalid {
		_, err := wire.EncodeHandshake(wire.Handshake{Version: 1, ChainID: v.ChainID, NodeID: make([]byte, 32)})
		wantCode(t, v.Name, err, v.Error)
	}
	for _, v := range file.Reject.Valid {
		r, err := wire.DecodeReject(mustHex(t, v.Payload))
		if err != nil || int(r.Code) != v.Reject.Code || r.Reason != v.Reject.Reason {
			t.Errorf("%s: %+v %v", v.Name, r, err)
		}
		enc, err := wire.EncodeReject(wire.Reject{Code: byte(v.Reject.Code), Reason: v.Reject.Reason})
		if err != nil || hex.EncodeToString(enc) != v.Payload {
			t.Errorf("%s: encode %v", v.Name, err)
		}
	}
	for _, v := range file.Reject.Invalid {
		_, err := wire.DecodeReject(mustBytes(t, v.Payload))
		wantCode(t, v.Name, err, v.Error)
	}
	sameLimits(t, "listener", wire.HandshakeListener, file.FrameLimits.Listener)
	sameLimits(t, "dialer", wire.HandshakeDialer, file.FrameLimits.Dialer)
}

type peerJSON struct {
	ID   string `json:"id"`
	Port int    `json:"port"`
	IP   string `json:"ip"`
}

func peerList(t *testing.T, raw json.RawMessage) []wire.PeerEntry {
	t.Helper()
	var rep struct {
		Repeat *peerJSON
		Count  int
	}
	if json.Unmarshal(raw, &rep) == nil && rep.Repeat != nil {
		out := make([]wire.PeerEntry, rep.Count)
		for i := range out {
			out[i] = wire.PeerEntry(*rep.Repeat)
		}
		return out
	}
	var list []peerJSON
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	out := make([]wire.PeerEntry, len(list))
	for i, p := range list {
		out[i] = wire.PeerEntry(p)
	}
	return out
}

func TestPeersVectors(t *testing.T) {
	var file struct {
		Request struct {
			Valid   []struct{ Name, Payload string }
			Invalid []invalidVector
		}
		Response struct {
			Valid []struct {
				Name    string
				Payload json.RawMessage
				Peers   json.RawMessage
				Skipped []int
			}
			Invalid       []invalidVector
			EncodeInvalid []struct {
				Name  string
				Peers json.RawMessage
				Error string
			}
		}
		FrameLimits struct{ Responder, Requester limitTable }
	}
	if err := Load("peers.vectors.json", &file); err != nil {
		t.Fatal(err)
	}
	for _, v := range file.Request.Valid {
		if err := wire.DecodeGetPeers(mustHex(t, v.Payload)); err != nil || hex.EncodeToString(wire.EncodeGetPeers()) != v.Payload {
			t.Errorf("%s: %v", v.Name, err)
		}
	}
	for _, v := range file.Request.Invalid {
		wantCode(t, v.Name, wire.DecodeGetPeers(mustBytes(t, v.Payload)), v.Error)
	}
	for _, v := range file.Response.Valid {
		payload := mustBytes(t, v.Payload)
		want := peerList(t, v.Peers)
		got, skipped, err := wire.DecodePeers(payload)
		if err != nil || len(got) != len(want) || len(skipped) != len(v.Skipped) {
			t.Errorf("%s: %d peers, skipped %v, %v", v.Name, len(got), skipped, err)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: entry %d %+v", v.Name, i, got[i])
			}
		}
		for i := range skipped {
			if skipped[i] != v.Skipped[i] {
				t.Errorf("%s: skipped %v", v.Name, skipped)
			}
		}
		if len(v.Skipped) == 0 {
			enc, err := wire.EncodePeers(want)
			if err != nil || !bytes.Equal(enc, payload) {
				t.Errorf("%s: encode %v", v.Name, err)
			}
		}
	}
	for _, v := range file.Response.Invalid {
		_, _, err := wire.DecodePeers(mustBytes(t, v.Payload))
		wantCode(t, v.Name, err, v.Error)
	}
	for _, v := range file.Response.EncodeInvalid {
		_, err := wire.EncodePeers(peerList(t, v.Peers))
		wantCode(t, v.Name, err, v.Error)
	}
	sameLimits(t, "responder", wire.PeersResponder, file.FrameLimits.Responder)
	sameLimits(t, "requester", wire.PeersRequester, file.FrameLimits.Requester)
}

func equalLists(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestMempoolVectors(t *testing.T) {
	type listVector struct {
		Name    string
		Payload json.RawMessage
		Hashes  json.RawMessage
		Error   string
	}
	type group struct {
		Valid         []listVector
		Invalid       []invalidVector
		EncodeInvalid []listVector
	}
	var file struct {
		Samples struct {
			ChainID      string `json:"chainId"`
			Transactions []struct{ Name, Hex, Hash string }
		}
		Frames          []frameVector
		MempoolHashes   group
		GetTransactions group
		Transactions    struct {
			Valid []struct {
				Name         string
				Payload      json.RawMessage
				Transactions json.RawMessage
				NotFound     json.RawMessage
			}
			Invalid       []invalidVector
			EncodeInvalid []struct {
				Name         string
				Transactions json.RawMessage
				NotFound     json.RawMessage
				Error        string
			}
		}
		FrameLimits struct {
			OpenedByPeer, Serving, Requesting limitTable
			Answers                           []struct {
				Requested int
				limitTable
			}
		}
	}
	if err := Load("mempool.vectors.json", &file); err != nil {
		t.Fatal(err)
	}
	for _, f := range file.Frames {
		checkFrame(t, f)
	}
	codecs := []struct {
		g      group
		decode func([]byte) ([][]byte, error)
		encode func([][]byte) ([]byte, error)
	}{
		{file.MempoolHashes, wire.DecodeMempoolHashes, wire.EncodeMempoolHashes},
		{file.GetTransactions, wire.DecodeGetTransactions, wire.EncodeGetTransactions},
	}
	for _, c := range codecs {
		for _, v := range c.g.Valid {
			payload := mustBytes(t, v.Payload)
			want, err := List(v.Hashes, "hash")
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.decode(payload)
			if err != nil || !equalLists(got, want) {
				t.Errorf("%s: decode %v", v.Name, err)
			}
			enc, err := c.encode(want)
			if err != nil || !bytes.Equal(enc, payload) {
				t.Errorf("%s: encode %v", v.Name, err)
			}
		}
		for _, v := range c.g.Invalid {
			_, err := c.decode(mustBytes(t, v.Payload))
			wantCode(t, v.Name, err, v.Error)
		}
		for _, v := range c.g.EncodeInvalid {
			hashes, err := List(v.Hashes, "hash")
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.encode(hashes)
			wantCode(t, v.Name, err, v.Error)
		}
	}
	for _, v := range file.Transactions.Valid {
		payload := mustBytes(t, v.Payload)
		txs, _ := List(v.Transactions, "transaction")
		missing, _ := List(v.NotFound, "hash")
		gotTxs, gotMissing, err := wire.DecodeTransactions(payload)
		if err != nil || !equalLists(gotTxs, txs) || !equalLists(gotMissing, missing) {
			t.Errorf("%s: decode %v", v.Name, err)
		}
		enc, err := wire.EncodeTransactions(txs, missing)
		if err != nil || !bytes.Equal(enc, payload) {
			t.Errorf("%s: encode %v", v.Name, err)
		}
	}
	for _, v := range file.Transactions.Invalid {
		_, _, err := wire.DecodeTransactions(mustBytes(t, v.Payload))
		wantCode(t, v.Name, err, v.Error)
	}
	for _, v := range file.Transactions.EncodeInvalid {
		txs, _ := List(v.Transactions, "transaction")
		missing, _ := List(v.NotFound, "hash")
		_, err := wire.EncodeTransactions(txs, missing)
		wantCode(t, v.Name, err, v.Error)
	}
	sameLimits(t, "openedByPeer", wire.MempoolOpenedByPeer, file.FrameLimits.OpenedByPeer)
	sameLimits(t, "serving", wire.MempoolServing, file.FrameLimits.Serving)
	sameLimits(t, "requesting", wire.MempoolRequesting, file.FrameLimits.Requesting)
	for _, a := range file.FrameLimits.Answers {
		sameLimits(t, "answer", wire.MempoolAnswer(a.Requested), a.limitTable)
	}
}
