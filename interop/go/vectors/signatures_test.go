package vectors

import (
	"testing"

	"paw-interop-go/internal/chain"
)

// TestSignatureVectors: protocols/signatures.vectors.json (docs/chain.md "Signed message"):
// every case's `valid` answer, the four rules of strict verification.
func TestSignatureVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name    string
			ChainID string
			Tx      string
			Valid   bool
			Why     string
		}
	}
	if err := Load("signatures.vectors.json", &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("signatures.vectors.json: no cases")
	}
	for _, c := range file.Cases {
		tx := mustHex(t, c.Tx)
		if len(tx) != 152 {
			t.Fatalf("%s: %d bytes, want 152", c.Name, len(tx))
		}
		if got := chain.VerifyTransaction(tx, c.ChainID); got != c.Valid {
			t.Errorf("%s: valid = %v, want %v (%s)", c.Name, got, c.Valid, c.Why)
		}
	}
	t.Logf("%d signature cases", len(file.Cases))
}
