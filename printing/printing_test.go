package printing_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"usher/badge"
	"usher/checkin"
	"usher/printing"
)

func TestParseMedia(t *testing.T) {
	cases := []struct {
		in     string
		want   printing.Media
		layout string
	}{
		{"label", printing.Label62x100, "label-62x100"},
		{"62x100", printing.Label62x100, "label-62x100"},
		{"62x100mm", printing.Label62x100, "label-62x100"},
		{"LABEL", printing.Label62x100, "label-62x100"},
		{" 62X100MM ", printing.Label62x100, "label-62x100"},
		{"a6", printing.A6, "a6"},
		{"A6", printing.A6, "a6"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			m, err := printing.ParseMedia(c.in)
			if err != nil || m != c.want {
				t.Fatalf("ParseMedia(%q) = %q, %v, want %q", c.in, m, err, c.want)
			}
			if m.Layout() != c.layout {
				t.Errorf("%q.Layout() = %q, want %q", m, m.Layout(), c.layout)
			}
			if _, err := badge.FindLayout(m.Layout()); err != nil {
				t.Errorf("the badge package has no layout %q: %v", m.Layout(), err)
			}
		})
	}
	for _, bad := range []string{"", "a4", "62x29", "label-62x100", "Custom.62x100mm"} {
		t.Run("Err/"+bad, func(t *testing.T) {
			_, err := printing.ParseMedia(bad)
			if checkin.ErrorCode(err) != checkin.EINVALID {
				t.Fatalf("ParseMedia(%q): %v, want EINVALID", bad, err)
			}
			for _, name := range []string{"label", "62x100", "62x100mm", "a6"} {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not list %q", err, name)
				}
			}
		})
	}
	if m := printing.Media("Letter"); m.Layout() != "" {
		t.Errorf("unknown media's layout %q", m.Layout())
	}
}

func TestSanitizeTitle(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"Plain", "Badge Ada Lovelace", "Badge Ada Lovelace"},
		{"Accents", "Zoë Ødegaard", "Zoë Ødegaard"},
		{"Controls", "Ada\x00\x1b[31m\nLovelace\r\t", "Ada [31m Lovelace"},
		{"BidiOverride", "Ada\u202eecalevoL", "Ada ecalevoL"},
		{"BadUTF8", "Ada\xff\xfe Lovelace", "Ada Lovelace"},
		{"Empty", " \x07 ", "badge"},
		{"Dash", "-o media=A4", "-o media=A4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := printing.SanitizeTitle(c.in); got != c.want {
				t.Errorf("SanitizeTitle(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
	t.Run("Long", func(t *testing.T) {
		got := printing.SanitizeTitle(strings.Repeat("Wolfeschlegelsteinhausenbergerdorff ", 20))
		if n := utf8.RuneCountInString(got); n > 80 || !strings.HasSuffix(got, "…") {
			t.Errorf("%d characters: %q", n, got)
		}
		if strings.IndexFunc(got, unicode.IsControl) >= 0 || !utf8.ValidString(got) {
			t.Errorf("%q", got)
		}
	})
}

// Without CUPS's client every call fails with the not-installed error, and
// nothing panics.
func TestNoCUPSClient(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	ctx := context.Background()
	const want = "printing needs CUPS: the lp command is not installed (Debian package cups-client)"
	p := printing.Printer{Queue: "Kiosk-Label", Media: printing.Label62x100}
	check := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) || checkin.ErrorCode(err) != checkin.ENOTFOUND {
			t.Errorf("%s: %v, want ENOTFOUND %q", what, err, want)
		}
	}
	_, _, err := printing.Printers(ctx)
	check("Printers", err)
	check("Check", p.Check(ctx))
	_, err = p.Print(ctx, []byte("%PDF-1.4\n"), "badge")
	check("Print", err)
	check("Wait", p.Wait(ctx, "Kiosk-Label-1"))
	check("Check default", printing.Printer{}.Check(ctx))
}

// A queue that does not exist fails Check and Print with an error naming
// it, whether or not a CUPS runs (the CUPS of $CUPS_SERVER, or none: then
// the error says so, still naming the queue).
func TestUnknownQueue(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const queue = "Usher-No-Such-Queue"
	p := printing.Printer{Queue: queue, Media: printing.A6}
	err := p.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), queue) {
		t.Errorf("Check: %v, want an error naming %s", err, queue)
	}
	if _, err := p.Print(ctx, []byte("%PDF-1.4\n"), "badge"); err == nil || !strings.Contains(err.Error(), queue) {
		t.Errorf("Print: %v, want an error naming %s", err, queue)
	}
	names, _, err := printing.Printers(ctx)
	if err != nil {
		t.Logf("Printers: %v", err) // no CUPS client here; TestNoCUPSClient covers it
	}
	for _, n := range names {
		if n == queue {
			t.Errorf("Printers lists %s", queue)
		}
	}
}
