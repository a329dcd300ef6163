package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	ma "github.com/multiformats/go-multiaddr"
)

func str(cmd map[string]any, key string) string {
	s, _ := cmd[key].(string)
	return s
}

func num(cmd map[string]any, key string, def uint64) uint64 {
	if f, ok := cmd[key].(float64); ok {
		return uint64(f)
	}
	return def
}

// command runs one command and emits its result as an event named after it.
func (a *app) command(cmd map[string]any) {
	name := str(cmd, "cmd")
	fields, err := a.runCommand(name, cmd)
	if fields == nil {
		fields = map[string]any{}
	}
	if tag, ok := cmd["tag"]; ok {
		fields["tag"] = tag
	}
	fields["ok"] = err == nil
	if err != nil {
		fields["error"] = err.Error()
	}
	a.ev.emit(name, fields)
}

func (a *app) peerOf(cmd map[string]any) (peer.ID, error) {
	return peer.Decode(str(cmd, "peer"))
}

func (a *app) runCommand(name string, cmd map[string]any) (map[string]any, error) {
	ctx := a.ctx
	switch name {
	case "dial":
		addr, err := ma.NewMultiaddr(str(cmd, "addr"))
		if err != nil {
			return nil, err
		}
		info, err := peer.AddrInfoFromP2pAddr(addr)
		if err != nil {
			return nil, err
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := a.h.Connect(cctx, *info); err != nil {
			return map[string]any{"peer": info.ID.String()}, err
		}
		return a.dialHandshake(ctx, info.ID)
	case "get_peers":
		p, err := a.peerOf(cmd)
		if err != nil {
			return nil, err
		}
		return a.getPeers(ctx, p)
	case "sync":
		p, err := a.peerOf(cmd)
		if err != nil {
			return nil, err
		}
		return a.sync(ctx, p)
	case "get_block":
		p, err := a.peerOf(cmd)
		if err != nil {
			return nil, err
		}
		hash, err := hex.DecodeString(str(cmd, "hash"))
		if err != nil {
			return nil, err
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		r, err := a.openBlocks(cctx, p)
		if err != nil {
			return nil, err
		}
		defer r.close()
		b, err := r.block(hash)
		fields := map[string]any{"peer": p.String(), "hash": str(cmd, "hash"), "found": b != nil}
		if b != nil {
			h, herr := a.checkHeader(b[:185])
			if herr == nil {
				fields["height"] = h.Height
			}
		}
		return fields, err
	case "get_transactions":
		p, err := a.peerOf(cmd)
		if err != nil {
			return nil, err
		}
		var hashes [][]byte
		list, _ := cmd["hashes"].([]any)
		for _, h := range list {
			s, _ := h.(string)
			b, err := hex.DecodeString(s)
			if err != nil {
				return nil, err
			}
			hashes = append(hashes, b)
		}
		return a.getTransactions(ctx, p, hashes)
	case "publish_tx":
		return a.publishTx(ctx, int(num(cmd, "from", 0)), int(num(cmd, "to", 1)),
			num(cmd, "amount", 100_000_000), num(cmd, "fee", 10_000), num(cmd, "nonce", 0))
	case "ping":
		p, err := a.peerOf(cmd)
		if err != nil {
			return nil, err
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		res := <-ping.Ping(cctx, a.h, p)
		return map[string]any{"peer": p.String(), "rttMs": res.RTT.Milliseconds()}, res.Error
	case "peers":
		list := []map[string]any{}
		for _, p := range a.h.Network().Peers() {
			protos, _ := a.h.Peerstore().GetProtocols(p)
			agent, _ := a.h.Peerstore().Get(p, "AgentVersion")
			var ps []string
			for _, pr := range protos {
				ps = append(ps, string(pr))
			}
			list = append(list, map[string]any{"peer": p.String(), "handshaken": a.isHandshaken(p), "agent": agent,
				"protocols": ps, "meshTopics": a.gossip.ps.GetTopics()})
		}
		return map[string]any{"peers": list}, nil
	case "sleep":
		time.Sleep(time.Duration(num(cmd, "ms", 1000)) * time.Millisecond)
		return nil, nil
	}
	return nil, fmt.Errorf("unknown command %q", name)
}
