package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"fmt"
	"math/big"

	"filippo.io/edwards25519"

	"paw-interop-go/internal/wire"
)

// SigningMessage is docs/chain.md "Signed message": `paw-tx-v1` ‖ chain ID field ‖
// the transaction's bytes 0..88.
func SigningMessage(tx []byte, chainID string) ([]byte, error) {
	field, err := wire.ChainIDField(chainID)
	if err != nil {
		return nil, err
	}
	msg := append([]byte("paw-tx-v1"), field...)
	return append(msg, tx[:88]...), nil
}

// Sign signs an unsigned transaction encoding (its signature bytes are replaced) with
// the 32-byte Ed25519 seed.
func Sign(tx Transaction, seed []byte, chainID string) ([]byte, error) {
	tx.Signature = make([]byte, 64)
	enc := EncodeTransaction(tx)
	msg, err := SigningMessage(enc, chainID)
	if err != nil {
		return nil, err
	}
	copy(enc[88:], ed25519.Sign(ed25519.NewKeyFromSeed(seed), msg))
	return enc, nil
}

var fieldPrime = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

// decodeStrict is rule 1 of docs/chain.md "Signed message" (RFC 8032 §5.1.3 with no
// leniency). edwards25519's SetBytes accepts both non-canonical forms (a y ≥ p, and
// x = 0 with the sign bit set), so both are refused here on the bytes first.
func decodeStrict(enc []byte) (*edwards25519.Point, bool) {
	if len(enc) != 32 {
		return nil, false
	}
	be := make([]byte, 32)
	for i := range enc {
		be[31-i] = enc[i]
	}
	be[0] &= 0x7f // the sign bit, the top bit of the last byte
	if new(big.Int).SetBytes(be).Cmp(fieldPrime) >= 0 {
		return nil, false // y ≥ p
	}
	p, err := new(edwards25519.Point).SetBytes(enc)
	if err != nil {
		return nil, false // no x for this y
	}
	// With y < p, the only encoding that re-encodes differently is x = 0 with the sign
	// bit set ("−0"): the re-encoding has the bit clear.
	if !bytes.Equal(p.Bytes(), enc) {
		return nil, false
	}
	return p, true
}

func isIdentity(p *edwards25519.Point) bool {
	return p.Equal(edwards25519.NewIdentityPoint()) == 1
}

// smallOrder: 8·P is the identity (P is one of the 8 points of the 8-torsion).
func smallOrder(p *edwards25519.Point) bool {
	return isIdentity(new(edwards25519.Point).MultByCofactor(p))
}

// VerifyStrict is docs/chain.md "Signed message", its four rules exactly:
//  1. A and R decode canonically (y < p, no x = 0 with the sign bit set);
//  2. S < L;
//  3. A is not of small order;
//  4. with k = SHA-512(R ‖ A ‖ M) mod L, 8·(R + k·A − S·B) = identity (cofactored;
//     R may have a torsion component, and R of small order is not refused).
func VerifyStrict(publicKey, msg, sig []byte) bool {
	if len(publicKey) != 32 || len(sig) != 64 {
		return false
	}
	a, ok := decodeStrict(publicKey)
	if !ok {
		return false
	}
	r, ok := decodeStrict(sig[:32])
	if !ok {
		return false
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:]) // refuses S ≥ L
	if err != nil {
		return false
	}
	if smallOrder(a) {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(publicKey)
	h.Write(msg)
	k, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil)) // mod L
	if err != nil {
		return false
	}
	// k·A + (−S)·B + R, then times the cofactor.
	sum := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(k, a, edwards25519.NewScalar().Negate(s))
	sum.Add(sum, r)
	return isIdentity(sum.MultByCofactor(sum))
}

// VerifyTransaction checks the signature of a 152-byte transaction for chainID.
func VerifyTransaction(tx []byte, chainID string) bool {
	t, err := DecodeTransaction(tx)
	if err != nil {
		return false
	}
	msg, err := SigningMessage(tx, chainID)
	if err != nil {
		return false
	}
	return VerifyStrict(t.From, msg, t.Signature)
}

// DevnetSeed is docs/chain.md "Built-in chains": account i's secret key is
// SHA-256("paw-devnet account i"), i counted from 0 (settled against the gossip sample
// block, whose t1 is signed by account 0 and whose coinbase pays account 1), the key
// being the 32-byte Ed25519 seed.
func DevnetSeed(i int) []byte { return Sha256([]byte(fmt.Sprintf("paw-devnet account %d", i))) }

// DevnetAddress is account i's public key.
func DevnetAddress(i int) []byte {
	return ed25519.NewKeyFromSeed(DevnetSeed(i)).Public().(ed25519.PublicKey)
}
