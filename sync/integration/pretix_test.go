package integration_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/checkin"
	"usher/pretix/pretixtest"
	"usher/store"
)

// pretixToken is the API token the pretix test server accepts.
const pretixToken = "hq7x2rkd0c9vbm4tz1pw8nyfa3se6gju"

// MustTokenFile writes token to a file only its owner reads, as an
// organizer keeps an API token.
func MustTokenFile(tb testing.TB, token string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "pretix.token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// ordersQueries returns the queries of the requests a pretix server got
// for the orders list, from the n-th request on.
func ordersQueries(tb testing.TB, px *pretixtest.Server, n int) []url.Values {
	tb.Helper()
	var qs []url.Values
	for _, r := range px.Requests()[n:] {
		u, err := url.Parse(r)
		if err != nil {
			tb.Fatal(err)
		}
		if strings.HasSuffix(u.Path, "/orders/") {
			qs = append(qs, u.Query())
		}
	}
	return qs
}

// wantContains fails the test for each of want that s lacks.
func wantContains(tb testing.TB, what, s string, want ...string) {
	tb.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			tb.Errorf("%s: %q lacks %q", what, s, w)
		}
	}
}

// TestPretixToKiosk: orders in pretix reach a kiosk through
// `usher-central pretix sync` and a sync round. A paid ticket admits
// under its attendee's name, an admission add-on without a name of its
// own admits under its ticket's, a pending or expired order is denied
// with the reason, and a T-shirt is no badge. A later sync asks pretix
// only for what changed (modified_since): a new order admits and a
// cancelled one is denied after one round. A sync with nothing changed
// changes nothing at the kiosk, and --include-pending admits the
// pending order.
func TestPretixToKiosk(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := MustCenter(t, dsn, 10)
		mustCentralCmd(t, "import", "--event", pretixtest.EventFile(t, true), "--db", dsn)
		srv := MustServe(t, c.db, "127.0.0.1:0")
		hc := newClient(t, nil)
		const door = "main"
		k := MustEnroll(t, c.MustCode(t, srv.url, door), hc)
		s := newSyncer(k, hc)
		MustRound(t, "kiosk before pretix", s)

		px := pretixtest.New(t, pretixToken)
		px.AddOrder(pretixtest.Order{Code: "ABC12", Status: "p", Email: "ada@pretix.example", Positions: []pretixtest.Position{
			{Item: pretixtest.ItemTicket, Variation: pretixtest.VariationRegular, Secret: "ada-ticket-secret",
				AttendeeName:      "Ada Pretix",
				AttendeeNameParts: map[string]string{"_scheme": "given_family", "given_name": "Ada", "family_name": "Pretix"}},
			{Item: pretixtest.ItemWorkshop, AddonTo: 1, Secret: "ada-workshop-secret"},
			{Item: pretixtest.ItemTShirt, AddonTo: 1, Secret: "ada-shirt-secret"},
		}})
		px.AddOrder(pretixtest.Order{Code: "DEF34", Status: "n", Email: "dora@pretix.example", Positions: []pretixtest.Position{
			{Item: pretixtest.ItemTicket, Variation: pretixtest.VariationStudent, Secret: "dora-ticket-secret", AttendeeName: "Dora Pending"},
		}})
		px.AddOrder(pretixtest.Order{Code: "GHI56", Status: "e", Email: "gus@pretix.example", Positions: []pretixtest.Position{
			{Item: pretixtest.ItemTicket, Variation: pretixtest.VariationRegular, Secret: "gus-ticket-secret", AttendeeName: "Gus Expired"},
		}})

		tokenFile := MustTokenFile(t, pretixToken)
		pretixSync := func(flags ...string) (stdout string, requestsBefore int) {
			t.Helper()
			n := len(px.Requests())
			args := append([]string{"pretix", "sync", "--url", px.EventURL(), "--token-file", tokenFile, "--db", dsn}, flags...)
			return mustCentralCmd(t, args...), n
		}
		round := func(what string, people int) {
			t.Helper()
			if res := MustRound(t, "kiosk after "+what, s); res.People != people {
				t.Errorf("after %s the kiosk pulled %d people, want %d (%s)", what, res.People, people, res)
			}
		}
		scan := func(what, code string, want checkin.Reason, name, message string) {
			t.Helper()
			d, err := k.Scan(ctx, checkin.Scan{Code: code, Door: door, Direction: checkin.Entry})
			switch {
			case err != nil:
				t.Fatalf("%s: scan %q: %v", what, code, err)
			case d.Reason != want:
				t.Errorf("%s: %s (%q), want %s", what, d.Reason, d.Message, want)
			case name != "" && (d.Person == nil || d.Person.Name != name):
				t.Errorf("%s: person %+v, want %q", what, d.Person, name)
			case !strings.Contains(d.Message, message):
				t.Errorf("%s: message %q lacks %q", what, d.Message, message)
			}
		}

		out, _ := pretixSync()
		wantContains(t, "the first sync", out, "pretix (everything): 3 orders, 4 positions",
			"1 not admission products or not on the check-in list, left out", "4 added, 0 updated",
			"2 not valid, loaded as revoked", "1 Status: expired", "1 Status: pending")
		if strings.Contains(out, "without a name") {
			t.Errorf("the first sync: %q; the add-on has its ticket's name, no stand-in", out)
		}
		firstRead := px.Now()
		round("the first sync", 4)
		scan("Ada's ticket", "ada-ticket-secret", checkin.Admitted, "Ada Pretix", "")
		scan("Ada's workshop add-on", "ada-workshop-secret", checkin.Admitted, "Ada Pretix", "")
		scan("the pending order's ticket", "dora-ticket-secret", checkin.Revoked, "Dora Pending", "unpaid order")
		scan("the expired order's ticket", "gus-ticket-secret", checkin.Revoked, "Gus Expired", "expired order")
		scan("Ada's T-shirt", "ada-shirt-secret", checkin.UnknownBadge, "", "")

		// In pretix: a new order, and Ada's cancelled.
		px.AddOrder(pretixtest.Order{Code: "JKL78", Status: "p", Email: "jo@pretix.example", Positions: []pretixtest.Position{
			{Item: pretixtest.ItemTicket, Variation: pretixtest.VariationStudent, Secret: "jo-ticket-secret",
				AttendeeNameParts: map[string]string{"_scheme": "given_family", "given_name": "Jo", "family_name": "Later"}},
		}})
		px.SetStatus("ABC12", "c")
		px.Advance(time.Minute)

		out, before := pretixSync()
		wantContains(t, "the second sync", out, "pretix (changes since ", "2 orders, 3 positions",
			"1 not admission products or not on the check-in list, left out", "1 added, 2 updated",
			"2 not valid, loaded as revoked", "2 Status: canceled")
		qs := ordersQueries(t, px, before)
		if len(qs) == 0 {
			t.Fatal("the second sync did not ask for the orders")
		}
		for _, q := range qs {
			since, err := time.Parse(time.RFC3339, q.Get("modified_since"))
			if err != nil || !since.Equal(firstRead) {
				t.Errorf("the second sync asked for the orders with %v; want modified_since %v, the time of the first read", q, firstRead)
			}
		}
		round("the second sync", 3)
		scan("the new order's ticket", "jo-ticket-secret", checkin.Admitted, "Jo Later", "")
		scan("Ada's ticket, her order cancelled", "ada-ticket-secret", checkin.Revoked, "Ada Pretix", "cancelled order")
		scan("Ada's add-on, her order cancelled", "ada-workshop-secret", checkin.Revoked, "Ada Pretix", "cancelled order")

		out, before = pretixSync()
		wantContains(t, "the third sync", out, "pretix (changes since ", "0 orders, 0 positions: nothing changed")
		if qs := ordersQueries(t, px, before); len(qs) == 0 || !qs[0].Has("modified_since") {
			t.Errorf("the third sync asked for the orders with %v, want modified_since", qs)
		}
		round("a sync with nothing changed", 0)
		scan("the pending order's ticket, nothing changed", "dora-ticket-secret", checkin.Revoked, "Dora Pending", "unpaid order")

		out, before = pretixSync("--full", "--include-pending")
		wantContains(t, "a full sync with --include-pending", out, "pretix (everything): 4 orders, 5 positions",
			"0 added, 1 updated, 4 unchanged, 0 removed",
			"1 of unpaid orders admitted (--include-pending)")
		for _, q := range ordersQueries(t, px, before) {
			if q.Has("modified_since") {
				t.Errorf("--full asked for the orders with %v, want no modified_since", q)
			}
		}
		round("a full sync with --include-pending", 1)
		scan("the pending order's ticket with --include-pending", "dora-ticket-secret", checkin.Admitted, "Dora Pending", "")
		scan("Ada's ticket after a full sync", "ada-ticket-secret", checkin.Revoked, "Ada Pretix", "cancelled order")

		CheckCenterHolds(t, c, []*store.DB{k})
	})
}
