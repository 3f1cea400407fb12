package store_test

import (
	"path/filepath"
	"testing"

	"usher/checkin"
)

// A roster code matches a scan whatever the case of its letters: a
// scanner in caps lock, or a badge printed in capitals, still admits. The
// stored code stays as the roster wrote it.
func TestScanCodeAnyCase(t *testing.T) {
	db := MustOpen(t, filepath.Join(t.TempDir(), "k.db"))
	ev := MustEvent(t, expoEvent("case"))
	MustLoad(t, db, ev, []checkin.Person{
		{ID: "P1", Name: "Ada Lovelace", Category: "attendee", Code: "abc123"},
		{ID: "P2", Name: "Grace Hopper", Category: "attendee", Code: "XyZ-789"},
	})
	for _, tc := range []struct{ scan, person, code string }{
		{"ABC123", "P1", "abc123"},
		{"xYz-789", "P2", "XyZ-789"},
	} {
		d := MustScan(t, db, tc.scan, "main", checkin.Entry)
		if d.Reason != checkin.Admitted || d.Person == nil || d.Person.ID != tc.person {
			t.Fatalf("scan %q: %s (%s), want %s admitted", tc.scan, d.Reason, d.Message, tc.person)
		}
		if d.Person.Code != tc.code {
			t.Errorf("scan %q: person's code %q, want the roster's %q", tc.scan, d.Person.Code, tc.code)
		}
	}
	if n := MustCount(t, db, `SELECT count(*) FROM codes WHERE code IN ('abc123', 'XyZ-789')`); n != 2 {
		t.Errorf("%d codes stored as the roster wrote them, want 2", n)
	}
}

// Two codes that differ only by case (a roster read can refuse them, a
// pull from the center cannot): each matches exactly, and a scan that
// matches neither exactly names nobody rather than guess.
func TestScanCodeAnyCaseAmbiguous(t *testing.T) {
	db := MustOpen(t, filepath.Join(t.TempDir(), "k.db"))
	ev := MustEvent(t, expoEvent("case"))
	MustLoad(t, db, ev, []checkin.Person{
		{ID: "P1", Name: "Ada Lovelace", Category: "attendee", Code: "abc123"},
		{ID: "P2", Name: "Grace Hopper", Category: "attendee", Code: "ABC123"},
	})
	for code, want := range map[string]string{"abc123": "P1", "ABC123": "P2"} {
		if d := MustScan(t, db, code, "main", checkin.Entry); d.Person == nil || d.Person.ID != want {
			t.Errorf("scan %q: %s, want %s", code, d.Reason, want)
		}
	}
	if d := MustScan(t, db, "Abc123", "main", checkin.Entry); d.Reason != checkin.UnknownBadge || d.Person != nil {
		t.Errorf("scan Abc123: %s (person %v), want %s", d.Reason, d.Person, checkin.UnknownBadge)
	}
}
