package dashboard_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"usher/central"
	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/wire"
)

// clock is the one clock of the center and every kiosk, so a scripted
// day of scans takes no time and kiosks fall silent by the minute.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// venue is the demo event at a real center: its SQLite database made by
// usher-central demo and import, served on loopback by the handler
// usher-central serve builds, and a kiosk with its own SQLite database
// at every door but one, enrolled and syncing over HTTP.
type venue struct {
	dir    string
	dsn    string
	db     *centralstore.DB
	url    string
	clock  *clock
	people []checkin.Person
	kiosks map[string]*kiosk
	client *http.Client
	log    *bytes.Buffer
	srv    *http.Server
}

type kiosk struct {
	db   *store.DB
	sync *kiosksync.Syncer
}

// Doors with a kiosk; the ballroom's south door has none.
var kioskDoors = []string{"main", "east", "ballroom-north", "hall-b", "workshop-a"}

const rosterSize = 3000

// Organizer is the test's organizer and password.
const (
	organizer = "maria"
	password  = "a long and careful password"
)

// MustCentral runs an usher-central command and fails the test unless it
// exits 0.
func MustCentral(tb testing.TB, args ...string) string {
	tb.Helper()
	var out, errOut bytes.Buffer
	if code := central.Run(args, &out, &errOut); code != 0 {
		tb.Fatalf("usher-central %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String()
}

// MustVenue sets the venue up at start (local time): the center, an
// organizer, the kiosks, and two rounds of sync to share the rights out.
func MustVenue(t testing.TB, start time.Time) *venue {
	t.Helper()
	v := &venue{dir: t.TempDir(), clock: &clock{t: start}, people: demo.Roster(rosterSize), kiosks: map[string]*kiosk{},
		log: &bytes.Buffer{}}
	v.dsn = filepath.Join(v.dir, "center.db")
	ev := filepath.Join(v.dir, "event")
	MustCentral(t, "demo", "--dir", ev, "--people", fmt.Sprint(rosterSize))
	MustCentral(t, "import", "--db", v.dsn, "--event", filepath.Join(ev, "event.toml"), "--roster", filepath.Join(ev, "roster.csv"))
	pwFile := filepath.Join(v.dir, "password")
	if err := writeFile(pwFile, password+"\n"); err != nil {
		t.Fatal(err)
	}
	MustCentral(t, "organizer", "add", organizer, "--password-file", pwFile, "--db", v.dsn)

	db, err := centralstore.Open(v.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = v.clock.Now
	v.db = db
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	v.url = "http://" + l.Addr().String()
	srv := &http.Server{Handler: central.Handler(db, slog.New(slog.NewTextHandler(&lockedWriter{w: v.log}, nil)))}
	v.srv = srv
	go srv.Serve(l)
	v.client = &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	t.Cleanup(func() {
		srv.Close()
		v.client.CloseIdleConnections()
		if t.Failed() {
			t.Logf("the center logged:\n%s", v.log)
		}
	})

	for _, door := range kioskDoors {
		token, err := db.CreateEnrollment(context.Background(), door)
		if err != nil {
			t.Fatal(err)
		}
		kdb, err := store.Open(filepath.Join(v.dir, "kiosk-"+door+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { kdb.Close() })
		kdb.Now = v.clock.Now
		code := wire.EnrollCode{URL: v.url, Door: door, Token: token}.String()
		if err := kiosksync.Enroll(context.Background(), kdb, code, v.client); err != nil {
			t.Fatalf("enroll the kiosk at %s: %v", door, err)
		}
		s := kiosksync.New(kdb, v.client)
		s.Now, s.Log = v.clock.Now, log.New(io.Discard, "", 0)
		v.kiosks[door] = &kiosk{db: kdb, sync: s}
	}
	v.Sync(t, kioskDoors...)
	v.Sync(t, kioskDoors...)
	return v
}

// Sync runs a sync round at each door's kiosk.
func (v *venue) Sync(t testing.TB, doors ...string) {
	t.Helper()
	for _, d := range doors {
		if err := v.kiosks[d].sync.Sync(context.Background()); err != nil {
			t.Fatalf("sync the kiosk at %s: %v", d, err)
		}
	}
}

// Scan scans p's badge at door and fails the test unless the decision
// has the reason wanted.
func (v *venue) Scan(t testing.TB, door string, p checkin.Person, dir checkin.Direction, want checkin.Reason) {
	t.Helper()
	d, err := v.kiosks[door].db.Scan(context.Background(), checkin.Scan{Code: p.Code, Door: door, Direction: dir})
	if err != nil {
		t.Fatalf("scan %s at %s: %v", p.ID, door, err)
	}
	if d.Reason != want {
		t.Fatalf("%s %s at %s: %s (%s), want %s", p.ID, dir, door, d.Reason, d.Message, want)
	}
}

// Status returns the center's status.
func (v *venue) Status(t testing.TB) centralstore.Status {
	t.Helper()
	st, err := v.db.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// crowd hands out people of the roster who may go where a group goes,
// each once.
type crowd struct {
	people []checkin.Person
	used   map[string]bool
}

func (c *crowd) take(ok func(p checkin.Person) bool, n int) []checkin.Person {
	var out []checkin.Person
	for _, p := range c.people {
		if len(out) == n {
			break
		}
		if !c.used[p.ID] && ok(p) {
			c.used[p.ID] = true
			out = append(out, p)
		}
	}
	return out
}

func attendee(p checkin.Person) bool { return p.Category == "attendee" && len(p.Tags) == 0 }

func workshop(p checkin.Person) bool {
	return p.Category == "speaker" || p.Category == "staff" || p.Category == "volunteer" ||
		(len(p.Tags) > 0 && p.Tags[0] == "workshop-a")
}

// day is what the scripted morning left: who is where, as the kiosks
// that scanned them know it.
type day struct {
	crowd    *crowd           // who has not come yet
	hallway  []checkin.Person // in the venue, in no room, ready to go into one
	leaving  []checkin.Person // admitted by the main entrance, in no room
	ballroom []checkin.Person // admitted into the ballroom by its north door
}

// Morning scripts 09:30 to 10:10 (from the venue's start): people come in
// by the two entrances, fill the ballroom, Hall B and the workshop room,
// some leave; the fire marshal lowers Hall B's cap to what is in it; the
// east entrance's kiosk falls silent at 10:00 and admits four more that
// the center never hears of; someone scans out at Hall B who was never
// recorded in (a conflict).
func (v *venue) Morning(t testing.TB) *day {
	t.Helper()
	c := &crowd{people: v.people, used: map[string]bool{}}
	d := &day{crowd: c}
	minute := func() { v.clock.Add(time.Minute) }
	hallB := 0
	for m := 0; m < 20; m++ {
		for i, p := range c.take(attendee, 14) {
			v.Scan(t, "main", p, checkin.Entry, checkin.Admitted)
			if i < 4 {
				d.leaving = append(d.leaving, p)
			} else {
				d.hallway = append(d.hallway, p)
			}
		}
		for _, p := range c.take(attendee, 9) {
			v.Scan(t, "east", p, checkin.Entry, checkin.Admitted)
			d.hallway = append(d.hallway, p)
		}
		// A few seconds between a door and the next, as on foot: the
		// center orders scans by their clocks.
		v.clock.Add(15 * time.Second)
		var speakers []checkin.Person
		if m < 19 {
			speakers = c.take(workshop, 2)
			for _, p := range speakers {
				v.Scan(t, "main", p, checkin.Entry, checkin.Admitted)
			}
		}
		v.clock.Add(15 * time.Second)
		for _, p := range speakers {
			v.Scan(t, "workshop-a", p, checkin.Entry, checkin.Admitted)
		}
		if m >= 3 {
			// Into the rooms: the earliest arrivals still in the hallways.
			for i := 0; i < 18; i++ {
				p := d.hallway[0]
				d.hallway = d.hallway[1:]
				if i < 13 {
					v.Scan(t, "ballroom-north", p, checkin.Entry, checkin.Admitted)
					d.ballroom = append(d.ballroom, p)
				} else {
					v.Scan(t, "hall-b", p, checkin.Entry, checkin.Admitted)
					hallB++
				}
			}
		}
		v.Sync(t, kioskDoors...)
		v.clock.Add(30 * time.Second)
	}
	// 09:50: the fire marshal caps Hall B at what it holds.
	MustCentral(t, "space", "cap", "hall-b", fmt.Sprint(hallB), "--db", v.dsn)
	for m := 0; m < 20; m++ {
		for i := 0; i < 4; i++ { // the ballroom empties a little
			p := d.ballroom[0]
			d.ballroom = d.ballroom[1:]
			v.Scan(t, "ballroom-north", p, checkin.Exit, checkin.ExitRecorded)
		}
		for i := 0; i < 3; i++ { // some go home
			p := d.leaving[0]
			d.leaving = d.leaving[1:]
			v.Scan(t, "main", p, checkin.Exit, checkin.ExitRecorded)
		}
		doors := kioskDoors
		if m >= 10 {
			doors = []string{"main", "ballroom-north", "hall-b", "workshop-a"}
		}
		if m == 10 {
			// 10:00: the east entrance loses the network, and keeps
			// admitting people the center does not hear of.
			for _, p := range c.take(attendee, 4) {
				v.Scan(t, "east", p, checkin.Entry, checkin.Admitted)
			}
		}
		if m == 12 {
			v.Scan(t, "hall-b", d.leaving[0], checkin.Exit, checkin.NotInside)
		}
		v.Sync(t, doors...)
		minute()
	}
	return d
}

// writeFile writes a file readable by its owner only.
func writeFile(path, s string) error {
	return os.WriteFile(path, []byte(s), 0o600)
}

// lockedWriter lets the server's goroutines share a log buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
