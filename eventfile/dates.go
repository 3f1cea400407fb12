package eventfile

import "time"

// Dates are when the event takes place, as [event] start and end give
// them: dates and times with the venue's UTC offset, like a session's
// (start = 2026-05-14T09:00:00+02:00). Both are zero when the file gives
// none.
//
// Badges are valid for the event's days (Days) unless the organizer
// says otherwise; an event without dates prints badges with no end. The
// schedule's sessions do not set the dates, since a schedule may leave
// out a day; instead a file whose sessions fall outside the event's
// days is refused, as their badges would not admit to them.
type Dates struct {
	Start, End time.Time
}

// IsZero reports whether the event file gives no dates.
func (d Dates) IsZero() bool { return d.Start.IsZero() && d.End.IsZero() }

// Days returns the event's days as a period: from 00:00 of the day
// Start falls on to 24:00 of the day End falls on, each in the UTC
// offset the file writes it with, so that staff setting up before the
// doors open and people leaving late are inside it. Both are zero for
// an event without dates.
func (d Dates) Days() (from, until time.Time) {
	if d.IsZero() {
		return time.Time{}, time.Time{}
	}
	y, m, day := d.Start.Date()
	from = time.Date(y, m, day, 0, 0, 0, 0, d.Start.Location())
	y, m, day = d.End.Date()
	until = time.Date(y, m, day+1, 0, 0, 0, 0, d.End.Location())
	return from, until
}

// checkDates refuses half the dates, or an end before the start.
func (r reader) checkDates(d Dates) error {
	switch {
	case d.Start.IsZero() && !d.End.IsZero():
		return r.errorf("event", 0, "end", "[event] has an end but no start: give both, or neither (badges then have no end)")
	case !d.Start.IsZero() && d.End.IsZero():
		return r.errorf("event", 0, "start", "[event] has a start but no end: give both, or neither (badges then have no end)")
	case d.End.Before(d.Start):
		return r.errorf("event", 0, "end", "end %s is before start %s", d.End.Format(time.RFC3339), d.Start.Format(time.RFC3339))
	}
	return nil
}

// checkSessions refuses a session outside the event's days: the badges
// printed for those days would not admit anyone to it.
func (r reader) checkSessions(f *File) error {
	from, until := f.Dates.Days()
	if from.IsZero() {
		return nil
	}
	for i, s := range f.Event.Sessions {
		switch {
		case s.Start.Before(from):
			return r.errorf("session", i, "start", "session %q starts %s, before the event's first day (%s in [event]): badges valid for the event's days would not admit to it",
				s.Title, s.Start.Format(time.RFC3339), f.Dates.Start.Format(time.DateOnly))
		case s.End.After(until):
			return r.errorf("session", i, "end", "session %q ends %s, after the event's last day (%s in [event]): badges valid for the event's days would not admit to it",
				s.Title, s.End.Format(time.RFC3339), f.Dates.End.Format(time.DateOnly))
		}
	}
	return nil
}
