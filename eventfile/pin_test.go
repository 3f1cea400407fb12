package eventfile_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"usher/checkin"
)

// The event's JSON, which the center stores and every kiosk pulls and
// stores, carries the staff PIN only as its slow hash, made when the
// file is read.
func TestStaffPINHashed(t *testing.T) {
	const pin = "73915048"
	src := issueEvent + "\n[kiosk]\nstaff_pin = \"" + pin + "\"\n"
	ev := MustParse(t, src)
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(pin))
	for _, leak := range []string{pin, hex.EncodeToString(sum[:])} {
		if strings.Contains(string(b), leak) {
			t.Errorf("the event's JSON holds %q:\n%s", leak, b)
		}
	}
	var back checkin.Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.StaffPIN != "" || !checkin.ValidPINHash(back.StaffPINHash) {
		t.Fatalf("the event read back has PIN %q and hash %q, want no PIN and a PIN hash", back.StaffPIN, back.StaffPINHash)
	}
	for _, c := range []struct {
		try  string
		want bool
	}{{pin, true}, {"2468", false}} {
		if ok, err := checkin.CheckPIN(c.try, back.StaffPINHash); err != nil || ok != c.want {
			t.Errorf("CheckPIN(%q) = %v, %v; want %v", c.try, ok, err, c.want)
		}
	}
	// The same file read again is the same event, so that importing it
	// again changes nothing.
	if again := MustParse(t, src); again.StaffPINHash != ev.StaffPINHash {
		t.Errorf("the same file read twice gave two hashes, %q and %q", ev.StaffPINHash, again.StaffPINHash)
	}
	if none := MustParse(t, issueEvent); none.StaffPIN != "" || none.StaffPINHash != "" {
		t.Errorf("an event without a staff PIN has PIN %q and hash %q", none.StaffPIN, none.StaffPINHash)
	}
}
