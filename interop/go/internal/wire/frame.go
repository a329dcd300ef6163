// Package wire implements the PAW frame (protocols/framing.md) and the payloads of the
// /paw/* protocols (handshake.md, peers.md, blocks.md, mempool.md), written from those
// documents alone.
package wire

import (
	"encoding/binary"
	"fmt"
)

// Error codes of protocols/errors.md.
const (
	ProtocolVersionMismatch byte = 0x01
	ChainIDMismatch         byte = 0x02
	HandshakeTimeout        byte = 0x03
	MessageTooLarge         byte = 0x04
	InvalidMessageFormat    byte = 0x05
	PeerLimitReached        byte = 0x06
	ReputationRejection     byte = 0x07
	NetworkError            byte = 0x08
	RateLimited             byte = 0x09
	UnexpectedMessage       byte = 0x0a
)

// MaxFrameLength is the largest L (framing.md "Wire layout"): 10 MiB.
const MaxFrameLength = 10 * 1024 * 1024

// CodeError is a failure with the wire code of errors.md.
type CodeError struct {
	Code byte
	Msg  string
}

func (e *CodeError) Error() string { return fmt.Sprintf("0x%02x: %s", e.Code, e.Msg) }

func fail(code byte, format string, args ...any) error {
	return &CodeError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the wire code of err, or 0 when err carries none.
func CodeOf(err error) byte {
	if e, ok := err.(*CodeError); ok {
		return e.Code
	}
	return 0
}

func validTypeByte(b byte) bool {
	return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '_' || b == '.' || b == '/' || b == '-'
}

// EncodeFrame builds `[u32 BE L][u16 BE T][type][payload]`, L = 2 + T + len(payload).
func EncodeFrame(typ string, payload []byte) ([]byte, error) {
	if len(typ) == 0 || len(typ) > 32 {
		return nil, fail(InvalidMessageFormat, "type length %d", len(typ))
	}
	for i := 0; i < len(typ); i++ {
		if !validTypeByte(typ[i]) {
			return nil, fail(InvalidMessageFormat, "type byte 0x%02x", typ[i])
		}
	}
	l := 2 + len(typ) + len(payload)
	if l > MaxFrameLength {
		return nil, fail(MessageTooLarge, "L = %d", l)
	}
	out := make([]byte, 4+l)
	binary.BigEndian.PutUint32(out, uint32(l))
	binary.BigEndian.PutUint16(out[4:], uint16(len(typ)))
	copy(out[6:], typ)
	copy(out[6+len(typ):], payload)
	return out, nil
}

// Limits is a stream's table at one point (framing.md "Frame limits"): the types
// accepted with their largest L, every type the protocol defines, and its ceiling.
type Limits struct {
	Accepted map[string]int
	Defined  []string
	Ceiling  int
}

func (l *Limits) defines(typ string) bool {
	for _, d := range l.Defined {
		if d == typ {
			return true
		}
	}
	return false
}

// Event is what a Decoder reports: a frame, or an error code (Fatal ends the stream;
// AtEnd: the input ended inside a frame).
type Event struct {
	Type    string
	Payload []byte
	Err     byte
	Fatal   bool
	AtEnd   bool
}

// Decoder turns the bytes of one stream into frames, whatever their chunking. It holds
// only the frame in progress, and never the body of a frame it skips.
type Decoder struct {
	limits *Limits
	header []byte // the header read so far (at most 6 + 32 bytes)
	length int    // L, once known
	typ    string
	body   []byte // the payload read so far, once the header passed
	inBody bool
	skip   int // bytes still to discard
	failed bool
}

// NewDecoder returns a decoder applying limits (nil: only the 10 MiB limit).
func NewDecoder(limits *Limits) *Decoder { return &Decoder{limits: limits} }

// SetLimits changes the table for the next frame (a stream's point changed).
func (d *Decoder) SetLimits(limits *Limits) { d.limits = limits }

// Buffered is how many bytes of a frame in progress the decoder holds.
func (d *Decoder) Buffered() int { return len(d.header) + len(d.body) }

func (d *Decoder) ceiling() int {
	if d.limits != nil {
		return d.limits.Ceiling
	}
	return MaxFrameLength
}

func (d *Decoder) reset() {
	d.header = d.header[:0]
	d.body = nil
	d.inBody = false
	d.typ = ""
	d.length = 0
}

func (d *Decoder) skipRest(consumed int, code byte, out []Event) []Event {
	d.skip = 4 + d.length - consumed
	d.reset()
	return append(out, Event{Err: code})
}

// Push feeds bytes and returns what they completed.
func (d *Decoder) Push(chunk []byte) []Event {
	var out []Event
	for !d.failed {
		if d.skip > 0 {
			n := min(d.skip, len(chunk))
			d.skip -= n
			chunk = chunk[n:]
			if d.skip > 0 {
				return out
			}
			continue
		}
		if d.inBody {
			need := d.length - 2 - len(d.typ) - len(d.body)
			n := min(need, len(chunk))
			d.body = append(d.body, chunk[:n]...)
			chunk = chunk[n:]
			if n < need {
				return out
			}
			out = append(out, Event{Type: d.typ, Payload: d.body})
			d.reset()
			continue
		}
		if len(chunk) == 0 {
			return out
		}
		// Header: take one byte at a time up to the next field boundary.
		need := 4
		if len(d.header) >= 6 {
			need = 6 + int(binary.BigEndian.Uint16(d.header[4:6]))
		} else if len(d.header) >= 4 {
			need = 6
		}
		n := min(need-len(d.header), len(chunk))
		d.header = append(d.header, chunk[:n]...)
		chunk = chunk[n:]
		if len(d.header) < need {
			return out
		}
		switch {
		case need == 4:
			d.length = int(binary.BigEndian.Uint32(d.header))
			if uint32(d.length) > uint32(d.ceiling()) || d.length > d.ceiling() {
				d.failed = true
				return append(out, Event{Err: MessageTooLarge, Fatal: true})
			}
			if d.length < 3 {
				out = d.skipRest(4, InvalidMessageFormat, out)
			}
		case need == 6:
			t := int(binary.BigEndian.Uint16(d.header[4:6]))
			if t == 0 || t > 32 || t > d.length-2 {
				out = d.skipRest(6, InvalidMessageFormat, out)
			}
		default:
			typeBytes := d.header[6:need]
			ok := true
			for _, b := range typeBytes {
				if !validTypeByte(b) {
					ok = false
				}
			}
			if !ok {
				out = d.skipRest(need, InvalidMessageFormat, out)
				continue
			}
			typ := string(typeBytes)
			if d.limits != nil {
				if limit, accepted := d.limits.Accepted[typ]; accepted {
					if d.length > limit {
						d.failed = true
						return append(out, Event{Err: MessageTooLarge, Fatal: true})
					}
				} else if d.limits.defines(typ) {
					out = d.skipRest(need, UnexpectedMessage, out)
					continue
				} else {
					out = d.skipRest(need, InvalidMessageFormat, out)
					continue
				}
			}
			d.typ = typ
			d.inBody = true
			d.body = make([]byte, 0, d.length-2-len(typ))
		}
	}
	return out
}

// End reports the end of the stream: 0x05 if it ended inside a frame not yet reported.
func (d *Decoder) End() []Event {
	if d.failed || d.skip > 0 {
		return nil
	}
	if len(d.header) > 0 || d.inBody {
		d.reset()
		return []Event{{Err: InvalidMessageFormat, AtEnd: true}}
	}
	return nil
}
