package central_test

import (
	"strings"
	"testing"
	"time"

	"usher/pretix/pretixtest"
)

// pretixPerson finds the roster's person id, or fails.
func pretixPerson(t *testing.T, dsn, id string) (name, revoked string) {
	t.Helper()
	for _, p := range pullRoster(t, mustOpen(t, dsn)) {
		if p.ID == id {
			return p.Name, p.Revoked
		}
	}
	t.Fatalf("%s is not on the roster", id)
	return "", ""
}

// A sync with other options than the last (--include-pending, another
// check-in list) reads everything again: what changed since is not
// enough, as the options decide who is let in.
func TestPretixSyncOptionsChanged(t *testing.T) {
	dsn, px := mustPretixCenter(t), mustPretix(t)
	px.AddOrder(pretixtest.Order{Code: "DEF34", Status: "n", Email: "pat@pretix.example", Positions: []pretixtest.Position{
		{Item: pretixtest.ItemTicket, Variation: pretixtest.VariationStudent, Secret: "pat-ticket-secret", AttendeeName: "Pat Pending"},
	}})
	token := mustTokenFile(t, pretixToken)
	sync := func(args ...string) string {
		t.Helper()
		code, out, errOut := pretixSync(px, dsn, append([]string{"--token-file", token}, args...)...)
		if code != 0 {
			t.Fatalf("pretix sync %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	sync()
	if _, why := pretixPerson(t, dsn, "DEF34-1"); why != "unpaid order" {
		t.Fatalf("a pending order after the first sync: %q, want unpaid order", why)
	}
	px.Advance(time.Minute)
	if out := sync("--include-pending"); !strings.Contains(out, "everything") || !strings.Contains(out, "1 updated") {
		t.Errorf("a sync with --include-pending after one without said %q: want everything read again, 1 updated", out)
	}
	if _, why := pretixPerson(t, dsn, "DEF34-1"); why != "" {
		t.Errorf("the pending order with --include-pending: %q, want valid", why)
	}
	px.Advance(time.Minute)
	if out := sync("--include-pending"); !strings.Contains(out, "nothing changed") {
		t.Errorf("the same options again said %q: want nothing changed", out)
	}
	if out := sync(); !strings.Contains(out, "everything") || !strings.Contains(out, "1 updated") {
		t.Errorf("back without --include-pending said %q: want everything read again, 1 updated", out)
	}
	if _, why := pretixPerson(t, dsn, "DEF34-1"); why != "unpaid order" {
		t.Errorf("the pending order without --include-pending again: %q, want unpaid order", why)
	}
}

// An order change in pretix that turns a ticket into a product that
// admits nobody (a T-shirt) revokes the person the ticket was, on the
// next sync of changes.
func TestPretixSyncProductChanged(t *testing.T) {
	dsn, px := mustPretixCenter(t), mustPretix(t)
	token := mustTokenFile(t, pretixToken)
	if code, _, errOut := pretixSync(px, dsn, "--token-file", token); code != 0 {
		t.Fatal(errOut)
	}
	px.SetProduct("ABC12", 2, pretixtest.ItemTShirt, 0)
	code, out, errOut := pretixSync(px, dsn, "--token-file", token)
	if code != 0 || !strings.Contains(out, "changes since") || !strings.Contains(out, "1 revoked: now of a product that admits nowhere here") {
		t.Fatalf("sync after the product change: %d %q %q", code, out, errOut)
	}
	if _, why := pretixPerson(t, dsn, "ABC12-2"); why != "no admission product" {
		t.Errorf("the position now a T-shirt: %q, want no admission product", why)
	}
	if _, why := pretixPerson(t, dsn, "ABC12-1"); why != "" {
		t.Errorf("the order's ticket: %q, want valid", why)
	}
	// Back to the workshop: valid again.
	px.SetProduct("ABC12", 2, pretixtest.ItemWorkshop, 0)
	if code, out, errOut := pretixSync(px, dsn, "--token-file", token); code != 0 || !strings.Contains(out, "1 updated") {
		t.Fatalf("sync after the product came back: %d %q %q", code, out, errOut)
	}
	if _, why := pretixPerson(t, dsn, "ABC12-2"); why != "" {
		t.Errorf("the position a workshop again: %q, want valid", why)
	}
}
