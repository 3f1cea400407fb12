package store_test

import (
	"context"
	"strings"
	"testing"

	"usher/checkin"
)

// asciiLower lowers ASCII letters only, as SQLite's LIKE folds case.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// FuzzSearch types anything into the staff screen's search: Search never
// fails, and finds only people on the roster whose name or company
// contains the query, or whose id is it, within the limit. LIKE's
// wildcards in the query are plain characters.
func FuzzSearch(f *testing.F) {
	db := MustOpen(f, tempDB(f))
	roster := people(30)
	roster[3].Name, roster[4].Company, roster[5].Name = "Ada 100% Lovelace", `Back\slash_Ltd`, "Zoë Ölund"
	MustLoad(f, db, MustEvent(f, expoEvent("expo")), roster)
	for _, q := range []string{"Person 1", "person", "P7", "%", "_", `\`, "100%", "_Ltd", "zoë", "ÖLUND", " ", "", "'", `"`, "\x00"} {
		f.Add(q, uint8(10))
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, query string, limit uint8) {
		found, err := db.Search(ctx, query, int(limit))
		if err != nil {
			t.Fatalf("Search(%q): %v", query, err)
		}
		if len(found) > int(limit) {
			t.Fatalf("Search(%q, %d) found %d", query, limit, len(found))
		}
		q := strings.TrimSpace(query)
		for _, p := range found {
			if !strings.Contains(asciiLower(p.Name), asciiLower(q)) && !strings.Contains(asciiLower(p.Company), asciiLower(q)) && p.ID != q {
				t.Fatalf("Search(%q) found %+v", query, p)
			}
		}
	})
}

// FuzzPIN sets and tries staff PINs: SetPIN takes exactly the PINs
// checkin.ValidPIN allows, and then only that PIN unlocks staff mode.
func FuzzPIN(f *testing.F) {
	db := MustOpen(f, tempDB(f))
	for _, c := range [][2]string{{"2468", "2468"}, {"2468", "24680"}, {"123456789012", "1234567890123"}, {"123", "123"}, {"12a4", "12a4"}, {"١٢٣٤", "1234"}, {"", ""}} {
		f.Add(c[0], c[1])
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, pin, try string) {
		err := db.SetPIN(ctx, pin)
		if (err == nil) != checkin.ValidPIN(pin) {
			t.Fatalf("SetPIN(%q): %v; ValidPIN says %v", pin, err, checkin.ValidPIN(pin))
		}
		if err != nil {
			if checkin.ErrorCode(err) != checkin.EINVALID {
				t.Fatalf("SetPIN(%q): %v", pin, err)
			}
			return
		}
		for _, c := range []struct {
			try  string
			want bool
		}{{pin, true}, {try, try == pin}, {pin + "0", false}, {" " + pin, false}} {
			if ok, err := db.CheckPIN(ctx, c.try); err != nil || ok != c.want {
				t.Fatalf("after SetPIN(%q), CheckPIN(%q) = %v, %v", pin, c.try, ok, err)
			}
		}
	})
}
