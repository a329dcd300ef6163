package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"paw-interop-go/internal/chain"
	"paw-interop-go/internal/wire"
)

// maxGossipBytes is gossip.md's maxInboundDataLength: 10 MiB + 64 KiB.
const maxGossipBytes = 10_551_296

type gossip struct {
	ps     *pubsub.PubSub
	topics map[byte]*pubsub.Topic
}

// startGossip joins the chain's three topics with gossip.md's envelope (StrictNoSign,
// no author) and message IDs, and judges every message before it is forwarded.
func startGossip(a *app) (*gossip, error) {
	idFn := func(m *pb.Message) string { return string(chain.MessageID(m.GetTopic(), m.GetData())) }
	if a.broken("msgid") {
		idFn = func(m *pb.Message) string { return string(chain.Sha256(m.GetData())) }
	}
	ps, err := pubsub.NewGossipSub(a.ctx, a.h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(idFn),
		pubsub.WithPeerExchange(false),
		pubsub.WithMaxMessageSize(maxGossipBytes),
	)
	if err != nil {
		return nil, err
	}
	g := &gossip{ps: ps, topics: map[byte]*pubsub.Topic{}}
	for kind, name := range map[byte]string{chain.KindBlocks: "blocks", chain.KindTransactions: "transactions", chain.KindHeaders: "headers"} {
		topic, ok := chain.Topic(a.chainID, name)
		if !ok {
			return nil, fmt.Errorf("no topic for chain %q", a.chainID)
		}
		if err := ps.RegisterTopicValidator(topic, a.validator(kind)); err != nil {
			return nil, err
		}
		t, err := ps.Join(topic)
		if err != nil {
			return nil, err
		}
		sub, err := t.Subscribe()
		if err != nil {
			return nil, err
		}
		g.topics[kind] = t
		go a.readTopic(sub, kind)
	}
	return g, nil
}

// validator judges a message: Accept (forwarded), Reject (its sender pays) or Ignore.
func (a *app) validator(kind byte) pubsub.ValidatorEx {
	return func(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		if from == a.h.ID() {
			return pubsub.ValidationAccept
		}
		if !a.isHandshaken(from) {
			return pubsub.ValidationIgnore // gossip.md "Handshake gate"
		}
		if a.broken("relay") {
			return pubsub.ValidationIgnore
		}
		var err error
		switch kind {
		case chain.KindBlocks:
			_, err = a.judgeBlock(m.Data)
		case chain.KindTransactions:
			err = a.judgeTransaction(m.Data)
		case chain.KindHeaders:
			_, err = a.checkHeader(m.Data)
		}
		if err != nil {
			a.ev.emit("rejected", map[string]any{"peer": from.String(), "topic": m.GetTopic(), "error": err.Error()})
			return pubsub.ValidationReject
		}
		return pubsub.ValidationAccept
	}
}

func (a *app) judgeBlock(data []byte) (chain.Header, error) {
	if len(data) > wire.MaxBlockBytes {
		return chain.Header{}, fmt.Errorf("BLOCK_TOO_LARGE")
	}
	header, txs, err := chain.SplitBlock(data)
	if err != nil {
		return chain.Header{}, err
	}
	h, err := a.checkHeader(header)
	if err != nil {
		return h, err
	}
	return h, a.checkBody(h, txs)
}

func (a *app) judgeTransaction(data []byte) error {
	tx, err := chain.DecodeTransaction(data)
	if err != nil {
		return err
	}
	if tx.Amount == 0 || bytes.Equal(tx.From, tx.To) || bytes.Equal(tx.From, make([]byte, 32)) {
		return fmt.Errorf("BAD_TRANSACTION")
	}
	if !chain.VerifyTransaction(data, a.chainID) {
		return fmt.Errorf("BAD_SIGNATURE")
	}
	return nil
}

func (a *app) readTopic(sub *pubsub.Subscription, kind byte) {
	for {
		m, err := sub.Next(a.ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == a.h.ID() {
			continue
		}
		fields := map[string]any{"from": m.ReceivedFrom.String(), "topic": m.GetTopic(), "bytes": len(m.Data),
			"id": hex.EncodeToString([]byte(m.ID))}
		switch kind {
		case chain.KindBlocks:
			header, txs, _ := chain.SplitBlock(m.Data)
			h, _ := chain.DecodeHeader(header)
			a.store.addBlock(m.Data)
			fields["hash"], fields["height"] = hex.EncodeToString(chain.Sha256(header)), h.Height
			fields["transactions"] = hexes(chain.TxHashes(txs))
			a.ev.emit("gossip_block", fields)
		case chain.KindTransactions:
			fields["hash"] = a.store.addTx(m.Data)
			a.ev.emit("gossip_tx", fields)
		case chain.KindHeaders:
			fields["hash"] = hex.EncodeToString(chain.Sha256(m.Data))
			a.ev.emit("gossip_header", fields)
		}
	}
}

// publishTx signs a transfer between devnet accounts and publishes it.
func (a *app) publishTx(ctx context.Context, from, to int, amount, fee, nonce uint64) (map[string]any, error) {
	tx := chain.Transaction{From: chain.DevnetAddress(from), To: chain.DevnetAddress(to), Amount: amount, Fee: fee, Nonce: nonce}
	signFor := a.chainID
	if a.broken("signature") {
		signFor = "paw-testnet"
	}
	raw, err := chain.Sign(tx, chain.DevnetSeed(from), signFor)
	if err != nil {
		return nil, err
	}
	id := a.store.addTx(raw)
	t := a.gossip.topics[chain.KindTransactions]
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := t.Publish(ctx, raw, pubsub.WithReadiness(pubsub.MinTopicSize(1))); err != nil {
		return nil, err
	}
	peers := []string{}
	for _, p := range t.ListPeers() {
		peers = append(peers, p.String())
	}
	return map[string]any{"id": id, "from": hex.EncodeToString(tx.From), "nonce": nonce, "topicPeers": peers}, nil
}
