package pretix_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/checkin"
	"usher/pretix"
	"usher/pretix/pretixtest"
)

// token is the API token the test server accepts.
const token = "e1l6gq2ye72thbwkacj7jbri7a7tvxe614"

// header is the export's column line, pretix's own headings.
var header = []string{"Order code", "Position ID", "Attendee name", "Attendee name: Title",
	"Attendee name: Given name", "Attendee name: Family name", "Product", "Status", "Secret",
	"E-mail", "Company", "Add-on to"}

// MustEvent starts a pretix holding four orders, one in each status
// pretix documents, across two pages:
//
//	A1 paid: Ada's ticket, a workshop and a T-shirt as her add-ons
//	B2 pending: Grace's student ticket, and Alan's, cancelled on its own
//	C3 canceled: Charles's ticket
//	D4 expired: Edsger's workshop, no add-on
func MustEvent(tb testing.TB) *pretixtest.Server {
	tb.Helper()
	s := pretixtest.New(tb, token)
	s.AddOrder(pretixtest.Order{Code: "A1", Status: "p", Email: "orders@engines.example", Positions: []pretixtest.Position{
		{Item: pretixtest.ItemTicket, Variation: pretixtest.VariationRegular, Secret: "ada-ticket",
			AttendeeName:      "Ada Lovelace",
			AttendeeNameParts: map[string]string{"_scheme": "given_family", "given_name": "Ada", "family_name": "Lovelace"},
			AttendeeEmail:     "ada@engines.example", Company: "Analytical Engines"},
		{Item: pretixtest.ItemWorkshop, AddonTo: 1, Secret: "ada-workshop"},
		{Item: pretixtest.ItemTShirt, AddonTo: 1, Secret: "ada-shirt"},
	}})
	s.AddOrder(pretixtest.Order{Code: "B2", Status: "n", Email: "grace@navy.example", Positions: []pretixtest.Position{
		{Item: pretixtest.ItemTicket, Variation: pretixtest.VariationStudent, Secret: "grace-ticket",
			AttendeeName:      "Grace Hopper",
			AttendeeNameParts: map[string]string{"_scheme": "title_given_family", "title": "Rear Admiral", "given_name": "Grace", "family_name": "Hopper"}},
		{Item: pretixtest.ItemTicket, Variation: pretixtest.VariationRegular, Secret: "alan-ticket", Canceled: true,
			AttendeeName: "Alan Turing", AttendeeNameParts: map[string]string{"_scheme": "full", "full_name": "Alan Turing"}},
	}})
	s.AddOrder(pretixtest.Order{Code: "C3", Status: "c", Email: "charles@engines.example", Positions: []pretixtest.Position{
		{Item: pretixtest.ItemTicket, Variation: pretixtest.VariationRegular, Secret: "charles-ticket",
			AttendeeName: "Charles Babbage", AttendeeNameParts: map[string]string{"given_name": "Charles", "family_name": "Babbage"}},
	}})
	s.AddOrder(pretixtest.Order{Code: "D4", Status: "e", Email: "edsger@tue.example", Positions: []pretixtest.Position{
		{Item: pretixtest.ItemWorkshop, Secret: "edsger-workshop", AttendeeName: "Edsger Dijkstra",
			AttendeeEmail: "ewd@tue.example", Company: "TU Eindhoven"},
	}})
	return s
}

// The rows of MustEvent's orders, by secret.
var (
	rowAda = []string{"A1", "1", "Ada Lovelace", "", "Ada", "Lovelace", "Conference ticket – Regular",
		"paid", "ada-ticket", "ada@engines.example", "Analytical Engines", ""}
	// An add-on without an attendee: the name, e-mail and company are
	// Ada's. The workshop's name has no English: German sorts first.
	rowAdaWorkshop = []string{"A1", "2", "Ada Lovelace", "", "Ada", "Lovelace", "Werkstatt",
		"paid", "ada-workshop", "ada@engines.example", "Analytical Engines", "1"}
	// No attendee e-mail: the order's.
	rowGrace = []string{"B2", "1", "Grace Hopper", "Rear Admiral", "Grace", "Hopper", "Conference ticket – Student",
		"pending", "grace-ticket", "grace@navy.example", "", ""}
	// Cancelled on its own in a pending order; a full name in no parts.
	rowAlan = []string{"B2", "2", "Alan Turing", "", "", "", "Conference ticket – Regular",
		"canceled", "alan-ticket", "grace@navy.example", "", ""}
	rowCharles = []string{"C3", "1", "Charles Babbage", "", "Charles", "Babbage", "Conference ticket – Regular",
		"canceled", "charles-ticket", "charles@engines.example", "", ""}
	rowEdsger = []string{"D4", "1", "Edsger Dijkstra", "", "", "", "Werkstatt",
		"expired", "edsger-workshop", "ewd@tue.example", "TU Eindhoven", ""}
)

func config(s *pretixtest.Server) pretix.Config {
	return pretix.Config{URL: s.EventURL(), Token: token}
}

// MustRead reads cfg, failing the test on an error.
func MustRead(tb testing.TB, cfg pretix.Config, since time.Time) *pretix.Export {
	tb.Helper()
	exp, err := pretix.Read(context.Background(), cfg, since)
	if err != nil {
		tb.Fatalf("Read: %v", err)
	}
	for i, r := range exp.Rows {
		if len(r) != len(exp.Header) {
			tb.Fatalf("row %d has %d cells for %d headings: %q", i, len(r), len(exp.Header), r)
		}
	}
	return exp
}

func checkRows(tb testing.TB, got *pretix.Export, want ...[]string) {
	tb.Helper()
	if !reflect.DeepEqual(got.Header, header) {
		tb.Errorf("header\n %q, want\n %q", got.Header, header)
	}
	if len(got.Rows) != len(want) {
		tb.Errorf("%d rows, want %d", len(got.Rows), len(want))
	}
	for i := range max(len(got.Rows), len(want)) {
		var g, w []string
		if i < len(got.Rows) {
			g = got.Rows[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !reflect.DeepEqual(g, w) {
			tb.Errorf("row %d\n %q, want\n %q", i, g, w)
		}
	}
}

// ordersRequests returns the queries of the requests for the orders list.
func ordersRequests(tb testing.TB, s *pretixtest.Server) []url.Values {
	tb.Helper()
	var qs []url.Values
	for _, r := range s.Requests() {
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

// TestRead reads every position of every order, following the pages.
func TestRead(t *testing.T) {
	s := MustEvent(t)
	exp := MustRead(t, config(s), time.Time{})
	checkRows(t, exp, rowAda, rowAdaWorkshop, rowGrace, rowAlan, rowCharles, rowEdsger)
	if exp.Orders != 4 || exp.Skipped != 1 || !slices.Equal(exp.Left, []string{"A1-3"}) {
		t.Errorf("Orders %d, Skipped %d, Left %v; want 4, 1 and the T-shirt A1-3", exp.Orders, exp.Skipped, exp.Left)
	}
	if !exp.Since.Equal(s.Now()) {
		t.Errorf("Since %v, want the server's time at the read, %v", exp.Since, s.Now())
	}
	qs := ordersRequests(t, s)
	if len(qs) != 2 || qs[1].Get("page") != "2" {
		t.Fatalf("orders requested with %v, want two pages", qs)
	}
	for _, q := range qs {
		if q.Get("include_canceled_positions") != "true" || q.Get("testmode") != "false" || q.Has("modified_since") {
			t.Errorf("orders requested with %v", q)
		}
	}
}

// TestReadSince reads the orders changed since the last read, and only
// those.
func TestReadSince(t *testing.T) {
	s := MustEvent(t)
	first := MustRead(t, config(s), time.Time{})
	s.SetStatus("B2", "p")
	s.Advance(time.Minute)
	exp := MustRead(t, config(s), first.Since)
	paid := func(r []string) []string { r = append([]string(nil), r...); r[7] = "paid"; return r }
	checkRows(t, exp, paid(rowGrace), rowAlan)
	if exp.Orders != 1 || exp.Skipped != 0 {
		t.Errorf("Orders %d, Skipped %d; want 1 and 0", exp.Orders, exp.Skipped)
	}
	if !exp.Since.After(first.Since) {
		t.Errorf("Since %v did not move on from %v", exp.Since, first.Since)
	}
	qs := ordersRequests(t, s)
	got, err := time.Parse(time.RFC3339, qs[len(qs)-1].Get("modified_since"))
	if err != nil || !got.Equal(first.Since) {
		t.Errorf("modified_since %q (%v), want %v", qs[len(qs)-1].Get("modified_since"), err, first.Since)
	}

	t.Run("NothingChanged", func(t *testing.T) {
		again := MustRead(t, config(s), exp.Since)
		checkRows(t, again)
		if again.Orders != 0 || !again.Since.Equal(s.Now()) {
			t.Errorf("Orders %d, Since %v; want 0 and %v", again.Orders, again.Since, s.Now())
		}
	})
}

// TestReadCheckinList keeps the products of the chosen check-in list.
func TestReadCheckinList(t *testing.T) {
	s := MustEvent(t)
	t.Run("LimitProducts", func(t *testing.T) {
		cfg := config(s)
		cfg.CheckinList = pretixtest.ListWorkshop
		exp := MustRead(t, cfg, time.Time{})
		checkRows(t, exp, rowAdaWorkshop, rowEdsger)
		if exp.Orders != 4 || exp.Skipped != 5 {
			t.Errorf("Orders %d, Skipped %d; want 4 and 5", exp.Orders, exp.Skipped)
		}
	})
	t.Run("AllProducts", func(t *testing.T) {
		cfg := config(s)
		cfg.CheckinList = pretixtest.ListMain
		exp := MustRead(t, cfg, time.Time{})
		checkRows(t, exp, rowAda, rowAdaWorkshop, rowGrace, rowAlan, rowCharles, rowEdsger)
		if exp.Skipped != 1 {
			t.Errorf("Skipped %d, want 1: a list of all products still holds no T-shirt", exp.Skipped)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		cfg := config(s)
		cfg.CheckinList = 99
		_, err := pretix.Read(context.Background(), cfg, time.Time{})
		if checkin.ErrorCode(err) != checkin.ENOTFOUND || !strings.Contains(checkin.ErrorMessage(err), "check-in list 99") {
			t.Errorf("error %q (%s), want ENOTFOUND naming list 99", err, checkin.ErrorCode(err))
		}
	})
}

// TestReadRefusedToken says which request pretix refused, never the token.
func TestReadRefusedToken(t *testing.T) {
	s := MustEvent(t)
	cfg := config(s)
	cfg.Token = "wrong-secret-token-1234"
	_, err := pretix.Read(context.Background(), cfg, time.Time{})
	want := "pretix refused the API token (HTTP 401) for /api/v1/organizers/bigevents/events/sampleconf/items/: check the token file or USHER_PRETIX_TOKEN"
	if checkin.ErrorCode(err) != checkin.EUNAUTHORIZED || checkin.ErrorMessage(err) != want {
		t.Errorf("error %q (%s), want %q", err, checkin.ErrorCode(err), want)
	}
	if err != nil && (strings.Contains(err.Error(), cfg.Token) || strings.Contains(err.Error(), token)) {
		t.Errorf("error %q shows a token", err)
	}
}

// TestReadThrottled waits as a 429 answer asks and reads on.
func TestReadThrottled(t *testing.T) {
	s := MustEvent(t)
	t.Run("OK", func(t *testing.T) {
		s.Throttle(1)
		start := time.Now()
		exp := MustRead(t, config(s), time.Time{})
		if d := time.Since(start); d < time.Second {
			t.Errorf("read in %v, before the second Retry-After asked for", d)
		}
		checkRows(t, exp, rowAda, rowAdaWorkshop, rowGrace, rowAlan, rowCharles, rowEdsger)
	})
	t.Run("ErrPastMaxWait", func(t *testing.T) {
		s.Throttle(1)
		cfg := config(s)
		cfg.MaxWait = 500 * time.Millisecond
		start := time.Now()
		_, err := pretix.Read(context.Background(), cfg, time.Time{})
		if checkin.ErrorCode(err) != checkin.EOFFLINE || !strings.Contains(err.Error(), "429") {
			t.Errorf("error %v (%s), want EOFFLINE about 429", err, checkin.ErrorCode(err))
		}
		if d := time.Since(start); d >= time.Second {
			t.Errorf("gave up after %v: a wait past MaxWait should not be started", d)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		s.Throttle(1)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := pretix.Read(ctx, config(s), time.Time{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want the context's", err)
		}
		if d := time.Since(start); d >= time.Second {
			t.Errorf("returned after %v, not when the context ended", d)
		}
	})
}

// A refusal is an answer from pretix that Read must refuse with code.
type refusal struct {
	name   string
	rel    string // the resource answering, below the event's root
	status int
	body   string // HOST stands for the server's host and port
	code   string
	want   string // in the message
}

var refusals = []refusal{
	{"MalformedJSON", "orders/", http.StatusOK, `{"count": 1, "next": null, "results": [{"code": "A1",`,
		checkin.EINVALID, "/api/v1/organizers/bigevents/events/sampleconf/orders/"},
	{"NotAList", "items/", http.StatusOK, `{"detail": "ok"}`, checkin.EINVALID, "no results"},
	{"NextElsewhere", "orders/", http.StatusOK,
		`{"count": 3, "next": "http://elsewhere.example/api/v1/organizers/bigevents/events/sampleconf/orders/?page=2", "previous": null, "results": []}`,
		checkin.EINVALID, "elsewhere.example"},
	{"NextOtherScheme", "orders/", http.StatusOK,
		`{"count": 3, "next": "https://HOST/api/v1/organizers/bigevents/events/sampleconf/orders/?page=2", "previous": null, "results": []}`,
		checkin.EINVALID, "leads to https://"},
	{"NextLoops", "orders/", http.StatusOK,
		`{"count": 3, "next": "/api/v1/organizers/bigevents/events/sampleconf/orders/?page=2", "previous": null, "results": []}`,
		checkin.EINVALID, "already read"},
	{"UnknownStatus", "orders/", http.StatusOK,
		`{"count": 1, "next": null, "results": [{"code": "R5", "status": "r", "email": "", "positions": [{"id": 1, "positionid": 1, "item": 1, "variation": 11}]}]}`,
		checkin.EINVALID, `status "r"`},
	{"UnknownProduct", "orders/", http.StatusOK,
		`{"count": 1, "next": null, "results": [{"code": "X9", "status": "p", "positions": [{"id": 1, "positionid": 1, "item": 77}]}]}`,
		checkin.EINVALID, "product 77"},
	{"UnknownVariation", "orders/", http.StatusOK,
		`{"count": 1, "next": null, "results": [{"code": "X9", "status": "p", "positions": [{"id": 1, "positionid": 1, "item": 1, "variation": 13}]}]}`,
		checkin.EINVALID, "variation 13"},
	{"NoParent", "orders/", http.StatusOK,
		`{"count": 1, "next": null, "results": [{"code": "X9", "status": "p", "positions": [{"id": 2, "positionid": 2, "item": 2, "addon_to": 1}]}]}`,
		checkin.EINVALID, "position id 1"},
	{"NoCode", "orders/", http.StatusOK,
		`{"count": 1, "next": null, "results": [{"status": "p", "positions": []}]}`, checkin.EINVALID, "without a code"},
	{"Forbidden", "items/", http.StatusForbidden, `{"detail": "You do not have permission to perform this action."}`,
		checkin.EUNAUTHORIZED, "pretix refused the API token (HTTP 403) for /api/v1/organizers/bigevents/events/sampleconf/items/"},
	{"ServerError", "orders/", http.StatusBadGateway, "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>" + strings.Repeat("x", 300),
		checkin.EOFFLINE, "pretix answered HTTP 502 Bad Gateway for /api/v1/organizers/bigevents/events/sampleconf/orders/: <html> <head><title>502"},
	{"BadRequest", "orders/", http.StatusBadRequest, `{"modified_since": ["Enter a valid date/time."]}`,
		checkin.EINVALID, `HTTP 400 Bad Request for /api/v1/organizers/bigevents/events/sampleconf/orders/: {"modified_since"`},
}

// TestReadRefusals refuses answers that are not what pretix documents,
// with the code for the program and a message naming the request.
func TestReadRefusals(t *testing.T) {
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			s := MustEvent(t)
			s.Answer(c.rel, c.status, strings.ReplaceAll(c.body, "HOST", s.Listener.Addr().String()))
			exp, err := pretix.Read(context.Background(), config(s), time.Time{})
			if exp != nil || checkin.ErrorCode(err) != c.code || !strings.Contains(checkin.ErrorMessage(err), c.want) {
				t.Fatalf("error %q (%s), want %s with %q", err, checkin.ErrorCode(err), c.code, c.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q shows the token", err)
			}
			if msg := err.Error(); len(msg) > 600 {
				t.Errorf("message of %d bytes: the body should be cut", len(msg))
			}
		})
	}
}

// TestReadTooLarge refuses a page over 64 MiB rather than hold it.
func TestReadTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 64 MiB")
	}
	s := MustEvent(t)
	s.Answer("items/", http.StatusOK, `{"count": 0, "next": null, "results": [], "pad": "`+strings.Repeat("x", 64<<20)+`"}`)
	_, err := pretix.Read(context.Background(), config(s), time.Time{})
	if checkin.ErrorCode(err) != checkin.EINVALID || !strings.Contains(err.Error(), "over 64 MiB") {
		t.Errorf("error %v (%s), want EINVALID over 64 MiB", err, checkin.ErrorCode(err))
	}
}

// TestReadOffline: a pretix that cannot be reached is EOFFLINE.
func TestReadOffline(t *testing.T) {
	s := MustEvent(t)
	cfg := config(s)
	s.Close()
	_, err := pretix.Read(context.Background(), cfg, time.Time{})
	if checkin.ErrorCode(err) != checkin.EOFFLINE {
		t.Errorf("error %v (%s), want EOFFLINE", err, checkin.ErrorCode(err))
	}
}

// TestReadConfig refuses a read that cannot start.
func TestReadConfig(t *testing.T) {
	s := MustEvent(t)
	for name, cfg := range map[string]pretix.Config{
		"NoToken":    {URL: s.EventURL(), Token: " \n"},
		"BadURL":     {URL: s.URL + "/api/v1/organizers/bigevents/", Token: token},
		"NegativeID": {URL: s.EventURL(), Token: token, CheckinList: -1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pretix.Read(context.Background(), cfg, time.Time{})
			if checkin.ErrorCode(err) != checkin.EINVALID {
				t.Errorf("error %v (%s), want EINVALID", err, checkin.ErrorCode(err))
			}
		})
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests sent for reads that could not start", n)
	}
}

// TestReadSinceFallback: from a server that sends no X-Page-Generated,
// Since is the latest last_modified read, else the since passed in.
func TestReadSinceFallback(t *testing.T) {
	s := MustEvent(t)
	s.Answer("orders/", http.StatusOK, `{"count": 2, "next": null, "previous": null, "results": [
  {"code": "A1", "status": "p", "last_modified": "2025-03-01T10:00:00.250000+00:00", "positions": []},
  {"code": "B2", "status": "p", "last_modified": "2025-03-01T12:00:00+01:00", "positions": []}]}`)
	exp := MustRead(t, config(s), time.Time{})
	if want := time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC); !exp.Since.Equal(want) || exp.Orders != 2 {
		t.Errorf("Since %v, Orders %d; want %v and 2", exp.Since, exp.Orders, want)
	}

	s.Answer("orders/", http.StatusOK, `{"count": 0, "next": null, "previous": null, "results": []}`)
	since := time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC)
	if exp := MustRead(t, config(s), since); !exp.Since.Equal(since) {
		t.Errorf("Since %v, want the since passed in, %v", exp.Since, since)
	}
}

// TestReadOrderTwice: an order that comes twice (the pages shifted under
// the read) counts once, as its later copy, where it first came.
func TestReadOrderTwice(t *testing.T) {
	s := MustEvent(t)
	s.Answer("orders/", http.StatusOK, `{"count": 3, "next": null, "previous": null, "results": [
  {"code": "A1", "status": "n", "positions": [{"id": 1, "positionid": 1, "item": 2, "secret": "a", "attendee_name": "Ada"}]},
  {"code": "B2", "status": "p", "positions": [{"id": 2, "positionid": 1, "item": 2, "secret": "b", "attendee_name": "Bea"}]},
  {"code": "A1", "status": "p", "positions": [{"id": 1, "positionid": 1, "item": 2, "secret": "a", "attendee_name": "Ada"}]}]}`)
	exp := MustRead(t, config(s), time.Time{})
	checkRows(t, exp,
		[]string{"A1", "1", "Ada", "", "", "", "Werkstatt", "paid", "a", "", "", ""},
		[]string{"B2", "1", "Bea", "", "", "", "Werkstatt", "paid", "b", "", "", ""})
	if exp.Orders != 2 {
		t.Errorf("Orders %d, want 2", exp.Orders)
	}
}
