// Package vectors reads protocols/*.vectors.json (protocols/README.md "Test vectors")
// with this peer's own decoders; its tests pass every vector they can.
package vectors

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Dir is the protocols/ directory of the clone (or $PAW_PROTOCOLS_DIR).
func Dir() string {
	if d := os.Getenv("PAW_PROTOCOLS_DIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "protocols")
}

// Load parses one vector file into v.
func Load(name string, v any) error {
	raw, err := os.ReadFile(filepath.Join(Dir(), name))
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// Bytes reads a byte field: a hex string, or a list of segments (hex strings,
// {"hex", "repeat"}, {"counter", "width"}).
func Bytes(raw json.RawMessage) ([]byte, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return hex.DecodeString(s)
	}
	var segments []json.RawMessage
	if err := json.Unmarshal(raw, &segments); err != nil {
		return nil, fmt.Errorf("byte field %s: %w", abbreviate(raw), err)
	}
	var out bytes.Buffer
	for _, seg := range segments {
		if err := json.Unmarshal(seg, &s); err == nil {
			b, err := hex.DecodeString(s)
			if err != nil {
				return nil, err
			}
			out.Write(b)
			continue
		}
		var obj struct {
			Hex     *string
			Repeat  int
			Counter *int
			Width   int
		}
		if err := json.Unmarshal(seg, &obj); err != nil {
			return nil, err
		}
		switch {
		case obj.Hex != nil:
			b, err := hex.DecodeString(*obj.Hex)
			if err != nil {
				return nil, err
			}
			out.Write(bytes.Repeat(b, obj.Repeat))
		case obj.Counter != nil:
			for _, e := range Counter(*obj.Counter, obj.Width) {
				out.Write(e)
			}
		default:
			return nil, fmt.Errorf("segment %s", abbreviate(seg))
		}
	}
	return out.Bytes(), nil
}

// Counter is N entries of W bytes, the i-th W − 4 zero bytes then i as u32 BE.
func Counter(n, width int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		e := make([]byte, width)
		binary.BigEndian.PutUint32(e[width-4:], uint32(i))
		out[i] = e
	}
	return out
}

// List reads a list of byte entries: a {"counter", "width"} object, or a JSON list
// whose items are byte fields or {"<key>": byte field, "count": N} (N copies).
func List(raw json.RawMessage, key string) ([][]byte, error) {
	var counter struct {
		Counter *int
		Width   int
	}
	if err := json.Unmarshal(raw, &counter); err == nil && counter.Counter != nil {
		return Counter(*counter.Counter, counter.Width), nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("list %s: %w", abbreviate(raw), err)
	}
	var out [][]byte
	for _, item := range items {
		var repeated map[string]json.RawMessage
		if json.Unmarshal(item, &repeated) == nil && repeated["count"] != nil && repeated[key] != nil {
			var n int
			if err := json.Unmarshal(repeated["count"], &n); err != nil {
				return nil, err
			}
			b, err := Bytes(repeated[key])
			if err != nil {
				return nil, err
			}
			for i := 0; i < n; i++ {
				out = append(out, b)
			}
			continue
		}
		b, err := Bytes(item)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Code reads "0x05" as 5.
func Code(s string) (byte, error) {
	var c byte
	if len(s) != 4 || s[:2] != "0x" {
		return 0, fmt.Errorf("error code %q", s)
	}
	_, err := fmt.Sscanf(s[2:], "%02x", &c)
	return c, err
}

func abbreviate(raw []byte) string {
	if len(raw) > 80 {
		return string(raw[:80]) + "…"
	}
	return string(raw)
}
