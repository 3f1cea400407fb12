package central_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"usher/checkin"
	"usher/sync/wire"
)

// An enrollment QR was written 0644 and its code worked forever; now it
// is written for its owner only, expires, and can be listed and
// cancelled.
func TestEnrollCodeLifecycle(t *testing.T) {
	dsn, db := mustCenter(t)
	qr := filepath.Join(t.TempDir(), "east.png")
	code, out, errOut := run("enroll", "--door", "east", "--valid-for", "2h", "--qr", qr, "--db", dsn)
	if code != 0 {
		t.Fatalf("enroll: %s", errOut)
	}
	fi, err := os.Stat(qr)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("QR mode %v, want 0600", fi.Mode().Perm())
	}
	// The organizer's handle on the code is its id, never the secret.
	var id string
	for _, w := range strings.Fields(errOut) {
		if strings.HasPrefix(w, "E-") {
			id = strings.TrimSuffix(w, ",")
		}
	}
	if id == "" || !strings.Contains(errOut, "valid until") {
		t.Fatalf("enroll said %q: want the code's id and its expiry", errOut)
	}
	ec, err := wire.ParseEnrollCode(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errOut, ec.Token) {
		t.Errorf("the secret is on stderr: %q", errOut)
	}
	if code, out, _ := run("enroll", "list", "--db", dsn); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "open") {
		t.Errorf("enroll list: %d %q", code, out)
	}
	if code, _, errOut := run("enroll", "cancel", id, "--db", dsn); code != 0 {
		t.Fatalf("enroll cancel: %s", errOut)
	}
	if _, err := db.Enroll(context.Background(), ec.Token, "thief"); err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("a cancelled code enrolled: %v", err)
	}
	if code, out, _ := run("enroll", "list", "--db", dsn); code != 0 || !strings.Contains(out, "cancelled") {
		t.Errorf("enroll list after cancel: %d %q", code, out)
	}
	if code, _, errOut := run("enroll", "cancel", "E-nothing", "--db", dsn); code == 0 || !strings.Contains(errOut, "E-nothing") {
		t.Errorf("cancel of an unknown code: %d %q", code, errOut)
	}
	if code, _, errOut := run("enroll", "--door", "east", "--valid-for", "-1h", "--db", dsn); code == 0 || !strings.Contains(errOut, "valid") {
		t.Errorf("a code valid for −1h: %d %q", code, errOut)
	}
}

// status names a kiosk whose log forked and one whose claims were
// refused.
func TestStatusNamesForkedKiosk(t *testing.T) {
	dsn, db := mustCenter(t)
	k := mustKiosk(t, db, "main")
	ctx := context.Background()
	ev := func(person string, hlc uint64) wire.Event {
		return wire.Event{Seq: 1, HLC: hlc, At: int64(hlc >> 16), Door: "main", Direction: "entry", Method: "badge",
			Person: person, Decision: "admit", Reason: "admitted", From: checkin.Outside, Location: "venue",
			Rights: []checkin.RightChange{{Counter: "venue", Kind: checkin.RightSpend, N: 1}}}
	}
	now := uint64(db.Now().UnixMilli()) << 16
	if _, err := db.Push(ctx, k, []wire.Event{ev("P000001", now)}); err != nil {
		t.Fatal(err)
	}
	res, err := db.Ingest(ctx, k, []wire.Event{ev("P000002", now+1<<16)})
	if err != nil || !res.Forked {
		t.Fatalf("the restored kiosk's push: %+v, %v", res, err)
	}
	east := mustKiosk(t, db, "east")
	bad := ev("P000003", now+2<<16)
	bad.Door = "main"
	if res, err := db.Ingest(ctx, east, []wire.Event{bad}); err != nil || len(res.Refused) != 1 {
		t.Fatalf("another door's event: %+v, %v", res, err)
	}
	code, out, errOut := run("status", "--db", dsn)
	if code != 0 {
		t.Fatal(errOut)
	}
	for _, want := range []string{"LOG FORKED", "enroll it again", "1 REFUSED", "forked_log", "refused_claim", "enrolled for door"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}
