package report_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"usher/checkin"
	"usher/report"
)

// Tail, from each holder's Steps, their sums and the steps after a
// start, gives Build's door figures and its series from that start on:
// random logs of people moving at doors named or not, counts without a
// badge, staff undos, several moves at one instant.
func TestTailIsBuild(t *testing.T) {
	ev := fixture(t).Event
	places := []string{checkin.Outside, "venue", "room"}
	doors := []string{"", "main", "room", "gone"}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 1))
		start := at("08:00")
		// Each holder's moves in time order: people a…e, and "+" for the
		// counts without a badge, whose undos name only their own.
		byHolder := map[string][]report.Move{}
		clock := start
		for i := range 60 {
			if rng.IntN(4) > 0 {
				clock = clock.Add(time.Duration(rng.IntN(300)) * time.Second)
			}
			m := report.Move{At: clock, ID: fmt.Sprint(i), Door: doors[rng.IntN(len(doors))]}
			holder := "+"
			switch x := rng.IntN(10); {
			case x < 6:
				holder = string(rune('a' + rng.IntN(5)))
				m.Person, m.Category, m.To = holder, "attendee", places[rng.IntN(len(places))]
			case x < 8:
				m.From, m.To, m.Delta = places[rng.IntN(2)], places[1+rng.IntN(2)], []int{-1, 1}[rng.IntN(2)]
			default:
				// An undo of an earlier move of the same holder.
				var mine []report.Move
				for h, ms := range byHolder {
					if h != "+" || rng.IntN(3) == 0 {
						mine = append(mine, ms...)
					}
				}
				if len(mine) == 0 {
					continue
				}
				u := mine[rng.IntN(len(mine))]
				m.Person, m.Category, m.From, m.To, m.Delta, m.Undoes = u.Person, u.Category, u.To, u.From, -u.Delta, u.ID
				holder = "+"
				if u.Person != "" {
					holder = u.Person
				}
				if m.To == "" {
					m.To = checkin.Outside
				}
			}
			byHolder[holder] = append(byHolder[holder], m)
		}
		holders := slices.Sorted(func(yield func(string) bool) {
			for h := range byHolder {
				if !yield(h) {
					return
				}
			}
		})
		var all []report.Move
		for _, h := range holders {
			all = append(all, byHolder[h]...)
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
		end := clock.Add(time.Minute)
		want := report.Build(report.Log{Event: ev, Moves: all}, end)

		type held struct {
			holder string
			i      int
			s      report.Step
		}
		var steps []held
		final := map[string]int{}
		totals := map[string]*report.Door{}
		for _, h := range holders {
			ss := report.Steps(report.Log{Event: ev, Moves: byHolder[h]})
			for i, s := range ss {
				steps = append(steps, held{h, i, s})
				if s.Door != "" {
					if totals[s.Door] == nil {
						totals[s.Door] = &report.Door{ID: s.Door}
					}
					totals[s.Door].Entries += s.Entries
					totals[s.Door].Exits += s.Exits
				}
			}
			for sp, n := range report.Change(ev, ss) {
				final[sp] += n
			}
		}
		var sums []report.Door
		for _, d := range totals {
			sums = append(sums, *d)
		}
		slices.SortFunc(steps, func(a, b held) int {
			return cmp.Or(a.s.At.Compare(b.s.At), cmp.Compare(a.holder, b.holder), cmp.Compare(a.i, b.i))
		})
		for _, from := range []time.Time{start.Add(-time.Minute), start.Add(time.Hour), clock.Add(-10 * time.Minute), clock} {
			var after []report.Step
			for _, s := range steps {
				if s.s.At.After(from) {
					after = append(after, s.s)
				}
			}
			got := report.Tail(ev, from, final, sums, after)
			if !reflect.DeepEqual(got.Doors, want.Doors) {
				t.Fatalf("seed %d: doors\n tail  %+v\n build %+v", seed, got.Doors, want.Doors)
			}
			for _, w := range want.Spaces {
				gp, wp := got.Space(w.ID).Since(from, end), w.Since(from, end)
				if !reflect.DeepEqual(gp, wp) {
					t.Fatalf("seed %d: %s since %s\n tail  %v\n build %v", seed, w.ID, from.Format("15:04"), gp, wp)
				}
			}
		}
	}
}
