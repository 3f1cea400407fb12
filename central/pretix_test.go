package central_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/centralstore"
	"usher/demo"
	"usher/pretix/pretixtest"
	"usher/sync/wire"
)

// pretixToken is the API token the pretix test server accepts.
const pretixToken = "n3qz8vjw1kc5hy0rtx7mbd4gpl2sa9ef"

// mustImportEvent runs usher-central import --event event into dsn.
func mustImportEvent(t *testing.T, dsn, event string) {
	t.Helper()
	if code, _, errOut := run("import", "--event", event, "--db", dsn); code != 0 {
		t.Fatalf("import --event %s: exit %d: %s", event, code, errOut)
	}
}

// mustPretixCenter is a new center holding the demo event with names for
// pretixtest's products, and no roster.
func mustPretixCenter(t *testing.T) string {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "center.db")
	mustImportEvent(t, dsn, pretixtest.EventFile(t, true))
	return dsn
}

// mustPretix is a pretix holding one paid order: Ada's ticket and her
// workshop add-on.
func mustPretix(t *testing.T) *pretixtest.Server {
	t.Helper()
	px := pretixtest.New(t, pretixToken)
	px.AddOrder(pretixtest.Order{Code: "ABC12", Status: "p", Email: "ada@pretix.example", Positions: []pretixtest.Position{
		{Item: pretixtest.ItemTicket, Variation: pretixtest.VariationRegular, Secret: "ada-ticket-secret", AttendeeName: "Ada Pretix"},
		{Item: pretixtest.ItemWorkshop, AddonTo: 1, Secret: "ada-workshop-secret"},
	}})
	return px
}

// mustTokenFile writes content to a file only its owner reads.
func mustTokenFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pretix.token")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustOpen opens the center's database, closed when the test ends.
func mustOpen(t *testing.T, dsn string) *centralstore.DB {
	t.Helper()
	db, err := centralstore.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pullRoster returns everyone a kiosk pulling from the start gets.
func pullRoster(t *testing.T, db *centralstore.DB) []wire.Person {
	t.Helper()
	resp, err := db.Pull(context.Background(), "", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if resp.More {
		t.Fatal("the roster takes more than one page")
	}
	return resp.People
}

// wantAda checks that the roster holds the people of mustPretix's order,
// each valid: Ada's ticket and her add-on.
func wantAda(t *testing.T, people []wire.Person) {
	t.Helper()
	got := map[string]wire.Person{}
	for _, p := range people {
		got[p.Code] = p
	}
	for _, w := range []struct{ code, id, category string }{
		{"ada-ticket-secret", "ABC12-1", "attendee"},
		{"ada-workshop-secret", "ABC12-2", "workshop-guest"},
	} {
		p, ok := got[w.code]
		if !ok || p.ID != w.id || p.Name != "Ada Pretix" || p.Category != w.category || p.Revoked != "" || p.Removed {
			t.Errorf("the roster's person with code %s: %+v (there: %v); want %s, Ada Pretix, %s, valid", w.code, p, ok, w.id, w.category)
		}
	}
}

// wantNoPretixPeople checks that nobody of pretix is on the roster.
func wantNoPretixPeople(t *testing.T, db *centralstore.DB) {
	t.Helper()
	for _, p := range pullRoster(t, db) {
		if strings.HasPrefix(p.ID, "ABC12-") {
			t.Errorf("the roster holds %+v", p)
		}
	}
}

// pretixSync runs usher-central pretix sync of px into dsn with args.
func pretixSync(px *pretixtest.Server, dsn string, args ...string) (int, string, string) {
	return run(append([]string{"pretix", "sync", "--url", px.EventURL(), "--db", dsn}, args...)...)
}

// TestPretixSyncToken: the token comes from --token-file or
// USHER_PRETIX_TOKEN, never a flag. A token pretix refuses fails the
// sync, with a message that does not show it, and the failure is stored
// for the dashboard; a missing or empty token is refused before pretix
// is asked anything.
func TestPretixSyncToken(t *testing.T) {
	t.Setenv("USHER_PRETIX_TOKEN", "")

	t.Run("ErrRefused", func(t *testing.T) {
		const wrong = "wrong-token-0b7e1d55c4a6f3"
		dsn, px := mustPretixCenter(t), mustPretix(t)
		code, out, errOut := pretixSync(px, dsn, "--token-file", mustTokenFile(t, wrong+"\n"))
		if code != 1 || out != "" || !strings.Contains(errOut, "pretix refused the API token (HTTP 401)") {
			t.Errorf("exit %d, stdout %q, stderr %q; want 1 and pretix's refusal", code, out, errOut)
		}
		if strings.Contains(errOut, wrong) {
			t.Errorf("stderr shows the token: %q", errOut)
		}
		db := mustOpen(t, dsn)
		st, err := db.Pretix(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.URL != px.EventURL() || st.ReadAt.IsZero() || st.Result != "" || st.Since != "" ||
			!strings.Contains(st.Error, "pretix refused the API token") || strings.Contains(st.Error, wrong) {
			t.Errorf("stored %+v; want the URL, a read time, the refusal and no result", st)
		}
		wantNoPretixPeople(t, db)
	})

	t.Run("FromEnvironment", func(t *testing.T) {
		dsn, px := mustPretixCenter(t), mustPretix(t)
		t.Setenv("USHER_PRETIX_TOKEN", pretixToken)
		code, out, errOut := pretixSync(px, dsn)
		if code != 0 || !strings.Contains(out, "1 orders, 2 positions: 2 added") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		wantAda(t, pullRoster(t, mustOpen(t, dsn)))
	})

	for _, c := range []struct {
		name string
		args func(t *testing.T) []string
		want []string
	}{
		{"ErrNoToken", func(t *testing.T) []string { return nil },
			[]string{"no pretix API token", "--token-file", "USHER_PRETIX_TOKEN"}},
		{"ErrEmptyFile", func(t *testing.T) []string {
			f := mustTokenFile(t, " \n")
			return []string{"--token-file", f}
		}, []string{"pretix.token is empty"}},
		{"ErrMissingFile", func(t *testing.T) []string {
			return []string{"--token-file", filepath.Join(t.TempDir(), "nosuch.token")}
		}, []string{"nosuch.token"}},
		{"ErrTokenFlag", func(t *testing.T) []string { return []string{"--token", pretixToken} },
			[]string{"flag provided but not defined: -token"}},
		{"ErrTokenFlagWithValue", func(t *testing.T) []string { return []string{"--token=" + pretixToken} },
			[]string{"flag provided but not defined: -token"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dsn, px := mustPretixCenter(t), mustPretix(t)
			code, out, errOut := pretixSync(px, dsn, c.args(t)...)
			if code == 0 || out != "" {
				t.Errorf("exit %d, stdout %q; want a failure", code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if strings.Contains(errOut, pretixToken) {
				t.Errorf("stderr shows the token: %q", errOut)
			}
			if r := px.Requests(); len(r) > 0 {
				t.Errorf("pretix was asked %v", r)
			}
			wantNoPretixPeople(t, mustOpen(t, dsn))
		})
	}
}

// TestPretixSyncThrottled: pretix limiting the rate (429 with
// Retry-After) makes the sync wait and read on, not fail.
func TestPretixSyncThrottled(t *testing.T) {
	dsn, px := mustPretixCenter(t), mustPretix(t)
	px.Throttle(1)
	code, out, errOut := pretixSync(px, dsn, "--token-file", mustTokenFile(t, pretixToken))
	if code != 0 || !strings.Contains(out, "2 added") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if r := px.Requests(); len(r) < 2 || r[0] != r[1] {
		t.Errorf("pretix was asked %v; want the throttled request again", r)
	}
	wantAda(t, pullRoster(t, mustOpen(t, dsn)))
}

// TestPretixSyncUnknownProduct: a position whose product the event has
// no category for is set aside, named, and the sync fails (exit 1) after
// applying the rest; the next read starts from the same point, so once
// the event names the product it reads the position in.
func TestPretixSyncUnknownProduct(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "center.db")
	db := mustOpen(t, dsn)
	if _, err := db.Import(context.Background(), demo.Event(), demo.Roster(5), nil); err != nil {
		t.Fatal(err)
	}
	before := pullRoster(t, db)
	px := mustPretix(t)
	token := mustTokenFile(t, pretixToken)

	code, out, errOut := pretixSync(px, dsn, "--token-file", token)
	if code != 1 || !strings.Contains(out, "0 added") ||
		!strings.Contains(errOut, "2 pretix positions set aside, the rest applied") ||
		!strings.Contains(errOut, `"Conference ticket – Regular" is not defined in the event file`) {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 naming the product", code, out, errOut)
	}
	if after := pullRoster(t, db); len(after) != len(before) {
		t.Errorf("the roster went from %d to %d people", len(before), len(after))
	}
	wantNoPretixPeople(t, db)
	st, err := db.Pretix(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Error, "set aside") || st.Since != "" {
		t.Errorf("stored %+v; want the positions set aside and no time to read from", st)
	}

	mustImportEvent(t, dsn, pretixtest.EventFile(t, true))
	px.Advance(time.Minute)
	code, out, errOut = pretixSync(px, dsn, "--token-file", token)
	if code != 0 || !strings.Contains(out, "pretix (everything): 1 orders, 2 positions: 2 added") {
		t.Fatalf("after the event names the products: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	wantAda(t, pullRoster(t, db))
}

// A name with control characters that a buyer typed into pretix neither
// stops the sync (and the cancellation read with it) nor reaches the
// screen.
func TestPretixSyncCancellationAlwaysApplies(t *testing.T) {
	dsn, px := mustPretixCenter(t), mustPretix(t)
	token := mustTokenFile(t, pretixToken)
	if code, _, errOut := pretixSync(px, dsn, "--token-file", token); code != 0 {
		t.Fatal(errOut)
	}
	px.AddOrder(pretixtest.Order{Code: "EVIL1", Status: "p", Email: "m@pretix.example", Positions: []pretixtest.Position{
		{Item: pretixtest.ItemWorkshop, Secret: "mallory-secret", AttendeeName: "Mallory\x01\x1b[2J Smith"},
	}})
	px.SetStatus("ABC12", "c")
	code, out, errOut := pretixSync(px, dsn, "--token-file", token)
	if code != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, p := range pullRoster(t, mustOpen(t, dsn)) {
		switch p.ID {
		case "ABC12-1", "ABC12-2":
			if p.Revoked != "cancelled order" {
				t.Errorf("%s after the cancellation: %+v", p.ID, p)
			}
		case "EVIL1-1":
			if p.Name != "Mallory[2J Smith" {
				t.Errorf("the name with control characters came through as %q", p.Name)
			}
		}
	}
	if !strings.Contains(out, "control characters removed") {
		t.Errorf("stdout %q does not say control characters were removed", out)
	}
}

// A cancellation reaches the door even when its order's rows cannot be
// read whole: here the event file no longer names the products.
func TestPretixSyncCancelledUnknownProduct(t *testing.T) {
	dsn, px := mustPretixCenter(t), mustPretix(t)
	token := mustTokenFile(t, pretixToken)
	if code, _, errOut := pretixSync(px, dsn, "--token-file", token); code != 0 {
		t.Fatal(errOut)
	}
	mustImportEvent(t, dsn, pretixtest.EventFile(t, false))
	px.SetStatus("ABC12", "c")
	code, out, errOut := pretixSync(px, dsn, "--token-file", token)
	if code != 1 || !strings.Contains(errOut, "set aside") || !strings.Contains(out, "2 revoked") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, the positions set aside and 2 revoked", code, out, errOut)
	}
	for _, p := range pullRoster(t, mustOpen(t, dsn)) {
		if strings.HasPrefix(p.ID, "ABC12-") && p.Revoked != "cancelled order" {
			t.Errorf("%s after its order was cancelled: %+v", p.ID, p)
		}
	}
}

// TestPretixSyncBeforeImport: a center without an event says to import
// one first, and asks pretix nothing.
func TestPretixSyncBeforeImport(t *testing.T) {
	dsn, px := filepath.Join(t.TempDir(), "center.db"), mustPretix(t)
	code, out, errOut := pretixSync(px, dsn, "--token-file", mustTokenFile(t, pretixToken))
	if code != 1 || out != "" || !strings.Contains(errOut, "usher-central import --event") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and to import the event first", code, out, errOut)
	}
	if r := px.Requests(); len(r) > 0 {
		t.Errorf("pretix was asked %v", r)
	}
}

// TestServeFollowsPretix: usher-central serve --pretix-every reads
// pretix as it starts, so the people are on the roster kiosks pull
// without waiting for the interval.
func TestServeFollowsPretix(t *testing.T) {
	dsn, px := mustPretixCenter(t), mustPretix(t)
	p := mustServeProc(t, "--db", dsn, "--pretix-every", "10s", "--url", px.EventURL(),
		"--token-file", mustTokenFile(t, pretixToken))
	db := mustOpen(t, dsn)
	ctx := context.Background()
	// The server is another process: only its database shows the read.
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := db.Pretix(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.ReadAt.IsZero() {
			if st.Error != "" || !strings.Contains(st.Result, "2 added") {
				t.Errorf("serve's read stored %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not read pretix in 15 s; stderr:\n%s", p.stop())
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantAda(t, pullRoster(t, db))
	if log := p.stop(); !strings.Contains(log, "msg=pretix") || !strings.Contains(log, "2 added") {
		t.Errorf("serve did not log the read:\n%s", log)
	}
}

// TestServePretixFlags: serve refuses to read pretix more often than
// every 10s, and --pretix-every and --url go together.
func TestServePretixFlags(t *testing.T) {
	dsn, px := mustPretixCenter(t), mustPretix(t)
	token := mustTokenFile(t, pretixToken)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--pretix-every", "1s", "--url", px.EventURL(), "--token-file", token}, "at most every 10s"},
		{[]string{"--pretix-every", "10s", "--token-file", token}, "usage:"},
		{[]string{"--url", px.EventURL(), "--token-file", token}, "usage:"},
		{[]string{"--pretix-every", "-1m", "--url", px.EventURL(), "--token-file", token}, "usage:"},
	} {
		code, errOut := serve(t, append(c.args, "--addr", "127.0.0.1:0", "--db", dsn)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("serve %v: exit %d, %q; want %q", c.args, code, errOut, c.want)
		}
	}
	if r := px.Requests(); len(r) > 0 {
		t.Errorf("pretix was asked %v", r)
	}
}
