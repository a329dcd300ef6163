package wire

import (
	"encoding/binary"
	"net/netip"
	"strings"

	"github.com/libp2p/go-libp2p/core/crypto/pb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// PeerEntry is one entry of a `peers` list (peers.md "Response: peers").
type PeerEntry struct {
	ID   string
	Port int
	IP   string
}

// MaxPeers is the largest count of a `peers` list.
const MaxPeers = 1000

// EncodeGetPeers is the one-byte request.
func EncodeGetPeers() []byte { return []byte{0x01} }

// DecodeGetPeers accepts exactly the byte 0x01.
func DecodeGetPeers(payload []byte) error {
	if len(payload) != 1 || payload[0] != 0x01 {
		return fail(InvalidMessageFormat, "get_peers payload")
	}
	return nil
}

// UsableIP is the IP text rule of peers.md "Validation": dotted decimal IPv4 without
// leading zeros, or RFC 4291 IPv6 text (an IPv4 tail allowed), no zone, no brackets.
func UsableIP(ip string) bool {
	if strings.ContainsAny(ip, "%[]/ ") || len(ip) > 45 {
		return false
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	if addr.Is4() {
		return !strings.Contains(ip, ":")
	}
	return addr.Is6()
}

// UsableID is the PeerId rule: letters and digits, a PeerId, of an Ed25519 key.
func UsableID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	pid, err := peer.Decode(id)
	if err != nil {
		return false
	}
	key, err := pid.ExtractPublicKey()
	if err != nil || key == nil {
		return false
	}
	return key.Type() == pb.KeyType_Ed25519
}

func usable(e PeerEntry) bool {
	return e.Port >= 1 && e.Port <= 65535 && UsableIP(e.IP) && UsableID(e.ID)
}

// EncodePeers refuses a list a receiver would reject or partly skip.
func EncodePeers(entries []PeerEntry) ([]byte, error) {
	if len(entries) > MaxPeers {
		return nil, fail(InvalidMessageFormat, "%d peers", len(entries))
	}
	out := binary.BigEndian.AppendUint16(nil, uint16(len(entries)))
	for _, e := range entries {
		if len(e.ID) < 1 || len(e.ID) > 128 || len(e.IP) < 1 || len(e.IP) > 64 || !usable(e) {
			return nil, fail(InvalidMessageFormat, "unusable entry %+v", e)
		}
		out = append(out, byte(len(e.ID)))
		out = append(out, e.ID...)
		out = binary.BigEndian.AppendUint16(out, uint16(e.Port))
		out = append(out, byte(len(e.IP)))
		out = append(out, e.IP...)
	}
	return out, nil
}

// DecodePeers returns the usable entries and the indexes of the skipped ones, or 0x05
// for a message rejected whole.
func DecodePeers(payload []byte) ([]PeerEntry, []int, error) {
	if len(payload) < 2 {
		return nil, nil, fail(InvalidMessageFormat, "peers shorter than its count")
	}
	count := int(binary.BigEndian.Uint16(payload))
	if count > MaxPeers {
		return nil, nil, fail(InvalidMessageFormat, "count %d", count)
	}
	entries := []PeerEntry{}
	skipped := []int{}
	o := 2
	for i := 0; i < count; i++ {
		if o >= len(payload) {
			return nil, nil, fail(InvalidMessageFormat, "truncated")
		}
		idLen := int(payload[o])
		if idLen < 1 || idLen > 128 {
			return nil, nil, fail(InvalidMessageFormat, "idLen %d", idLen)
		}
		if o+1+idLen+3 > len(payload) {
			return nil, nil, fail(InvalidMessageFormat, "truncated")
		}
		id := string(payload[o+1 : o+1+idLen])
		port := int(binary.BigEndian.Uint16(payload[o+1+idLen:]))
		ipLen := int(payload[o+3+idLen])
		if ipLen < 1 || ipLen > 64 {
			return nil, nil, fail(InvalidMessageFormat, "ipLen %d", ipLen)
		}
		if o+4+idLen+ipLen > len(payload) {
			return nil, nil, fail(InvalidMessageFormat, "truncated")
		}
		ip := string(payload[o+4+idLen : o+4+idLen+ipLen])
		o += 4 + idLen + ipLen
		e := PeerEntry{ID: id, Port: port, IP: ip}
		if usable(e) {
			entries = append(entries, e)
		} else {
			skipped = append(skipped, i)
		}
	}
	if o != len(payload) {
		return nil, nil, fail(InvalidMessageFormat, "trailing bytes")
	}
	return entries, skipped, nil
}

// Peers stream limits (peers.md "Frame limits").
var (
	PeersTypes     = []string{"get_peers", "peers"}
	PeersResponder = &Limits{Accepted: map[string]int{"get_peers": 12}, Defined: PeersTypes, Ceiling: 196009}
	PeersRequester = &Limits{Accepted: map[string]int{"peers": 196009}, Defined: PeersTypes, Ceiling: 196009}
)
