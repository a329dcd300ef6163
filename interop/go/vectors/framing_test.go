package vectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"paw-interop-go/internal/wire"
)

type expectEvent struct {
	Type    *string
	Payload json.RawMessage
	Error   string
	Fatal   bool
	AtEnd   bool
}

type framingVector struct {
	Name   string
	Input  json.RawMessage
	Expect []expectEvent
	Limits *struct {
		Accepted map[string]int
		Defined  []string
		Ceiling  int
	}
}

func splits(input []byte) map[string][][]byte {
	out := map[string][][]byte{"one chunk": {input}}
	if len(input) <= 4096 {
		var bytewise [][]byte
		for i := range input {
			bytewise = append(bytewise, input[i:i+1])
		}
		out["byte by byte"] = bytewise
	} else {
		var chunks [][]byte
		for i := 0; i < len(input); i += 65536 {
			chunks = append(chunks, input[i:min(i+65536, len(input))])
		}
		out["64 KiB chunks"] = chunks
	}
	var cut [][]byte
	start := 0
	for _, at := range []int{1, 5, 7} {
		if at < len(input) {
			cut = append(cut, input[start:at])
			start = at
		}
	}
	out["cut after 1, 5, 7"] = append(cut, input[start:])
	return out
}

func describe(events []wire.Event) string {
	var b bytes.Buffer
	for _, e := range events {
		if e.Err != 0 {
			fmt.Fprintf(&b, "[0x%02x fatal=%v atEnd=%v]", e.Err, e.Fatal, e.AtEnd)
		} else {
			fmt.Fprintf(&b, "[%s %d bytes]", e.Type, len(e.Payload))
		}
	}
	return b.String()
}

func matches(t *testing.T, got []wire.Event, want []expectEvent) bool {
	t.Helper()
	if len(got) != len(want) {
		return false
	}
	for i, w := range want {
		g := got[i]
		if w.Error != "" {
			code, err := Code(w.Error)
			if err != nil {
				t.Fatal(err)
			}
			if g.Err != code || g.Fatal != w.Fatal || g.AtEnd != w.AtEnd {
				return false
			}
			continue
		}
		payload, err := Bytes(w.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if g.Err != 0 || w.Type == nil || g.Type != *w.Type || !bytes.Equal(g.Payload, payload) {
			return false
		}
	}
	return true
}

func runFraming(t *testing.T, v framingVector) {
	input, err := Bytes(v.Input)
	if err != nil {
		t.Fatal(err)
	}
	var limits *wire.Limits
	if v.Limits != nil {
		limits = &wire.Limits{Accepted: v.Limits.Accepted, Defined: v.Limits.Defined, Ceiling: v.Limits.Ceiling}
	}
	for how, chunks := range splits(input) {
		d := wire.NewDecoder(limits)
		var got []wire.Event
		peak := 0
		for _, c := range chunks {
			got = append(got, d.Push(c)...)
			peak = max(peak, d.Buffered())
		}
		got = append(got, d.End()...)
		if !matches(t, got, v.Expect) {
			t.Errorf("%s (%s): got %s", v.Name, how, describe(got))
		}
		if limits != nil && peak > 4+limits.Ceiling {
			t.Errorf("%s (%s): held %d bytes, over 4 + ceiling", v.Name, how, peak)
		}
	}
}

func TestFramingVectors(t *testing.T) {
	var file struct {
		MaxFrameLength int
		Valid          []framingVector
		Invalid        []framingVector
		Limits         []framingVector
	}
	if err := Load("framing.vectors.json", &file); err != nil {
		t.Fatal(err)
	}
	if file.MaxFrameLength != wire.MaxFrameLength {
		t.Fatalf("maxFrameLength %d", file.MaxFrameLength)
	}
	n := 0
	for _, group := range [][]framingVector{file.Valid, file.Invalid, file.Limits} {
		for _, v := range group {
			runFraming(t, v)
			n++
		}
	}
	// Encoding each valid vector's single frame gives its input.
	for _, v := range file.Valid {
		if len(v.Expect) != 1 {
			continue
		}
		input, _ := Bytes(v.Input)
		payload, _ := Bytes(v.Expect[0].Payload)
		enc, err := wire.EncodeFrame(*v.Expect[0].Type, payload)
		if err != nil || !bytes.Equal(enc, input) {
			t.Errorf("encode %s: %v", v.Name, err)
		}
	}
	t.Logf("framing: %d vectors", n)
}
