package central

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/report"
)

// statusCmd: usher-central status [--json] [--db D]
func statusCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central status", flag.ContinueOnError)
	dsn := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	// One snapshot for the live figures and the per-door ones, which
	// come from the same report as the dashboard's and the exports'.
	st, log, err := db.History(context.Background(), true)
	if err != nil {
		return err
	}
	doors := doorFigures(log, db.Now())
	if *asJSON {
		return writeStatusJSON(stdout, st, doors)
	}
	ev, err := db.Event(context.Background())
	if err != nil {
		return err
	}
	printStatus(stdout, ev, st, doors)
	px, err := db.Pretix(context.Background())
	if err != nil {
		return err
	}
	printPretix(stdout, px)
	return nil
}

// statusDoor is one door's figures as status shows them.
type statusDoor struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Entries int    `json:"entries"`
	Exits   int    `json:"exits"`
}

// doorFigures are the entries and exits of each door over the whole
// history, up to now or the newest move if a kiosk's clock ran ahead
// (as the dashboard counts them).
func doorFigures(log report.Log, now time.Time) []statusDoor {
	end := now
	if n := len(log.Moves); n > 0 && log.Moves[n-1].At.After(end) {
		end = log.Moves[n-1].At
	}
	out := []statusDoor{}
	for _, d := range report.Build(log, end).Doors {
		out = append(out, statusDoor{ID: d.ID, Name: d.Name, Entries: d.Entries, Exits: d.Exits})
	}
	return out
}

// writeStatusJSON writes status --json: the center's Status with the
// doors' figures beside it.
func writeStatusJSON(w io.Writer, st centralstore.Status, doors []statusDoor) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		centralstore.Status
		Doors []statusDoor `json:"doors"`
	}{st, doors})
}

// printStatus writes the status for people: the occupancy of each of
// ev's spaces, the doors' entries and exits, the kiosks, the capacity
// rights and the conflicts.
func printStatus(w io.Writer, ev *checkin.Event, st centralstore.Status, doors []statusDoor) {
	fmt.Fprintf(w, "%s\n\nOccupancy\n", ev.Name)
	for _, s := range ev.Spaces {
		fmt.Fprintf(w, "  %-24s %6d / %d\n", s.Name, st.Occupancy[s.ID], s.Capacity)
	}
	fmt.Fprintf(w, "\nDoors\n  %-24s %7s %7s\n", "", "entries", "exits")
	for _, d := range doors {
		fmt.Fprintf(w, "  %-24s %7d %7d\n", d.Name, d.Entries, d.Exits)
	}
	printKiosks(w, st.Kiosks)
	printRights(w, ev, st.Rights)
	printConflicts(w, st.Conflicts)
}

// printKiosks lists the kiosks by id (sorting kiosks): each one's door,
// state, events and what is wrong with it.
func printKiosks(w io.Writer, kiosks []centralstore.KioskState) {
	fmt.Fprintf(w, "\nKiosks\n")
	if len(kiosks) == 0 {
		fmt.Fprintln(w, "  none enrolled (usher-central enroll --door DOOR)")
	}
	sort.Slice(kiosks, func(i, j int) bool { return kiosks[i].ID < kiosks[j].ID })
	for _, k := range kiosks {
		fmt.Fprintf(w, "  %-14s %-16s %-20s %d events%s\n", k.ID, k.Door, kioskState(k), k.Events, kioskNotes(k))
	}
}

// kioskState is when the kiosk was last heard from, or that it is
// retired or revoked.
func kioskState(k centralstore.KioskState) string {
	switch {
	case k.Retired:
		return "RETIRED"
	case k.Revoked:
		return "REVOKED"
	}
	return "last heard " + k.LastSeen.Local().Format("15:04:05")
}

// kioskNotes are what status warns of at a kiosk, each after a comma:
// scans waiting, clocks far off, refused claims, a forked log.
func kioskNotes(k centralstore.KioskState) string {
	notes := ""
	if k.Waiting > 0 {
		notes += fmt.Sprintf(", %d scans waiting at the kiosk", k.Waiting)
	}
	if k.Flagged > 0 {
		notes += fmt.Sprintf(", %d with clocks far off", k.Flagged)
	}
	if k.Refused > 0 {
		notes += fmt.Sprintf(", %d REFUSED (claims the center did not grant)", k.Refused)
	}
	if k.Forks > 0 {
		notes += fmt.Sprintf(", LOG FORKED: %d events under seqs it had used (restored or copied): enroll it again", k.Forks)
	}
	return notes
}

// printRights writes the books of each capacity counter, named by ev's
// space where it is one; nothing without counters.
func printRights(w io.Writer, ev *checkin.Event, rights []centralstore.CounterRights) {
	if len(rights) == 0 {
		return
	}
	// inside + freeing + held + reserve = cap + debt (docs/design.md
	// "Capacity rights"): "freeing" are the places exits elsewhere
	// freed, on their way back through the kiosk that admitted.
	fmt.Fprintf(w, "\nCapacity rights\n  %-24s %6s %6s %7s %6s %7s %6s\n", "", "cap", "inside", "freeing", "held", "reserve", "debt")
	for _, r := range rights {
		name := r.Counter
		if s := ev.Space(r.Counter); s != nil {
			name = s.Name
		}
		fmt.Fprintf(w, "  %-24s %6d %6d %7d %6d %7d %6d\n", name, r.Cap, r.Inside, r.Pending, r.Held, r.Reserve, r.Debt)
	}
}

// printConflicts writes the conflicts the center found merging the
// kiosks' events; nothing without any.
func printConflicts(w io.Writer, conflicts []centralstore.Conflict) {
	if len(conflicts) == 0 {
		return
	}
	fmt.Fprintf(w, "\nConflicts (%d)\n", len(conflicts))
	for _, c := range conflicts {
		detail := ""
		if c.Detail != "" {
			detail = ": " + c.Detail
		}
		fmt.Fprintf(w, "  %s  %-22s %-12s at %s (kiosk %s, event %d)%s\n",
			c.At.Local().Format("15:04:05"), c.Kind, c.Person, c.Door, c.Kiosk, c.Seq, detail)
	}
}

// printPretix writes when pretix was last read and what came of it;
// nothing when the center does not read pretix.
func printPretix(w io.Writer, px centralstore.PretixState) {
	if px.URL == "" {
		return
	}
	fmt.Fprintf(w, "\npretix %s\n  last read %s: ", px.URL, px.ReadAt.Local().Format("2006-01-02 15:04:05"))
	if px.Error != "" {
		fmt.Fprintf(w, "FAILED: %s\n", px.Error)
	} else {
		fmt.Fprintln(w, px.Result)
	}
}
