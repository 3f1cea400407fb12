package dashboard_test

import (
	"net/http"
	"testing"
)

// BenchmarkLive is one poll of the dashboard's live fragment after the
// scripted morning (about 1,000 scans from five kiosks): the center's
// status comes from its live figures; the dashboard's door totals and
// trend lines rebuild the report from every stay each time.
func BenchmarkLive(b *testing.B) {
	v := MustVenue(b, morning())
	v.Morning(b)
	cookie := v.MustSignIn(b)
	for _, page := range []string{"dashboard", "marshal"} {
		b.Run(page, func(b *testing.B) {
			for b.Loop() {
				if code, _, _ := v.get(b, "/live/"+page, cookie.Value); code != http.StatusOK {
					b.Fatalf("GET /live/%s: %d", page, code)
				}
			}
		})
	}
}
