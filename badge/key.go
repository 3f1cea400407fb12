package badge

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"usher/checkin"
)

// KeyID names a public key (see checkin.KeyID).
func KeyID(pub ed25519.PublicKey) string { return checkin.KeyID(pub) }

func parseKeyID(id string) ([4]byte, error) {
	var k [4]byte
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 4 {
		return k, fmt.Errorf("badge: key id %q is not 8 hex digits", id)
	}
	copy(k[:], b)
	return k, nil
}

// ParsePublic decodes a [[key]] block's public key (standard base64) and
// checks that id is its key id.
func ParsePublic(id, public string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(public)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key must be %d bytes of base64", ed25519.PublicKeySize)
	}
	pub := ed25519.PublicKey(b)
	if got := KeyID(pub); got != id {
		return nil, fmt.Errorf("key id %q does not match its public key (whose id is %q)", id, got)
	}
	return pub, nil
}

const pemType = "USHER ED25519 SIGNING KEY"

// NewKey creates a signing key and writes it to dir/signing.key, readable
// by its owner only. It refuses to overwrite an existing key: badges
// signed with it would stop verifying once it is gone from the event.
func NewKey(dir string) (ed25519.PrivateKey, string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, "signing.key")
	id := KeyID(priv.Public().(ed25519.PublicKey))
	block := &pem.Block{Type: pemType, Headers: map[string]string{"Key-Id": id}, Bytes: priv.Seed()}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("write signing key: %w", err)
	}
	if err := pem.Encode(f, block); err != nil {
		f.Close()
		os.Remove(path)
		return nil, "", fmt.Errorf("write signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, "", fmt.Errorf("write signing key: %w", err)
	}
	return priv, id, nil
}

// LoadKey reads a signing key written by NewKey.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemType || len(block.Bytes) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key %s: not an Usher signing key", path)
	}
	priv := ed25519.NewKeyFromSeed(block.Bytes)
	if id := block.Headers["Key-Id"]; id != KeyID(priv.Public().(ed25519.PublicKey)) {
		return nil, errors.New("signing key " + path + ": its Key-Id does not match the key")
	}
	return priv, nil
}

// KeyBlock is the [[key]] block to paste into the event file, so kiosks
// loaded from it verify badges signed with this key.
func KeyBlock(priv ed25519.PrivateKey) string {
	pub := priv.Public().(ed25519.PublicKey)
	return fmt.Sprintf("[[key]]\nid = %q\npublic = %q\n", KeyID(pub), base64.StdEncoding.EncodeToString(pub))
}
