package central_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"usher/central"
	"usher/checkin"
	"usher/eventfile"
	"usher/roster"
)

// The demo command writes an event with a venue entered from outside by
// door main and at least three rooms with doors, and a roster of about
// 5,000 people in every category, which loads as is.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := central.Run([]string{"demo", "--dir", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	ev, err := eventfile.Load(filepath.Join(dir, "event.toml"))
	if err != nil {
		t.Fatal(err)
	}
	// The event file holds the staff PIN, the roster emails, the key signs
	// badges: their owner's alone.
	for _, f := range []string{"event.toml", "roster.csv", "keys/signing.key"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	if v := ev.Space("venue"); v == nil || v.Parent != "" {
		t.Fatalf("no top-level space venue: %+v", v)
	}
	if d := ev.Door("main"); d == nil || d.From != checkin.Outside || d.To != "venue" {
		t.Errorf("door main = %+v, want outside → venue", d)
	}
	rooms := 0
	for _, s := range ev.Spaces {
		if s.Parent == "" {
			continue
		}
		for _, d := range ev.Doors {
			if d.To == s.ID {
				rooms++
				break
			}
		}
	}
	if rooms < 3 {
		t.Errorf("%d rooms with doors, want at least 3", rooms)
	}

	f, err := os.Open(filepath.Join(dir, "roster.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	people, format, err := roster.Read(f, "roster.csv", ev)
	if err != nil {
		t.Fatal(err)
	}
	if format != roster.Generic {
		t.Errorf("format %s, want the generic columns", format)
	}
	if len(people) != 5000 {
		t.Errorf("%d people, want 5000", len(people))
	}
	seen := map[string]int{}
	for _, p := range people {
		seen[p.Category]++
	}
	for _, c := range ev.Categories {
		if seen[c.ID] == 0 {
			t.Errorf("no %s on the demo roster", c.ID)
		}
	}
	if !strings.Contains(out.String(), "5000 people") {
		t.Errorf("output %q does not say how many people", out.String())
	}
}

func TestDemoUsage(t *testing.T) {
	for _, args := range [][]string{{"demo"}, {"demo", "--dir", t.TempDir(), "extra"}, {"demo", "--people", "0", "--dir", t.TempDir()}} {
		var out, errOut bytes.Buffer
		if code := central.Run(args, &out, &errOut); code == 0 {
			t.Errorf("%q exited 0", args)
		}
	}
	var out, errOut bytes.Buffer
	if code := central.Run([]string{"nope"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, errOut.String())
	}
}
