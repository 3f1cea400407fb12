package sim

import (
	"fmt"
	"slices"

	"usher/checkin"
	"usher/sync/wire"
)

// learn applies a recorded decision to the stays of its person, by the
// presence rules (docs/design.md "Presence"), as the center will once it
// has every event: an admission opens a stay of each space it spent a
// right of (crediting the kiosk's own earlier one there) and settles
// what it contradicts; an exit closes the stays of the spaces it leaves
// that certainly came before it.
func (w *World) learn(k *kiosk, code string, d checkin.Decision) {
	var p *person
	for _, q := range w.people {
		if q.code == code {
			p = q
		}
	}
	if p == nil || (d.Kind != checkin.Admit && d.Kind != checkin.Leave) || w.cfg.RightsOff {
		return
	}
	mark := w.markOf(k, d.Seq)
	w.refreshRSeq(p)
	var close []int
	if d.Kind == checkin.Admit {
		for i, st := range p.stays {
			if st.Kiosk == k.id && slices.Contains(w.ev.Counters(k.door), st.Counter) {
				close = append(close, i) // the kiosk credits its own (checkin.State.Readmits)
			}
		}
		p.stays = drop(p.stays, close)
		for _, c := range w.ev.Counters(k.door) {
			p.stays = append(p.stays, checkin.Stay{Holder: p.id, Kiosk: k.id, Seq: d.Seq, Counter: c,
				Dest: w.ev.Door(k.door).To, Stamp: mark.Stamp, HLC: mark.HLC, Cursor: mark.Cursor})
		}
		close = w.ev.Settle(p.stays)
	} else {
		close = w.ev.ExitCloses(k.door, mark, p.stays)
	}
	p.stays = drop(p.stays, close)
}

// drop returns stays without those at the indexes idx.
func drop(stays []checkin.Stay, idx []int) []checkin.Stay {
	var out []checkin.Stay
	for i, s := range stays {
		if !slices.Contains(idx, i) {
			out = append(out, s)
		}
	}
	return out
}

// markOf reads how the center will see the kiosk's row seq: its stamp
// (none without an estimate: then its hybrid clock, which proves no
// order), hybrid clock and pull cursor.
func (w *World) markOf(k *kiosk, seq int64) checkin.Mark {
	m := checkin.Mark{Kiosk: k.id, Seq: seq}
	var h int64
	if err := k.sql.QueryRowContext(w.ctx, `SELECT t, terr, hlc, cursor FROM scans WHERE seq = ?`, seq).
		Scan(&m.Stamp.T, &m.Stamp.Err, &h, &m.Cursor); err != nil {
		panic(fmt.Sprintf("kiosk %d row %d: %v", k.i, seq, err))
	}
	m.HLC = uint64(h)
	if !m.Stamp.Known() || m.Stamp.Err > wire.MaxStampErr {
		m.Stamp = checkin.Stamp{T: h >> 16, Err: -1}
	}
	return m
}

// refreshRSeq fills in the server sequence of the pushes that stored the
// person's admissions, once the center has them: an exit whose kiosk
// had pulled that far certainly came after.
func (w *World) refreshRSeq(p *person) {
	for i, st := range p.stays {
		if st.RSeq == 0 {
			_ = w.center.sql.QueryRowContext(w.ctx, `SELECT rseq FROM events WHERE kiosk_id = ? AND seq = ?`, st.Kiosk, st.Seq).
				Scan(&p.stays[i].RSeq)
		}
	}
}

// known is where the person's stays put them.
func (w *World) known(p *person) string {
	var counters []string
	for _, st := range p.stays {
		counters = append(counters, st.Counter)
	}
	return w.ev.Innermost(counters)
}
