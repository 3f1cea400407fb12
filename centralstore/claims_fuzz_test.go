package centralstore_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/sync/wire"
)

// FuzzByzantinePush feeds arbitrary pushes from a kiosk enrolled at the
// east entrance, holding a valid token and its share of rights, into a
// center where an honest kiosk at the main entrance admitted someone.
// Whatever it sends, the books balance, no count goes negative or over
// its cap, the honest kiosk's rights are what it was granted less what
// it spent, and a push sent again changes nothing.
func FuzzByzantinePush(f *testing.F) {
	f.Add([]byte{})
	// A return of a million ballroom rights; admissions into the
	// workshop; ten −1s.
	f.Add([]byte{1, 2, 0, 0, 0, 0, 0, 1, 1, 2, 3, 0, 2, 5, 1, 3, 4, 6, 0, 1, 0, 3, 0, 0})
	f.Add([]byte{3, 1, 4, 0, 0, 1, 2, 0, 0, 0, 0, 0, 3, 1, 4, 0, 0, 1, 2, 0, 0, 0, 0, 0, 3, 1, 4, 0, 0, 1, 2, 0, 0, 0, 0, 0})
	f.Add([]byte{2, 1, 0, 2, 1, 1, 1, 0, 0, 1, 0, 2, 2, 1, 0, 3, 1, 1, 1, 0, 0, 1, 0, 2, 5, 1, 1, 2, 2, 1, 2, 1, 9, 3, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "central.db")
		r := newRig(t, path, 20, 6)
		raw, err := sql.Open("sqlite", centralstore.SQLiteDSN(path))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		main, east := r.enroll("main"), r.enroll("east")
		grant := granted(r.rights(main), "venue")
		r.rights(east)
		r.push(main, r.event(main, "main", "admit", "P000001", 0, spend("venue")))

		batches := byzantineBatches(r, east, data)
		for _, b := range batches {
			r.ingest(east, b...)
			checkByzantineBooks(t, r, raw, main, int64(grant-1))
		}
		before := r.books("venue")
		for _, b := range batches {
			if res := r.ingest(east, b...); res.Accepted != 0 {
				t.Fatalf("a push sent again stored %d events", res.Accepted)
			}
		}
		if after := r.books("venue"); after != before {
			t.Errorf("venue books moved on a push sent again: %+v, was %+v", after, before)
		}
	})
}

// byzantineBatches decodes data into pushes of up to 4 events each that
// pass wire validation, as the server would store them.
func byzantineBatches(r *rig, kiosk string, data []byte) [][]wire.Event {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	doors := []string{"east", "main", "workshop-a", "ballroom-north", "nowhere"}
	places := []string{"", checkin.Outside, "venue", "ballroom", "workshop-a", "hall-b", "attic"}
	counters := []string{"venue", "ballroom", "workshop-a", "hall-b", "attic"}
	kinds := []checkin.RightKind{checkin.RightSpend, checkin.RightReturn, checkin.RightCredit, checkin.RightLeft, checkin.RightGrant}
	decisions := []string{"admit", "exit", "deny", "undo", "rights"}
	ns := []int{1, 2, 7, 1_000_000}
	var (
		out   [][]wire.Event
		batch []wire.Event
		seq   int64
	)
	for len(data) > 0 {
		op := next()
		switch op % 5 {
		case 0:
			seq++
		case 1:
			seq = int64(next()%8) + 1 // a seq used before: a replay or a fork
		case 2:
			seq += int64(next()) << 20
		default:
			seq++
		}
		seq = max(1, min(seq, wire.MaxSeq-1))
		clock := r.clock.Add(time.Duration(next()) * time.Second)
		switch next() % 4 {
		case 1:
			clock = clock.AddDate(4000, 0, 0)
		case 2:
			clock = time.UnixMilli(1000)
		}
		e := wire.Event{Seq: seq, HLC: uint64(clock.UnixMilli()) << 16, At: clock.UnixMilli(), Door: doors[next()%len(doors)],
			Direction: string(checkin.Entry), Method: "badge", Decision: decisions[next()%len(decisions)], Reason: "admitted",
			Stamp: &checkin.Stamp{T: clock.UnixMilli(), Err: int64(next())}}
		if p := next() % 4; p > 0 {
			e.Person = fmt.Sprintf("P%06d", p) // P000001 is inside by the honest kiosk
		}
		from, to := places[next()%len(places)], places[next()%len(places)]
		if from != "" && to != "" {
			e.From, e.Location = from, to
		}
		e.Delta = next()%3 - 1
		for range next() % 4 {
			c := checkin.RightChange{Counter: counters[next()%len(counters)], Kind: kinds[next()%len(kinds)],
				N: ns[next()%len(ns)], Ref: int64(next() % 10)}
			if c.Kind != checkin.RightGrant && c.Kind != checkin.RightReturn {
				c.N = 1
			}
			e.Rights = append(e.Rights, c)
		}
		if e.Check() == nil {
			batch = append(batch, e)
		}
		if len(batch) == 4 || (len(data) == 0 && len(batch) > 0) {
			out, batch = append(out, batch), nil
		}
	}
	return out
}

// checkByzantineBooks checks what no push may break.
func checkByzantineBooks(t *testing.T, r *rig, raw *sql.DB, honest string, honestHolds int64) {
	t.Helper()
	st, err := r.db.Status(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	caps := map[string]int64{}
	for _, b := range st.Rights {
		caps[b.Counter] = b.Cap + b.Debt
		if b.Inside+b.Pending+b.Held+b.Reserve != b.Cap+b.Debt || b.Inside < 0 || b.Pending < 0 || b.Held < 0 || b.Reserve < 0 {
			t.Fatalf("books of %s do not balance: %+v", b.Counter, b)
		}
	}
	for space, n := range st.Occupancy {
		if n < 0 || int64(n) > caps[space] {
			t.Fatalf("%s counts %d of %d", space, n, caps[space])
		}
	}
	rows, err := raw.Query(`SELECT kiosk_id, counter, n FROM holdings`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kiosk, counter string
			n              int64
		)
		if err := rows.Scan(&kiosk, &counter, &n); err != nil {
			t.Fatal(err)
		}
		if n < 0 {
			t.Fatalf("kiosk %s holds %d of %s", kiosk, n, counter)
		}
		if kiosk == honest && counter == "venue" && n != honestHolds {
			t.Fatalf("the honest kiosk holds %d of venue, want %d: another kiosk's push moved its rights", n, honestHolds)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
