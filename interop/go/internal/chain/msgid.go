package chain

import (
	"regexp"
	"unicode/utf8"
)

// Topic kinds and their tag bytes (gossip.md "Message IDs").
const (
	KindBlocks       byte = 0
	KindTransactions byte = 1
	KindHeaders      byte = 2
	KindUnknown      byte = 3
)

var topicPattern = regexp.MustCompile(`^/paw/([^\x00]+)/(blocks|transactions|headers)/1$`)

// ParseTopic returns the chain ID and kind of a PAW topic, ok false for anything else.
func ParseTopic(topic string) (chainID string, kind byte, ok bool) {
	if !utf8.ValidString(topic) {
		return "", KindUnknown, false
	}
	m := topicPattern.FindStringSubmatch(topic)
	if m == nil || len(m[1]) < 1 || len(m[1]) > 32 {
		return "", KindUnknown, false
	}
	switch m[2] {
	case "blocks":
		return m[1], KindBlocks, true
	case "transactions":
		return m[1], KindTransactions, true
	default:
		return m[1], KindHeaders, true
	}
}

// Topic builds `/paw/<chainId>/<kind>/1`; ok false for a chain ID with no chain ID field.
func Topic(chainID, kind string) (string, bool) {
	if len(chainID) < 1 || len(chainID) > 32 || !utf8.ValidString(chainID) {
		return "", false
	}
	for i := 0; i < len(chainID); i++ {
		if chainID[i] == 0 {
			return "", false
		}
	}
	return "/paw/" + chainID + "/" + kind + "/1", true
}

// MessageID is the message-id function of gossip.md for the reference chain.
func MessageID(topic string, data []byte) []byte {
	_, kind, ok := ParseTopic(topic)
	if !ok {
		kind = KindUnknown
	}
	switch {
	case ok && kind == KindTransactions && len(data) == 152:
		return Sha256(data)
	case ok && kind == KindHeaders:
		if _, err := DecodeHeader(data); err == nil {
			return append([]byte{0x01}, Sha256(data)...)
		}
	case ok && kind == KindBlocks:
		if header, txs, err := SplitBlock(data); err == nil {
			if h, err := DecodeHeader(header); err == nil && BodyMatches(h, txs) {
				return Sha256(header)
			}
		}
	}
	return append([]byte{0xff, kind}, Sha256(data)...)
}
