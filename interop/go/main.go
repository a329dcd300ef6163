// paw-interop-go is a PAW peer on go-libp2p, written from protocols/*.md and
// docs/chain.md: it speaks /paw/handshake/1 (both roles), /paw/peers/1, /paw/blocks/1,
// /paw/mempool/1 and the chain's gossipsub topics, and prints one JSON line per event on
// stdout. It takes commands as JSON lines on stdin (or from --script), so a test can
// drive it: {"cmd":"dial","addr":"/ip4/127.0.0.1/tcp/26656/p2p/12D3KooW..."}.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	"github.com/libp2p/go-libp2p/p2p/transport/websocket"
)

// Version is the agent version this peer gives in identify.
const Version = "paw-interop-go/0.1.0"

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// emitter writes one JSON object per line; safe for concurrent use.
type emitter struct {
	mu  sync.Mutex
	out io.Writer
	t0  time.Time
}

func (e *emitter) emit(event string, fields map[string]any) {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["event"] = event
	fields["ms"] = time.Since(e.t0).Milliseconds()
	line, err := json.Marshal(fields)
	if err != nil {
		line = []byte(fmt.Sprintf(`{"event":"error","error":%q}`, err.Error()))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.out.Write(append(line, '\n'))
}

// app is the peer: its host, gossip, and what it learned.
type app struct {
	ctx      context.Context
	h        host.Host
	chainID  string
	ev       *emitter
	breakage map[string]bool
	store    *store
	gossip   *gossip

	mu         sync.Mutex
	handshaken map[peer.ID]string // peer → role in which the handshake completed
}

func (a *app) isHandshaken(p peer.ID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.handshaken[p]
	return ok
}

func (a *app) setHandshaken(p peer.ID, role string) {
	a.mu.Lock()
	a.handshaken[p] = role
	a.mu.Unlock()
}

func (a *app) broken(what string) bool { return a.breakage[what] }

func main() {
	var listens, dials, breaks listFlag
	chainID := flag.String("chain", "paw-devnet", "chain ID")
	security := flag.String("security", "noise,tls", "security protocols in order of preference: noise, tls")
	noPing := flag.Bool("no-ping", false, "do not serve /ipfs/ping/1.0.0")
	script := flag.String("script", "", "a file of JSON-line commands to run instead of stdin")
	flag.Var(&listens, "listen", "listen multiaddr (repeatable; default TCP and WebSockets on 127.0.0.1)")
	flag.Var(&dials, "dial", "multiaddr to dial and handshake at start (repeatable)")
	flag.Var(&breaks, "break", "break the peer on purpose: chain-id, merkle, signature, relay, msgid")
	flag.Parse()
	if len(listens) == 0 {
		listens = listFlag{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/tcp/0/ws"}
	}
	ev := &emitter{out: os.Stdout, t0: time.Now()}
	if err := run(*chainID, *security, *noPing, *script, listens, dials, breaks, ev); err != nil {
		ev.emit("fatal", map[string]any{"error": err.Error()})
		os.Exit(1)
	}
}

func run(chainID, security string, noPing bool, script string, listens, dials, breaks []string, ev *emitter) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return err
	}
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.ListenAddrStrings(listens...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(websocket.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.UserAgent(Version),
		libp2p.Ping(!noPing),
	}
	for _, s := range strings.Split(security, ",") {
		switch strings.TrimSpace(s) {
		case "noise":
			opts = append(opts, libp2p.Security(noise.ID, noise.New))
		case "tls":
			opts = append(opts, libp2p.Security(libp2ptls.ID, libp2ptls.New))
		default:
			return fmt.Errorf("unknown security %q", s)
		}
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return err
	}
	defer h.Close()
	a := &app{ctx: ctx, h: h, chainID: chainID, ev: ev, breakage: map[string]bool{}, handshaken: map[peer.ID]string{}, store: newStore()}
	for _, b := range breaks {
		a.breakage[b] = true
	}
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			st := c.ConnState()
			ev.emit("connected", map[string]any{
				"peer": c.RemotePeer().String(), "direction": c.Stat().Direction.String(),
				"addr": c.RemoteMultiaddr().String(), "security": string(st.Security),
				"muxer": string(st.StreamMultiplexer), "transport": st.Transport,
			})
		},
		DisconnectedF: func(_ network.Network, c network.Conn) {
			if len(h.Network().ConnsToPeer(c.RemotePeer())) == 0 {
				a.mu.Lock()
				delete(a.handshaken, c.RemotePeer())
				a.mu.Unlock()
			}
			ev.emit("disconnected", map[string]any{"peer": c.RemotePeer().String()})
		},
	})
	a.registerHandshake()
	a.registerPeers()
	a.registerBlocks()
	a.registerMempool()
	if a.gossip, err = startGossip(a); err != nil {
		return err
	}
	var addrs []string
	for _, ma := range h.Addrs() {
		addrs = append(addrs, fmt.Sprintf("%s/p2p/%s", ma, h.ID()))
	}
	protos := []string{}
	for _, p := range h.Mux().Protocols() {
		protos = append(protos, string(p))
	}
	ev.emit("listening", map[string]any{"peer": h.ID().String(), "addrs": addrs, "chainId": chainID,
		"agent": Version, "protocols": protos, "ping": !noPing, "pubsub": pubsub.GossipSubID_v12})
	for _, d := range dials {
		a.command(map[string]any{"cmd": "dial", "addr": d})
	}
	in := io.Reader(os.Stdin)
	if script != "" {
		f, err := os.Open(script)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	var wg sync.WaitGroup
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var cmd map[string]any
		if err := json.Unmarshal([]byte(line), &cmd); err != nil {
			ev.emit("error", map[string]any{"error": "bad command: " + err.Error()})
			continue
		}
		if cmd["cmd"] == "exit" {
			break
		}
		// A script runs its commands in order; stdin commands run concurrently.
		if script != "" || cmd["wait"] == true {
			a.command(cmd)
		} else {
			wg.Add(1)
			go func() { defer wg.Done(); a.command(cmd) }()
		}
	}
	if script != "" {
		wg.Wait()
	}
	ev.emit("exit", nil)
	return nil
}
