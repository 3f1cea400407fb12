package centralstore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// The center's secrets (enrollment codes, kiosks' bearer tokens, the
// organizers' web sessions) are random tokens it stores only as hashes:
// a copy of its database holds none of them.

// newToken returns a new random token and its hash.
func newToken() (string, string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, hashToken(t)
}

// hashToken returns the hash a token is stored and looked up by.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}
