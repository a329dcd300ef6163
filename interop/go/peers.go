package main

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"paw-interop-go/internal/wire"
)

// ProtoPeers is peers.md's protocol id.
const ProtoPeers = "/paw/peers/1"

// registerPeers answers get_peers with an empty list: this peer keeps no address book,
// and lists nobody (so that two nodes joined through it never learn of each other).
func (a *app) registerPeers() {
	a.h.SetStreamHandler(ProtoPeers, func(s network.Stream) {
		if !a.isHandshaken(s.Conn().RemotePeer()) {
			_ = s.Reset()
			return
		}
		fs := newFrameStream(s)
		typ, payload, err := fs.read(wire.PeersResponder)
		if err == nil && typ == "get_peers" {
			err = wire.DecodeGetPeers(payload)
		}
		fields := map[string]any{"peer": s.Conn().RemotePeer().String(), "request": "get_peers"}
		if err != nil {
			fields["error"] = err.Error()
			a.ev.emit("served", fields)
			_ = s.Reset()
			return
		}
		list, _ := wire.EncodePeers(nil)
		if err := fs.write("peers", list); err != nil {
			_ = s.Reset()
			return
		}
		_ = s.Close()
		fields["peers"] = 0
		a.ev.emit("served", fields)
	})
}

// getPeers asks p for its peers.
func (a *app) getPeers(ctx context.Context, p peer.ID) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := a.h.NewStream(ctx, p, ProtoPeers)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	fs := newFrameStream(s)
	if err := fs.write("get_peers", wire.EncodeGetPeers()); err != nil {
		return nil, err
	}
	typ, payload, err := fs.read(wire.PeersRequester)
	if err != nil {
		return nil, err
	}
	if typ != "peers" {
		return nil, &wire.CodeError{Code: wire.UnexpectedMessage, Msg: typ}
	}
	entries, skipped, err := wire.DecodePeers(payload)
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, e := range entries {
		list = append(list, map[string]any{"id": e.ID, "port": e.Port, "ip": e.IP})
	}
	return map[string]any{"peers": list, "skipped": len(skipped)}, nil
}
