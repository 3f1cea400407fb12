package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/report"
)

// Trend is how far back a space's sparkline reaches.
const Trend = 30 * time.Minute

// Levels of a space's fill, as CSS classes and data-level values.
const (
	LevelOK   = "ok"
	LevelNear = "near" // at or above checkin.NearlyFull of the cap
	LevelFull = "full" // at or over the cap
)

// View is what the dashboard and the fire-marshal view show, as of
// Updated; the live endpoints render it again for every poll.
type View struct {
	Event     string
	Organizer string
	Updated   time.Time // in the server's local time zone
	Spaces    []SpaceView
	Doors     []DoorView
	Conflicts []ConflictView
	// Offline names the doors with a kiosk not heard from within
	// centralstore.ActiveWithin: their rooms' numbers may be behind.
	Offline []string
	// Behind names the doors whose kiosk is heard from but said at its
	// last pull that it has scans the center has not received, with
	// their number ("Main Entrance (250 scans)").
	Behind []string
	// Unwatched names the doors with no kiosk: nobody passing is counted.
	Unwatched []string
	// Pretix is the last read of the pretix event the center follows;
	// nil when it follows none.
	Pretix *PretixView
}

// PretixView says when the center last read pretix and what came of it.
type PretixView struct {
	URL    string
	ReadAt string // local time, or "never"
	Result string
	Error  string
}

// SpaceView is one space's card.
type SpaceView struct {
	ID, Name  string
	Parent    string // the parent space's name, "" for a venue
	Occupancy int
	Capacity  int
	Percent   int    // occupancy as a share of the capacity, 0–100 (the bar)
	Level     string // LevelOK, LevelNear or LevelFull
	Spark     Spark
	// Offline names the doors into or out of the space with a kiosk not
	// heard from lately, Behind those with scans not yet received (as in
	// View), Unwatched those with no kiosk at all.
	Offline   []string
	Behind    []string
	Unwatched []string
}

// Spark is a space's trend over the last Trend as an inline SVG, in a
// 0 0 SparkW SparkH box, scaled so the top is the capacity.
type Spark struct {
	Points string // the step line, "x,y x,y …"
	Area   string // the same, closed along the bottom, for the fill
	From   string // the time at the left end, HH:MM
	CapY   string // the height of the capacity line
}

// Sparkline size in SVG units.
const (
	SparkW = 240
	SparkH = 40
)

// DoorView is one door, its figures and its kiosks.
type DoorView struct {
	ID, Name string
	From, To string // space names ("Outside" for outside)
	// Entries and Exits are the people who came in and went out through
	// the door so far (report.Door); 0 on the views that read no moves.
	Entries, Exits int
	Kiosks         []KioskView
}

// KioskView is what the center knows of one kiosk at a door.
type KioskView struct {
	ID, Name string
	LastSeen string // HH:MM:SS, local time
	Online   bool   // heard from within centralstore.ActiveWithin
	Waiting  int64
	Revoked  bool
	Retired  bool
	Refused  int64 // events the center refused to believe
	Forks    int64 // events sent under seqs it had used: restored or copied
}

// Alarm is what the organizer must act on about the kiosk, in words;
// "" when nothing.
func (k KioskView) Alarm() string {
	switch {
	case k.Forks > 0:
		return fmt.Sprintf("Its log forked (%d events under seqs it had used): its database was restored or copied. Both histories count; enroll it again.", k.Forks)
	case k.Refused > 0:
		return fmt.Sprintf("%d of its claims were refused: the center did not grant them.", k.Refused)
	}
	return ""
}

// State is the kiosk's state in words.
func (k KioskView) State() string {
	switch {
	case k.Retired:
		return "retired"
	case k.Revoked:
		return "revoked"
	case k.Online:
		return "online"
	}
	return "offline since " + k.LastSeen
}

// Behind reports a kiosk heard from lately that has scans the center has
// not received: its door's numbers are not live either.
func (k KioskView) Behind() bool { return k.Online && k.Waiting > 0 && !k.Revoked && !k.Retired }

// ConflictView is one line of the conflicts list.
type ConflictView struct {
	Kind   string // in words
	Person string // id and name
	Door   string
	Kiosk  string
	At     string // HH:MM:SS, local time
}

// conflictWords says each conflict kind in words.
var conflictWords = map[string]string{
	centralstore.DoubleAdmission:      "Admitted twice — at two doors while one was offline",
	centralstore.ExitWithoutAdmission: "Exit of someone nobody admitted",
	centralstore.RevokedAdmitted:      "Admitted on a revoked badge",
}

// BuildView gathers the view from one snapshot of the center at the
// center's clock; full adds what only the dashboard shows: each door's
// entries and exits, the trend lines (from the figures the center keeps
// as pushes arrive: centralstore.Dashboard), the names in the conflicts.
func BuildView(ctx context.Context, db *centralstore.DB, organizer string, full bool) (*View, error) {
	now := db.Now()
	var (
		st  centralstore.Status
		log report.Log
		rep *report.Report
		err error
	)
	if full {
		st, log, rep, err = db.Dashboard(ctx, now.Add(-Trend))
	} else if st, log, err = db.History(ctx, false); err == nil {
		rep = report.Build(log, now) // no moves: no figures
	}
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	if full {
		var ids []string
		for _, c := range st.Conflicts {
			ids = append(ids, c.Person)
		}
		if names, err = db.PersonNames(ctx, ids); err != nil {
			return nil, err
		}
	}
	v := makeView(log.Event, st, rep, names, organizer, now)
	if full {
		p, err := db.Pretix(ctx)
		if err != nil {
			return nil, err
		}
		v.Pretix = pretixView(p)
	}
	return v, nil
}

// pretixView lays out the pretix state; nil when the center follows no
// pretix event.
func pretixView(p centralstore.PretixState) *PretixView {
	if p.URL == "" {
		return nil
	}
	v := &PretixView{URL: p.URL, ReadAt: "never", Result: p.Result, Error: p.Error}
	if !p.ReadAt.IsZero() {
		v.ReadAt = p.ReadAt.Local().Format("2006-01-02 15:04:05")
	}
	return v
}

// makeView lays out the view; it reads nothing but its arguments.
func makeView(ev *checkin.Event, st centralstore.Status, rep *report.Report, names map[string]string, organizer string, now time.Time) *View {
	v := &View{Event: ev.Name, Organizer: organizer, Updated: now.Local()}
	n := namer{ev}
	doors := v.addDoors(n, st, rep, now)
	v.addSpaces(n, st, rep, doors, now)
	v.addConflicts(n, st, names)
	return v
}

// namer names the event's spaces and doors for a person.
type namer struct{ ev *checkin.Event }

func (n namer) space(id string) string {
	if id == checkin.Outside {
		return "Outside"
	}
	if s := n.ev.Space(id); s != nil {
		return s.Name
	}
	return id
}

func (n namer) door(id string) string {
	if d := n.ev.Door(id); d != nil && d.Name != "" {
		return d.Name
	}
	return id
}

// doorStates is what the kiosks of each door say of it, by door id.
type doorStates struct {
	offline map[string]bool  // doors with a kiosk not heard from lately
	behind  map[string]int64 // doors with a kiosk holding scans the center lacks
	watched map[string]bool  // doors with a kiosk that is not revoked or retired
}

// note adds the door named name to the first of offline, behind or
// unwatched that it is, if any.
func (ds doorStates) note(id, name string, offline, behind, unwatched *[]string) {
	switch {
	case ds.offline[id]:
		*offline = append(*offline, name)
	case ds.behind[id] > 0:
		*behind = append(*behind, waitingAt(name, ds.behind[id]))
	case !ds.watched[id]:
		*unwatched = append(*unwatched, name)
	}
}

// addDoors lays out every door with its counts and kiosks, and returns
// what the kiosks say of each.
func (v *View) addDoors(n namer, st centralstore.Status, rep *report.Report, now time.Time) doorStates {
	ds := doorStates{offline: map[string]bool{}, behind: map[string]int64{}, watched: map[string]bool{}}
	for _, d := range n.ev.Doors {
		dv := DoorView{ID: d.ID, Name: n.door(d.ID), From: n.space(d.From), To: n.space(d.To)}
		for _, rd := range rep.Doors {
			if rd.ID == d.ID {
				dv.Entries, dv.Exits = rd.Entries, rd.Exits
			}
		}
		for _, k := range st.Kiosks {
			if k.Door != d.ID {
				continue
			}
			kv := KioskView{ID: k.ID, Name: k.Name, LastSeen: k.LastSeen.Local().Format("15:04:05"),
				Online: now.Sub(k.LastSeen) <= centralstore.ActiveWithin, Waiting: k.Waiting, Revoked: k.Revoked, Retired: k.Retired,
				Refused: k.Refused, Forks: k.Forks}
			dv.Kiosks = append(dv.Kiosks, kv)
			if k.Revoked || k.Retired {
				continue
			}
			ds.watched[d.ID] = true
			if !kv.Online {
				ds.offline[d.ID] = true
			} else if kv.Behind() {
				ds.behind[d.ID] += k.Waiting
			}
		}
		ds.note(d.ID, dv.Name, &v.Offline, &v.Behind, &v.Unwatched)
		v.Doors = append(v.Doors, dv)
	}
	return ds
}

// addSpaces lays out every space: its count against its capacity, its
// trend, and the doors into it that are offline, behind or unwatched.
func (v *View) addSpaces(n namer, st centralstore.Status, rep *report.Report, ds doorStates, now time.Time) {
	for _, s := range n.ev.Spaces {
		occ := st.Occupancy[s.ID]
		sv := SpaceView{ID: s.ID, Name: s.Name, Occupancy: occ, Capacity: s.Capacity, Level: level(occ, s.Capacity)}
		if s.Parent != "" {
			sv.Parent = n.space(s.Parent)
		}
		if s.Capacity > 0 {
			sv.Percent = min(100, occ*100/s.Capacity)
		}
		if r := rep.Space(s.ID); r != nil {
			sv.Spark = spark(r.Since(now.Add(-Trend), now), now.Add(-Trend), s.Capacity)
		}
		for _, d := range n.ev.Doors {
			if crosses(n.ev, d, s.ID) {
				ds.note(d.ID, n.door(d.ID), &sv.Offline, &sv.Behind, &sv.Unwatched)
			}
		}
		v.Spaces = append(v.Spaces, sv)
	}
}

// addConflicts lays out the conflicts, each person with their name.
func (v *View) addConflicts(n namer, st centralstore.Status, names map[string]string) {
	for _, c := range st.Conflicts {
		kind := conflictWords[c.Kind]
		if kind == "" {
			kind = c.Kind
		}
		person := c.Person
		if name := names[c.Person]; name != "" {
			person += " " + name
		}
		v.Conflicts = append(v.Conflicts, ConflictView{Kind: kind, Person: person, Door: n.door(c.Door),
			Kiosk: c.Kiosk, At: c.At.Local().Format("15:04:05")})
	}
}

// waitingAt names a door with the scans it has that the center lacks.
func waitingAt(door string, n int64) string {
	if n == 1 {
		return door + " (1 scan)"
	}
	return fmt.Sprintf("%s (%d scans)", door, n)
}

// level is a space's fill level.
func level(n, capacity int) string {
	switch {
	case n >= capacity:
		return LevelFull
	case float64(n) >= checkin.NearlyFull*float64(capacity):
		return LevelNear
	}
	return LevelOK
}

// crosses reports whether passing door d changes who is in space: it
// leads into it from outside it, or out of it.
func crosses(ev *checkin.Event, d checkin.Door, space string) bool {
	return slices.Contains(ev.Chain(d.From), space) != slices.Contains(ev.Chain(d.To), space)
}

// spark draws points (report.Space.Since over [from, from+Trend]) as a
// step line: a count holds until the next change.
func spark(points []report.Point, from time.Time, capacity int) Spark {
	top := float64(max(capacity, 1))
	for _, p := range points {
		top = max(top, float64(p.N))
	}
	x := func(t time.Time) float64 {
		f := float64(t.Sub(from)) / float64(Trend)
		return min(max(f, 0), 1) * SparkW
	}
	y := func(n int) float64 { return SparkH - 2 - float64(n)/top*(SparkH-4) }
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
	// A busy space has thousands of changes in Trend: the line is
	// appended number by number, not formatted.
	b := make([]byte, 0, 24*len(points))
	point := func(x, y float64) {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendFloat(b, x, 'f', 1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, y, 'f', 1, 64)
	}
	for i, p := range points {
		if i > 0 {
			// Hold the previous level up to this change.
			point(x(p.At), y(points[i-1].N))
		}
		point(x(p.At), y(p.N))
	}
	line := string(b)
	area := ""
	if len(points) > 0 {
		area = fmt.Sprintf("%s,%d %s %s,%d", num(x(points[0].At)), SparkH, line, num(x(points[len(points)-1].At)), SparkH)
	}
	return Spark{Points: line, Area: area, From: from.Local().Format("15:04"), CapY: num(y(capacity))}
}
