package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"paw-interop-go/internal/wire"
)

// ProtoHandshake is handshake.md's protocol id.
const ProtoHandshake = "/paw/handshake/1"

func (a *app) ourHandshake() ([]byte, error) {
	raw, err := a.h.Peerstore().PubKey(a.h.ID()).Raw()
	if err != nil {
		return nil, err
	}
	chainID := a.chainID
	if a.broken("chain-id") {
		chainID = a.chainID + "-broken"
	}
	return wire.EncodeHandshake(wire.Handshake{Version: wire.Version, ChainID: chainID, NodeID: raw})
}

// checkPeerHandshake applies handshake.md "Validation order" and the key binding.
func (a *app) checkPeerHandshake(payload []byte, c network.Conn) (wire.Handshake, error) {
	h, err := wire.DecodeHandshake(payload)
	if err != nil {
		return h, err
	}
	if err := wire.CheckHandshake(h, a.chainID); err != nil {
		return h, err
	}
	raw, err := c.RemotePublicKey().Raw()
	if err != nil || !bytes.Equal(raw, h.NodeID) {
		return h, &wire.CodeError{Code: wire.InvalidMessageFormat, Msg: "node ID is not the authenticated key"}
	}
	return h, nil
}

func connFields(c network.Conn) map[string]any {
	st := c.ConnState()
	return map[string]any{"peer": c.RemotePeer().String(), "security": string(st.Security),
		"muxer": string(st.StreamMultiplexer), "transport": st.Transport, "addr": c.RemoteMultiaddr().String()}
}

// registerHandshake serves the listener side: read one frame, answer handshake or reject.
func (a *app) registerHandshake() {
	a.h.SetStreamHandler(ProtoHandshake, func(s network.Stream) {
		c := s.Conn()
		fields := connFields(c)
		fields["role"] = "listener"
		fs := newFrameStream(s)
		_ = s.SetDeadline(time.Now().Add(10 * time.Second))
		typ, payload, err := fs.read(wire.HandshakeListener)
		if err == nil && typ != "handshake" {
			err = &wire.CodeError{Code: wire.InvalidMessageFormat, Msg: "first frame " + typ}
		}
		var hs wire.Handshake
		if err == nil {
			hs, err = a.checkPeerHandshake(payload, c)
		}
		if err != nil {
			code := wire.CodeOf(err)
			if code == 0 {
				code = wire.NetworkError
			}
			if rej, e := wire.EncodeReject(wire.Reject{Code: code, Reason: err.Error()}); e == nil {
				_ = fs.write("reject", rej)
			}
			fields["ok"], fields["error"], fields["code"] = false, err.Error(), code
			a.ev.emit("handshake", fields)
			// handshake.md "Flow" 5: let the dialer hang up first, at most 1 s.
			_ = s.CloseWrite()
			time.Sleep(time.Second)
			_ = c.Close()
			return
		}
		ours, err := a.ourHandshake()
		if err == nil {
			err = fs.write("handshake", ours)
		}
		if err != nil {
			fields["ok"], fields["error"] = false, err.Error()
			a.ev.emit("handshake", fields)
			_ = s.Reset()
			return
		}
		_ = s.Close()
		a.setHandshaken(c.RemotePeer(), "listener")
		fields["ok"], fields["chainId"], fields["version"] = true, hs.ChainID, hs.Version
		a.ev.emit("handshake", fields)
	})
}

// dialHandshake opens /paw/handshake/1 as the dialer of the connection.
func (a *app) dialHandshake(ctx context.Context, p peer.ID) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := a.h.NewStream(ctx, p, ProtoHandshake)
	if err != nil {
		return nil, err
	}
	fields := connFields(s.Conn())
	fields["role"] = "dialer"
	ours, err := a.ourHandshake()
	if err != nil {
		return fields, err
	}
	fs := newFrameStream(s)
	if err := fs.write("handshake", ours); err != nil {
		_ = s.Reset()
		return fields, err
	}
	typ, payload, err := fs.read(wire.HandshakeDialer)
	if err == nil && typ == "reject" {
		r, derr := wire.DecodeReject(payload)
		if derr != nil {
			err = derr
		} else {
			fields["reject"] = map[string]any{"code": r.Code, "reason": r.Reason}
			err = fmt.Errorf("rejected with 0x%02x: %s", r.Code, r.Reason)
		}
	} else if err == nil && typ != "handshake" {
		err = &wire.CodeError{Code: wire.InvalidMessageFormat, Msg: "answer of type " + typ}
	}
	var hs wire.Handshake
	if err == nil {
		hs, err = a.checkPeerHandshake(payload, s.Conn())
	}
	if err != nil {
		_ = s.Reset()
		_ = s.Conn().Close()
		return fields, err
	}
	_ = s.Close()
	a.setHandshaken(p, "dialer")
	fields["chainId"], fields["version"] = hs.ChainID, hs.Version
	return fields, nil
}
