package pretix

import (
	"net/http"
	"testing"
	"time"
)

// retryAfterCases feed TestRetryAfter and FuzzRetryAfter.
var retryAfterCases = []struct {
	header string
	want   time.Duration
}{
	{"1", time.Second},
	{" 30 ", 30 * time.Second},
	{"0", 0},
	{"", defaultRetryAfter},
	{"soon", defaultRetryAfter},
	{"-5", defaultRetryAfter},
	{"1.5", defaultRetryAfter},
	{"99999999999999999999", defaultRetryAfter}, // past int64: unreadable
	{"9223372036854775807", maxRetryAfter * time.Second},
	{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
	{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	{"Sat, 01 Mar 2025 09:00:45 GMT", 45 * time.Second},
	{"Saturday, 01-Mar-25 09:00:45 GMT", 45 * time.Second}, // RFC 850, which RFC 9110 asks to accept
}

var now = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func TestRetryAfter(t *testing.T) {
	for _, c := range retryAfterCases {
		if got := retryAfter(c.header, now); got != c.want {
			t.Errorf("retryAfter(%q) = %v, want %v", c.header, got, c.want)
		}
	}
}

// FuzzRetryAfter checks that a wait is never negative nor past the cap.
func FuzzRetryAfter(f *testing.F) {
	for _, c := range retryAfterCases {
		f.Add(c.header)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if d := retryAfter(header, now); d < 0 || d > maxRetryAfter*time.Second && d != defaultRetryAfter {
			t.Fatalf("retryAfter(%q) = %v", header, d)
		}
	})
}
