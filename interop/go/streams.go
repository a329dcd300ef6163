package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"paw-interop-go/internal/wire"
)

// readIdle is the read-idle timeout of DECISIONS.md "Connections" (30 s).
const readIdle = 30 * time.Second

// frameStream reads and writes PAW frames on one stream, lock-step, with the limits
// of the stream's current point (framing.md "Frame limits").
type frameStream struct {
	s       network.Stream
	dec     *wire.Decoder
	pending []wire.Event
	buf     []byte
}

func newFrameStream(s network.Stream) *frameStream {
	return &frameStream{s: s, dec: wire.NewDecoder(nil), buf: make([]byte, 64*1024)}
}

// errEnd is a stream that ended cleanly between frames.
var errEnd = errors.New("stream ended")

// read returns the next frame accepted under limits, or the code that failed it.
func (f *frameStream) read(limits *wire.Limits) (string, []byte, error) {
	f.dec.SetLimits(limits)
	for {
		for len(f.pending) > 0 {
			e := f.pending[0]
			f.pending = f.pending[1:]
			if e.Err != 0 {
				return "", nil, &wire.CodeError{Code: e.Err, Msg: fmt.Sprintf("frame refused (fatal=%v atEnd=%v)", e.Fatal, e.AtEnd)}
			}
			return e.Type, e.Payload, nil
		}
		_ = f.s.SetReadDeadline(time.Now().Add(readIdle))
		n, err := f.s.Read(f.buf)
		if n > 0 {
			f.pending = append(f.pending, f.dec.Push(f.buf[:n])...)
			continue
		}
		if err == io.EOF {
			f.pending = append(f.pending, f.dec.End()...)
			if len(f.pending) == 0 {
				return "", nil, errEnd
			}
			continue
		}
		if err != nil {
			return "", nil, err
		}
	}
}

func (f *frameStream) write(typ string, payload []byte) error {
	frame, err := wire.EncodeFrame(typ, payload)
	if err != nil {
		return err
	}
	_ = f.s.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = f.s.Write(frame)
	return err
}
