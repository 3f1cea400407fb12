package pretix_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"usher/checkin"
	"usher/pretix"
	"usher/pretix/pretixtest"
)

// FuzzRead serves any body as the orders list and checks that Read never
// panics; that it refuses with a code it documents and a message that
// shows no token; and that what it accepts has a row as long as the
// header for each position, and no more than the body's positions.
func FuzzRead(f *testing.F) {
	for _, c := range refusals {
		if c.rel == "orders/" {
			f.Add(c.body)
		}
	}
	f.Add(`{"count": 1, "next": null, "previous": null, "results": [{"code": "A1", "status": "p", "email": "a@b.example",
 "last_modified": "2025-03-01T09:00:00.000000+00:00", "positions": [
 {"id": 7, "positionid": 1, "item": 1, "variation": 12, "secret": "s1", "attendee_name": "Ada",
  "attendee_name_parts": {"given_name": "Ada"}, "attendee_email": null, "company": null, "addon_to": null, "canceled": false},
 {"id": 8, "positionid": 2, "item": 2, "variation": null, "secret": "s2", "attendee_name": null,
  "attendee_name_parts": {}, "addon_to": 7, "canceled": true},
 {"id": 9, "positionid": 3, "item": 3, "secret": "s3", "addon_to": 7}]}]}`)
	f.Add(`{"count": 1, "next": null, "results": [{"code": "B", "status": "n", "positions": [{"id": 1, "positionid": 1, "item": 2, "attendee_name_parts": {"full_name": "X"}}]}]}`)
	s := pretixtest.New(f, token)
	known := map[string]bool{checkin.EINVALID: true, checkin.ENOTFOUND: true, checkin.EOFFLINE: true, checkin.EUNAUTHORIZED: true}
	f.Fuzz(func(t *testing.T, body string) {
		s.Answer("orders/", http.StatusOK, strings.ReplaceAll(body, "HOST", s.Listener.Addr().String()))
		exp, err := pretix.Read(context.Background(), pretix.Config{URL: s.EventURL(), Token: token}, time.Time{})
		if err != nil {
			if exp != nil || !known[checkin.ErrorCode(err)] {
				t.Fatalf("error %v has code %q", err, checkin.ErrorCode(err))
			}
			if strings.Contains(err.Error(), token) {
				t.Fatalf("error %q shows the token", err)
			}
			return
		}
		if len(exp.Header) != 12 {
			t.Fatalf("header %q", exp.Header)
		}
		for i, r := range exp.Rows {
			if len(r) != len(exp.Header) {
				t.Fatalf("row %d has %d cells: %q", i, len(r), r)
			}
		}
		if n := strings.Count(body, "{"); len(exp.Rows)+exp.Skipped+exp.Orders > n {
			t.Fatalf("%d rows, %d skipped and %d orders from a body of %d objects", len(exp.Rows), exp.Skipped, exp.Orders, n)
		}
	})
}
