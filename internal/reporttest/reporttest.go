// Package reporttest is a small event day whose headcount reports are
// known in advance, and checks of the files `usher-central export` and
// `usher export` write for it. The center's tests and the kiosk's run
// the same day through their own databases and check the same answers.
package reporttest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"usher/checkin"
)

// Event is the fixture: a hall for 50 holding a salon for 3 with two
// sessions back to back, and four categories, one of which (sponsor)
// nobody of ever stays: its columns hold zeros.
const Event = `[event]
id = "fx"
name = "Fixture Day"

[[space]]
id = "venue"
name = "Hall of Fame"
capacity = 50

[[space]]
id = "salon"
name = "Salon"
parent = "venue"
capacity = 3
anti_passback = true

[[door]]
id = "main"
from = "outside"
to = "venue"

[[door]]
id = "salon"
from = "venue"
to = "salon"

[[category]]
id = "attendee"
name = "Attendee"
may_enter = ["venue", "salon"]

[[category]]
id = "speaker"
name = "Speaker"
may_enter = ["*"]

[[category]]
id = "sponsor"
name = "Sponsor"
may_enter = ["venue"]

[[category]]
id = "staff"
name = "Staff"
may_enter = ["*"]

[[session]]
title = "Opening"
room = "salon"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T10:00:00+02:00

[[session]]
title = "Workshop"
room = "salon"
start = 2026-05-14T10:00:00+02:00
end = 2026-05-14T11:00:00+02:00
`

// Roster is the fixture's people. Cat is never admitted: her exit is a
// conflict. Pat is admitted only in WithUndos, and staff undo it.
const Roster = `id,name,category,code
A1,Ann Attendee,attendee,CODE-ANN
B1,Ben Attendee,attendee,CODE-BEN
S1,Sue Speaker,speaker,CODE-SUE
T1,Tom Staff,staff,CODE-TOM
C1,Cat Attendee,attendee,CODE-CAT
P1,Pat Sponsor,sponsor,CODE-PAT
`

// MustWrite writes event.toml and roster.csv into dir.
func MustWrite(tb testing.TB, dir string) (event, roster string) {
	tb.Helper()
	event, roster = filepath.Join(dir, "event.toml"), filepath.Join(dir, "roster.csv")
	if err := os.WriteFile(event, []byte(Event), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(roster, []byte(Roster), 0o644); err != nil {
		tb.Fatal(err)
	}
	return event, roster
}

// Zone is the schedule's offset, in which the reports show times.
var Zone = time.FixedZone("", 2*3600)

// At is 2026-05-14 hh:mm in the fixture's zone.
func At(hh, mm int) time.Time { return time.Date(2026, 5, 14, hh, mm, 0, 0, Zone) }

// Step is one thing done at a door: a badge scanned (Code), a
// headcount changed by Adjust for someone without a badge, or a staff
// Undo of the door's last scan.
type Step struct {
	At     time.Time
	Door   string
	Code   string
	Exit   bool
	Adjust int
	Undo   bool
	Want   checkin.Reason
}

// UndoWindow is how old a scan staff may still undo.
const UndoWindow = 2 * time.Minute

// Recorder is a kiosk's database, where steps are done.
type Recorder interface {
	Scan(ctx context.Context, scan checkin.Scan) (checkin.Decision, error)
	Adjust(ctx context.Context, door string, delta int, note string) (checkin.Decision, error)
	Undo(ctx context.Context, door string, within time.Duration) (checkin.Decision, error)
}

// MustDo does st on k, whose clock reads st.At, and fails tb unless
// the decision is st.Want.
func (st Step) MustDo(tb testing.TB, ctx context.Context, k Recorder) {
	tb.Helper()
	var d checkin.Decision
	var err error
	switch {
	case st.Undo:
		d, err = k.Undo(ctx, st.Door, UndoWindow)
	case st.Adjust != 0:
		d, err = k.Adjust(ctx, st.Door, st.Adjust, "no badge")
	default:
		dir := checkin.Entry
		if st.Exit {
			dir = checkin.Exit
		}
		d, err = k.Scan(ctx, checkin.Scan{Code: st.Code, Door: st.Door, Direction: dir})
	}
	if err != nil || d.Reason != st.Want {
		what := st.Code
		if st.Undo {
			what = "undo"
		}
		tb.Fatalf("%s at %s %s: %s (%v), want %s", what, st.Door, st.At.Format("15:04:05"), d.Reason, err, st.Want)
	}
}

// Day is the fixture's day. The salon is at its cap of 3 from 09:20 to
// 09:50 (30 minutes, in the Opening) and from 10:10 to 10:25 (15, in
// the Workshop).
var Day = []Step{
	{At: At(8, 50), Door: "main", Code: "CODE-ANN", Want: checkin.Admitted},
	{At: At(8, 51), Door: "main", Code: "CODE-BEN", Want: checkin.Admitted},
	{At: At(8, 52), Door: "main", Code: "CODE-SUE", Want: checkin.Admitted},
	{At: At(8, 53), Door: "main", Code: "CODE-TOM", Want: checkin.Admitted},
	{At: At(8, 55), Door: "main", Adjust: +1, Want: checkin.HeadcountAdded}, // venue 5: its peak
	{At: At(9, 5), Door: "salon", Code: "CODE-ANN", Want: checkin.Admitted},
	{At: At(9, 10), Door: "salon", Code: "CODE-SUE", Want: checkin.Admitted},
	{At: At(9, 20), Door: "salon", Code: "CODE-BEN", Want: checkin.Admitted}, // salon 3: at cap
	{At: At(9, 50), Door: "salon", Code: "CODE-BEN", Exit: true, Want: checkin.ExitRecorded},
	{At: At(10, 10), Door: "salon", Code: "CODE-TOM", Want: checkin.Admitted}, // 3 again
	{At: At(10, 25), Door: "salon", Code: "CODE-ANN", Exit: true, Want: checkin.ExitRecorded},
	{At: At(10, 40), Door: "salon", Code: "CODE-SUE", Exit: true, Want: checkin.ExitRecorded},
	{At: At(10, 45), Door: "salon", Code: "CODE-TOM", Exit: true, Want: checkin.ExitRecorded},
	{At: At(10, 50), Door: "main", Adjust: -1, Want: checkin.HeadcountRemoved},
	{At: At(10, 55), Door: "main", Code: "CODE-CAT", Exit: true, Want: checkin.NotInside},
	{At: At(11, 0), Door: "main", Code: "CODE-ANN", Exit: true, Want: checkin.ExitRecorded},
	{At: At(11, 1), Door: "main", Code: "CODE-BEN", Exit: true, Want: checkin.ExitRecorded},
	{At: At(11, 2), Door: "main", Code: "CODE-SUE", Exit: true, Want: checkin.ExitRecorded},
	{At: At(11, 3), Door: "main", Code: "CODE-TOM", Exit: true, Want: checkin.ExitRecorded},
}

// Undos are scans and a headcount change that staff take back at once,
// each followed by its undo; none may change a figure of Tables. Undone
// figures would show: Pat's admission (the venue's unique people, its
// Sponsor column), a +1 (the venue's peak of 6), Ben into the salon at
// 09:12 (the salon at its cap from then, not 09:20), Sue out of it at
// 10:30 (the Workshop's exits).
var Undos = []Step{
	{At: At(8, 54), Door: "main", Code: "CODE-PAT", Want: checkin.Admitted},
	{At: At(8, 54).Add(30 * time.Second), Door: "main", Undo: true, Want: checkin.Undone},
	{At: At(8, 56), Door: "main", Adjust: +1, Want: checkin.HeadcountAdded},
	{At: At(8, 56).Add(30 * time.Second), Door: "main", Undo: true, Want: checkin.Undone},
	{At: At(9, 12), Door: "salon", Code: "CODE-BEN", Want: checkin.Admitted},
	{At: At(9, 12).Add(30 * time.Second), Door: "salon", Undo: true, Want: checkin.Undone},
	{At: At(10, 30), Door: "salon", Code: "CODE-SUE", Exit: true, Want: checkin.ExitRecorded},
	{At: At(10, 30).Add(30 * time.Second), Door: "salon", Undo: true, Want: checkin.Undone},
}

// WithUndos is Day with Undos done in time order: the day's reports are
// the same.
func WithUndos() []Step {
	steps := append(slices.Clone(Day), Undos...)
	slices.SortStableFunc(steps, func(a, b Step) int { return a.At.Compare(b.At) })
	return steps
}

// Clock is a settable clock that a server's goroutines may read while
// the test sets it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Bad are the paths both export commands are tried with in dir: a file
// that is no database, a plain file where a folder is wanted, a workbook
// already there, a database that does not exist, and a folder to write.
type Bad struct {
	Garbage, AFile, Existing, Missing, Out string
}

// MustBad writes Bad's files into dir.
func MustBad(tb testing.TB, dir string) Bad {
	tb.Helper()
	b := Bad{
		Garbage:  filepath.Join(dir, "garbage.db"),
		AFile:    filepath.Join(dir, "a-file"),
		Existing: filepath.Join(dir, "existing.xlsx"),
		Missing:  filepath.Join(dir, "missing.db"),
		Out:      filepath.Join(dir, "out"),
	}
	for path, data := range map[string][]byte{
		b.Garbage:  bytes.Repeat([]byte("not a database "), 512),
		b.AFile:    []byte("x"),
		b.Existing: []byte("an older workbook"),
	} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return b
}
