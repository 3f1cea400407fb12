package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"usher/checkin"
	"usher/eventfile"
	"usher/store"
)

// PINs of these tests: long and odd enough that finding one in the
// database's bytes is no accident.
const (
	eventPIN = "73915048"
	kioskPIN = "55821907"
	wrongPIN = "11112222"
)

// pinEvent is a small event file with a staff PIN.
const pinEvent = `[event]
id = "expo"

[[space]]
id = "venue"
capacity = 10

[[door]]
id = "main"
from = "outside"
to = "venue"

[[category]]
id = "attendee"
may_enter = ["venue"]

[kiosk]
staff_pin = "` + eventPIN + `"
`

// leaks are the forms of pin that must never be in the kiosk database:
// the digits, their SHA-256, and the salted SHA-256 kiosks kept before.
func leaks(pin string) []string {
	plain := sha256.Sum256([]byte(pin))
	legacy := sha256.Sum256([]byte("usher staff pin\x00" + pin))
	return []string{pin, hex.EncodeToString(plain[:]), hex.EncodeToString(legacy[:])}
}

// wantNoLeak reads the database file and its -wal and -shm files byte
// for byte and fails if any holds a form of a PIN.
func wantNoLeak(tb testing.TB, path string, pins ...string) {
	tb.Helper()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			tb.Fatal(err)
		}
		for _, pin := range pins {
			for _, leak := range leaks(pin) {
				if bytes.Contains(b, []byte(leak)) {
					tb.Errorf("%s holds %q, a form of the staff PIN %s", p, leak, pin)
				}
			}
		}
	}
}

// wantPIN checks which PINs unlock staff mode.
func wantPIN(tb testing.TB, db *store.DB, right string, wrong ...string) {
	tb.Helper()
	ctx := context.Background()
	if has, err := db.HasPIN(ctx); err != nil || !has {
		tb.Fatalf("HasPIN = %v, %v; want true", has, err)
	}
	if ok, err := db.CheckPIN(ctx, right); err != nil || !ok {
		tb.Errorf("CheckPIN(%s) = %v, %v; want true", right, ok, err)
	}
	for _, w := range wrong {
		if ok, err := db.CheckPIN(ctx, w); err != nil || ok {
			tb.Errorf("CheckPIN(%s) = %v, %v; want false", w, ok, err)
		}
	}
}

// The staff PIN is kept only as a slow salted hash: neither the event
// file's PIN nor one set at the kiosk is in the database's bytes, in
// clear or under a fast hash, while and after the kiosk runs.
func TestStaffPINNotStored(t *testing.T) {
	ctx := context.Background()
	t.Run("EventFile", func(t *testing.T) {
		path := tempDB(t)
		db := MustOpen(t, path)
		ev, err := eventfile.Parse("event.toml", []byte(pinEvent))
		if err != nil {
			t.Fatal(err)
		}
		MustLoad(t, db, ev, people(3))
		if err := db.SetPIN(ctx, kioskPIN); err != nil {
			t.Fatal(err)
		}
		wantPIN(t, db, eventPIN, wrongPIN, kioskPIN) // the event file's PIN comes first
		wantNoLeak(t, path, eventPIN, kioskPIN)
		db.Close()
		wantNoLeak(t, path, eventPIN, kioskPIN)
		wantPIN(t, MustOpen(t, path), eventPIN, wrongPIN)
	})
	t.Run("SetAtKiosk", func(t *testing.T) {
		path := tempDB(t)
		db := MustOpen(t, path)
		MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(3))
		if err := db.SetPIN(ctx, kioskPIN); err != nil {
			t.Fatal(err)
		}
		wantPIN(t, db, kioskPIN, wrongPIN, kioskPIN+"0", "")
		MustScan(t, db, "C-0001", "main", checkin.Entry)
		wantNoLeak(t, path, kioskPIN)
		db.Close()
		wantNoLeak(t, path, kioskPIN)
		wantPIN(t, MustOpen(t, path), kioskPIN, wrongPIN)
	})
}

// A kiosk database from before keeps its PINs: a PIN set at the kiosk
// under a plain SHA-256 still unlocks and is then kept as a slow hash
// only, and an event definition holding the PIN in clear is hashed when
// the database is opened. Neither old form stays in the file.
func TestStaffPINUpgrade(t *testing.T) {
	ctx := context.Background()
	t.Run("KioskSHA256", func(t *testing.T) {
		path := tempDB(t)
		db := MustOpen(t, path)
		MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(3))
		legacy := leaks(kioskPIN)[2]
		if err := db.SetSetting(ctx, "staff_pin_sha256", legacy); err != nil {
			t.Fatal(err)
		}
		wantPIN(t, db, kioskPIN, wrongPIN)
		for _, key := range []string{"staff_pin_sha256", "staff_pin_hash"} {
			v, err := db.Setting(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if key == "staff_pin_sha256" && v != "" {
				t.Errorf("the old hash %q is still stored after the PIN was checked", v)
			}
			if key == "staff_pin_hash" && !checkin.ValidPINHash(v) {
				t.Errorf("the PIN is stored as %q, want a slow hash", v)
			}
		}
		wantNoLeak(t, path, kioskPIN)
		wantPIN(t, db, kioskPIN, wrongPIN)
	})
	t.Run("EventDefinitionInClear", func(t *testing.T) {
		path := tempDB(t)
		db := MustOpen(t, path)
		MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(3))
		// The definition as kiosks stored it before: the PIN in clear.
		if _, err := db.SQL().Exec(`UPDATE event SET definition = json_set(definition, '$.StaffPIN', ?)`, eventPIN); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = MustOpen(t, path)
		wantPIN(t, db, eventPIN, wrongPIN)
		wantNoLeak(t, path, eventPIN)
		var def string
		if err := db.SQL().QueryRow(`SELECT definition FROM event`).Scan(&def); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(def, eventPIN) || !strings.Contains(def, "pbkdf2-sha256$") {
			t.Errorf("the stored definition is %s, want the PIN's slow hash only", def)
		}
	})
}
