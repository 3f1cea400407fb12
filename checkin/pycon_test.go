package checkin_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"usher/checkin"
)

// PyCon 2012: a registration cap of 1,500, and 2,200+ people came,
// because the cap did not count the 10 comp passes of each of 136
// sponsors. In Usher every person counts, whatever the category.
const (
	pyconCap         = 1500
	pyconAttendees   = 1364
	pyconSponsors    = 136
	pyconCompsPerSpo = 10
	pyconStaff       = 50
)

// MustPyConEvent returns the PyCon venue: one space, one entrance, and
// the categories of the event file.
func MustPyConEvent(tb testing.TB) *checkin.Event {
	tb.Helper()
	ev := &checkin.Event{
		ID:     "pycon-2012",
		Name:   "PyCon 2012",
		Spaces: []checkin.Space{{ID: "venue", Name: "Santa Clara Convention Center", Capacity: pyconCap}},
		Doors:  []checkin.Door{{ID: "main", From: checkin.Outside, To: "venue"}},
		Categories: []checkin.Category{
			{ID: "attendee", MayEnter: []string{"venue"}},
			{ID: "sponsor-comp", MayEnter: []string{"venue"}},
			{ID: "staff", MayEnter: []string{checkin.Everywhere}},
		},
	}
	MustValidate(tb, ev)
	return ev
}

// pyconRoster returns the roster by category, in the order given.
func pyconRoster(categories ...string) []*checkin.Person {
	var people []*checkin.Person
	for _, c := range categories {
		switch c {
		case "attendee":
			for i := range pyconAttendees {
				people = append(people, &checkin.Person{ID: fmt.Sprintf("att-%04d", i), Name: fmt.Sprintf("Attendee %d", i), Category: c})
			}
		case "sponsor-comp":
			for s := range pyconSponsors {
				for i := range pyconCompsPerSpo {
					people = append(people, &checkin.Person{ID: fmt.Sprintf("comp-%03d-%02d", s, i), Name: fmt.Sprintf("Guest %d of sponsor %d", i, s),
						Company: fmt.Sprintf("Sponsor %d", s), Category: c})
				}
			}
		case "staff":
			for i := range pyconStaff {
				people = append(people, &checkin.Person{ID: fmt.Sprintf("staff-%02d", i), Name: fmt.Sprintf("Staff %d", i), Category: c})
			}
		}
	}
	for _, p := range people {
		p.Code = "CODE-" + p.ID
	}
	return people
}

func TestPyCon2012(t *testing.T) {
	shuffled := func(seed uint64) func() []*checkin.Person {
		return func() []*checkin.Person {
			people := pyconRoster("attendee", "sponsor-comp", "staff")
			r := rand.New(rand.NewPCG(seed, 2012))
			r.Shuffle(len(people), func(i, j int) { people[i], people[j] = people[j], people[i] })
			return people
		}
	}
	orders := []struct {
		name   string
		people func() []*checkin.Person
	}{
		{"AttendeesFirst", func() []*checkin.Person { return pyconRoster("attendee", "sponsor-comp", "staff") }},
		{"CompsFirst", func() []*checkin.Person { return pyconRoster("sponsor-comp", "attendee", "staff") }},
		{"StaffFirst", func() []*checkin.Person { return pyconRoster("staff", "sponsor-comp", "attendee") }},
		{"StaffLast", func() []*checkin.Person { return pyconRoster("attendee", "staff", "sponsor-comp") }},
		{"Shuffled1", shuffled(1)},
		{"Shuffled2", shuffled(2)},
		{"Shuffled2012", shuffled(2012)},
	}
	for _, tc := range orders {
		t.Run(tc.name, func(t *testing.T) {
			ev := MustPyConEvent(t)
			people := tc.people()
			if want := pyconAttendees + pyconSponsors*pyconCompsPerSpo + pyconStaff; len(people) != want || want <= pyconCap {
				t.Fatalf("roster of %d, want %d (more than the cap of %d)", len(people), want, pyconCap)
			}
			st := checkin.NewState(ev)
			admitted := map[string]int{} // by category
			for i, p := range people {
				d := ev.Decide(checkin.Scan{Code: p.Code, Door: "main", Direction: checkin.Entry}, checkin.Badge{Person: p}, st)
				// First come, first served: the first cap people in, the rest turned away.
				switch {
				case i < pyconCap && d.Reason != checkin.Admitted:
					t.Fatalf("scan %d (%s, %s): %s, want admitted", i, p.ID, p.Category, d.Reason)
				case i >= pyconCap && (d.Reason != checkin.VenueFull || d.Space != "venue" || d.Moves()):
					t.Fatalf("scan %d (%s, %s): %s in %q, want venue_full", i, p.ID, p.Category, d.Reason, d.Space)
				}
				if d.Moves() {
					st.Move(p.ID, d.To)
					admitted[p.Category]++
				}
			}
			total := 0
			for _, n := range admitted {
				total += n
			}
			if total != pyconCap || st.Count("venue") != pyconCap || st.Occupancy()["venue"] != pyconCap {
				t.Fatalf("admitted %d %v, venue counts %d; want %d", total, admitted, st.Count("venue"), pyconCap)
			}

			// The cap holds over time: one out lets exactly one in.
			first, next := people[0], people[pyconCap]
			if d := ev.Decide(checkin.Scan{Code: first.Code, Door: "main", Direction: checkin.Exit}, checkin.Badge{Person: first}, st); d.Reason != checkin.ExitRecorded {
				t.Fatalf("%s leaving: %s", first.ID, d.Reason)
			} else {
				st.Move(first.ID, d.To)
			}
			for i, p := range []*checkin.Person{next, people[pyconCap+1]} {
				d := ev.Decide(checkin.Scan{Code: p.Code, Door: "main", Direction: checkin.Entry}, checkin.Badge{Person: p}, st)
				if want := []checkin.Reason{checkin.Admitted, checkin.VenueFull}[i]; d.Reason != want {
					t.Fatalf("after one left, %s: %s, want %s", p.ID, d.Reason, want)
				}
				if d.Moves() {
					st.Move(p.ID, d.To)
				}
			}
			if n := st.Count("venue"); n != pyconCap {
				t.Fatalf("venue counts %d, want %d", n, pyconCap)
			}
		})
	}
}

// TestPyConRosterCategories checks the roster the PyCon test scans is the
// one the issue describes.
func TestPyConRosterCategories(t *testing.T) {
	count := map[string]int{}
	companies := map[string]bool{}
	ids := map[string]bool{}
	for _, p := range pyconRoster("attendee", "sponsor-comp", "staff") {
		count[p.Category]++
		if p.Category == "sponsor-comp" {
			companies[p.Company] = true
		}
		ids[p.ID] = true
	}
	want := map[string]int{"attendee": pyconAttendees, "sponsor-comp": pyconSponsors * pyconCompsPerSpo, "staff": pyconStaff}
	for c, n := range want {
		if count[c] != n {
			t.Errorf("%d people in %s, want %d", count[c], c, n)
		}
	}
	if len(companies) != pyconSponsors {
		t.Errorf("comp passes from %d sponsors, want %d", len(companies), pyconSponsors)
	}
	if want := pyconAttendees + pyconSponsors*pyconCompsPerSpo + pyconStaff; len(ids) != want {
		t.Errorf("%d distinct ids, want %d", len(ids), want)
	}
}
