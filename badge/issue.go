package badge

import (
	"crypto/ed25519"
	"fmt"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"usher/checkin"
)

// Level is the QR error correction badges use: Medium survives a
// scratched or creased badge (about 15 % of the code) while keeping the
// symbol small enough to scan from a lanyard.
const Level = qrcode.Medium

// Code makes p's signed badge code for ev, valid from from until until
// (zero: with no end). Its serial is p's current serial (at least 1), so
// a reprint after the roster raises the serial revokes this badge.
func Code(ev *checkin.Event, p checkin.Person, key ed25519.PrivateKey, from, until time.Time) (string, error) {
	serial := max(p.Serial, 1)
	code, err := Sign(Payload{
		Event: ev.ID, Person: p.ID, Serial: serial, Category: p.Category, Tags: p.Tags,
		From: from, Until: until,
	}, key)
	if err != nil {
		return "", fmt.Errorf("badge for %s: %w", p.ID, err)
	}
	return code, nil
}

// QR returns the QR symbol of a badge code. Upper-case base32 and the
// prefix keep it in alphanumeric mode.
func QR(code string) (*qrcode.QRCode, error) {
	q, err := qrcode.New(code, Level)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	return q, nil
}
