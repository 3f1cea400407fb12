package store_test

import (
	"context"
	"testing"

	"usher/checkin"
)

// DataVersion moves with every commit to the file: a scan by this handle,
// a setting stored, a scan by another process (here another handle on
// the same file), and stays put while nothing is committed.
func TestDataVersion(t *testing.T) {
	ctx := context.Background()
	db, path, _ := MustRecentKiosk(t)
	version := func() int64 {
		t.Helper()
		v, err := db.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := version()
	for range 3 {
		if got := version(); got != v {
			t.Fatalf("data version %d, then %d with nothing committed", v, got)
		}
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"ScanHere", func() { MustAdmit(t, db, "C-0001", "main") }},
		{"SettingHere", func() {
			if err := db.SetSetting(ctx, "theme", "dark"); err != nil {
				t.Fatal(err)
			}
		}},
		{"ScanByAnotherProcess", func() {
			other := MustOpen(t, path)
			MustScan(t, other, "C-0002", "main", checkin.Entry)
			other.Close()
		}},
	}
	for _, s := range steps {
		s.do()
		got := version()
		if got == v {
			t.Errorf("%s: data version still %d", s.name, v)
		}
		v = got
		if again := version(); again != v {
			t.Errorf("%s: data version %d, then %d with nothing committed", s.name, v, again)
		}
	}
}
