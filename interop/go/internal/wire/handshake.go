package wire

import (
	"bytes"
	"unicode/utf8"
)

// Version is the handshake version (handshake.md "Handshake payload").
const Version = 1

// Handshake is the 65-byte payload `[u8 version][32 B chain ID][32 B node ID]`.
type Handshake struct {
	Version byte
	ChainID string
	NodeID  []byte
}

// ChainIDField is the chain ID in UTF-8, right-padded with 0x00 to 32 bytes. It refuses
// an empty ID, one over 32 bytes, one containing NUL or not UTF-8 (0x05).
func ChainIDField(chainID string) ([]byte, error) {
	if len(chainID) == 0 || len(chainID) > 32 {
		return nil, fail(InvalidMessageFormat, "chain ID of %d bytes", len(chainID))
	}
	if !utf8.ValidString(chainID) || bytes.IndexByte([]byte(chainID), 0) >= 0 {
		return nil, fail(InvalidMessageFormat, "chain ID not UTF-8 or holding NUL")
	}
	field := make([]byte, 32)
	copy(field, chainID)
	return field, nil
}

// ReadChainIDField reads a 32-byte chain ID field: not all padding, nothing but 0x00
// after the first 0x00, UTF-8 before it.
func ReadChainIDField(field []byte) (string, error) {
	if len(field) != 32 {
		return "", fail(InvalidMessageFormat, "chain ID field of %d bytes", len(field))
	}
	end := bytes.IndexByte(field, 0)
	if end < 0 {
		end = 32
	}
	if end == 0 {
		return "", fail(InvalidMessageFormat, "empty chain ID")
	}
	for _, b := range field[end:] {
		if b != 0 {
			return "", fail(InvalidMessageFormat, "chain ID padding holds a non-zero byte")
		}
	}
	if !utf8.Valid(field[:end]) {
		return "", fail(InvalidMessageFormat, "chain ID not UTF-8")
	}
	return string(field[:end]), nil
}

// EncodeHandshake builds the payload.
func EncodeHandshake(h Handshake) ([]byte, error) {
	field, err := ChainIDField(h.ChainID)
	if err != nil {
		return nil, err
	}
	if len(h.NodeID) != 32 {
		return nil, fail(InvalidMessageFormat, "node ID of %d bytes", len(h.NodeID))
	}
	out := make([]byte, 0, 65)
	out = append(out, h.Version)
	out = append(out, field...)
	return append(out, h.NodeID...), nil
}

// DecodeHandshake applies the checks of handshake.md "Validation order" up to the chain
// ID's form: a non-empty payload (0x05), the version (0x01), 65 bytes (0x05), the field.
func DecodeHandshake(payload []byte) (Handshake, error) {
	if len(payload) == 0 {
		return Handshake{}, fail(InvalidMessageFormat, "empty handshake")
	}
	if payload[0] != Version {
		return Handshake{}, fail(ProtocolVersionMismatch, "version %d", payload[0])
	}
	if len(payload) != 65 {
		return Handshake{}, fail(InvalidMessageFormat, "handshake of %d bytes", len(payload))
	}
	chainID, err := ReadChainIDField(payload[1:33])
	if err != nil {
		return Handshake{}, err
	}
	return Handshake{Version: payload[0], ChainID: chainID, NodeID: bytes.Clone(payload[33:65])}, nil
}

// CheckHandshake compares the chain with ours (0x02).
func CheckHandshake(h Handshake, chainID string) error {
	if h.ChainID != chainID {
		return fail(ChainIDMismatch, "chain ID mismatch: expected %s", chainID)
	}
	return nil
}

// Reject is `[u8 code][UTF-8 reason, 0..256 bytes]`.
type Reject struct {
	Code   byte
	Reason string
}

// EncodeReject cuts the reason to 256 bytes at a character boundary.
func EncodeReject(r Reject) ([]byte, error) {
	if r.Code == 0 {
		return nil, fail(InvalidMessageFormat, "code 0x00")
	}
	reason := r.Reason
	if !utf8.ValidString(reason) {
		return nil, fail(InvalidMessageFormat, "reason not UTF-8")
	}
	for len(reason) > 256 {
		_, size := utf8.DecodeLastRuneInString(reason)
		reason = reason[:len(reason)-size]
	}
	return append([]byte{r.Code}, reason...), nil
}

// DecodeReject refuses an empty payload, code 0, a reason over 256 bytes or not UTF-8.
func DecodeReject(payload []byte) (Reject, error) {
	if len(payload) == 0 || payload[0] == 0 || len(payload) > 257 || !utf8.Valid(payload[1:]) {
		return Reject{}, fail(InvalidMessageFormat, "malformed reject")
	}
	return Reject{Code: payload[0], Reason: string(payload[1:])}, nil
}

// Handshake stream limits (handshake.md "Frame limits").
var (
	HandshakeTypes    = []string{"handshake", "reject"}
	HandshakeListener = &Limits{Accepted: map[string]int{"handshake": 76}, Defined: HandshakeTypes, Ceiling: 265}
	HandshakeDialer   = &Limits{Accepted: map[string]int{"handshake": 76, "reject": 265}, Defined: HandshakeTypes, Ceiling: 265}
)
