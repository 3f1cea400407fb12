package store_test

import (
	"context"
	"testing"

	"usher/checkin"
	"usher/store"
	"usher/sync/wire"
)

// MustStanding returns the kiosk's standing.
func MustStanding(tb testing.TB, db *store.DB) checkin.Standing {
	tb.Helper()
	s, err := db.Standing(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// After the center revoked the kiosk, every scan and staff action is a
// denial with reason kiosk_revoked, in the log before it is returned, at
// this handle and at another one on the file; it moves nobody and
// spends no right. It ends when the kiosk is enrolled again.
func TestRevokedKioskDenies(t *testing.T) {
	ctx := context.Background()
	db, path := MustEnrolledKiosk(t, "main")
	MustGrant(t, db, wire.Grant{ID: 1, Counter: "venue", N: 5})
	MustAdmit(t, db, "C-0001", "main")
	other := MustOpen(t, path) // `usher scan` beside the screen
	if err := db.MarkRevoked(ctx); err != nil {
		t.Fatal(err)
	}
	if s := MustStanding(t, db); !s.Enrolled || !s.Revoked || s.Forked || s.Door != "main" {
		t.Errorf("standing %+v, want enrolled at main and revoked", s)
	}
	for _, h := range []struct {
		name string
		db   *store.DB
	}{{"this handle", db}, {"another handle", other}} {
		d := MustScan(t, h.db, "C-0002", "main", checkin.Entry)
		if d.Kind != checkin.Deny || d.Reason != checkin.KioskRevoked || d.Seq == 0 {
			t.Fatalf("%s: a scan after the revocation: %+v, want a logged kiosk_revoked denial", h.name, d)
		}
		var decision, reason string
		if err := h.db.SQL().QueryRow(`SELECT decision, reason FROM scans WHERE seq = ?`, d.Seq).Scan(&decision, &reason); err != nil {
			t.Fatalf("%s: the denial is not in the log: %v", h.name, err)
		}
		if decision != "deny" || reason != "kiosk_revoked" {
			t.Errorf("%s: logged %s/%s", h.name, decision, reason)
		}
	}
	if d := MustScan(t, db, "C-0001", "main", checkin.Exit); d.Reason != checkin.KioskRevoked {
		t.Errorf("an exit after the revocation: %s", d.Reason)
	}
	if d, err := db.Adjust(ctx, "main", 1, "no badge"); err != nil || d.Reason != checkin.KioskRevoked {
		t.Errorf("a +1 after the revocation: %s, %v", d.Reason, err)
	}
	if d, err := db.Scan(ctx, checkin.Scan{Code: "C-0003", Door: "main", Override: true, Note: "VIP"}); err != nil || d.Reason != checkin.KioskRevoked {
		t.Errorf("an override after the revocation: %s, %v", d.Reason, err)
	}
	if got := db.Occupancy()["venue"]; got != 1 {
		t.Errorf("venue %d after the denials, want 1: they move nobody", got)
	}
	wantBalance(t, db, "venue", 4)
	// Reopened, it is still revoked.
	db.Close()
	db = MustOpen(t, path)
	if d := MustScan(t, db, "C-0004", "main", checkin.Entry); d.Reason != checkin.KioskRevoked {
		t.Errorf("after a restart: %s, want %s", d.Reason, checkin.KioskRevoked)
	}

	// Enrolled again, it admits on the rights its new identity gets.
	if err := db.Enroll(ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-2", Token: "t2", Door: "main", EventID: "expo"}); err != nil {
		t.Fatalf("enrolling a revoked kiosk again: %v", err)
	}
	if s := MustStanding(t, db); s.Revoked || !s.Enrolled {
		t.Errorf("standing %+v after enrolling again", s)
	}
	if d := MustScan(t, db, "C-0004", "main", checkin.Entry); d.Reason != checkin.OutOfCapacity {
		t.Errorf("enrolled again, before any grant: %s, want %s: the old identity's rights are not this one's", d.Reason, checkin.OutOfCapacity)
	}
	MustGrant(t, db, wire.Grant{ID: 2, Counter: "venue", N: 1})
	MustAdmit(t, db, "C-0004", "main")
}

// A kiosk enrolled while the center trusts it cannot be enrolled again;
// one revoked or whose log forked can.
func TestEnrollAgain(t *testing.T) {
	ctx := context.Background()
	again := store.Identity{URL: "http://center.invalid", KioskID: "K-2", Token: "t2", Door: "main", EventID: "expo"}
	for _, tc := range []struct {
		name string
		mark func(*store.DB) error
		want string
	}{
		{"ErrTrusted", func(*store.DB) error { return nil }, checkin.ECONFLICT},
		{"Revoked", func(db *store.DB) error { return db.MarkRevoked(ctx) }, ""},
		{"Forked", func(db *store.DB) error { return db.MarkForked(ctx) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := MustEnrolledKiosk(t, "main")
			if err := tc.mark(db); err != nil {
				t.Fatal(err)
			}
			if got := checkin.ErrorCode(db.CheckNotEnrolled(ctx)); got != tc.want {
				t.Errorf("CheckNotEnrolled: code %q, want %q", got, tc.want)
			}
			if got := checkin.ErrorCode(db.Enroll(ctx, again)); got != tc.want {
				t.Errorf("Enroll: code %q, want %q", got, tc.want)
			}
		})
	}
	// A standalone kiosk has no standing to lose.
	db := MustOpen(t, tempDB(t))
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(3))
	if err := db.MarkRevoked(ctx); err != nil {
		t.Fatal(err)
	}
	if s := MustStanding(t, db); s != (checkin.Standing{}) {
		t.Errorf("a standalone kiosk's standing %+v after MarkRevoked", s)
	}
	if d := MustScan(t, db, "C-0001", "main", checkin.Entry); d.Reason != checkin.Admitted {
		t.Errorf("a standalone kiosk: %s", d.Reason)
	}
}

// Enrolling a database that holds scans starts the push after them: they
// stay in the log and are never sent under the new identity; the scans
// after the enrollment are.
func TestEnrollUsedDatabase(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, tempDB(t))
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(20))
	for i := 1; i <= 12; i++ {
		MustScan(t, db, "C-"+pad(i), "main", checkin.Entry)
	}
	if err := db.Enroll(ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-1", Token: "t", Door: "main", EventID: "expo"}); err != nil {
		t.Fatal(err)
	}
	if s := MustStanding(t, db); s.KeptLocal != 12 {
		t.Errorf("standing %+v, want 12 scans kept local", s)
	}
	if got := MustStanding(t, db).KeptNote(); got != "12 scans made before this enrollment stay on this kiosk and are not sent." {
		t.Errorf("note %q", got)
	}
	MustWaiting(t, db, 0)
	if p, err := db.Pending(ctx, 100); err != nil || len(p) != 0 {
		t.Fatalf("pending after enrolling: %d events, %v; want none", len(p), err)
	}
	if n := MustCount(t, db, `SELECT count(*) FROM scans`); n != 12 {
		t.Errorf("the log holds %d rows, want the 12 scans still", n)
	}
	MustGrant(t, db, wire.Grant{ID: 1, Counter: "venue", N: 1})
	d := MustScan(t, db, "C-0013", "main", checkin.Entry)
	p, err := db.Pending(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 2 || p[0].Seq != 13 || p[1].Seq != d.Seq {
		t.Errorf("pending %+v, want the grant (seq 13) and the new scan (seq %d)", p, d.Seq)
	}
	// The center counted nobody: its count is the whole truth up to the
	// enrollment, and this kiosk adds only its moves since.
	MustApply(t, db, wire.PullResponse{Cursor: 1, Presence: &wire.Presence{At: 1_800_000_000_000, Counts: map[string]int{"venue": 0}}})
	if got := db.Occupancy()["venue"]; got != 1 {
		t.Errorf("venue %d after the center's count of 0, want 1: the scan since the enrollment", got)
	}
}

func pad(i int) string {
	return string([]byte{'0' + byte(i/1000%10), '0' + byte(i/100%10), '0' + byte(i/10%10), '0' + byte(i%10)})
}
