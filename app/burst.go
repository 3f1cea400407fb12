package app

import (
	"strings"
	"time"
)

// Telling a scanner from a person. A USB badge scanner is a keyboard: it
// types the code and Enter into whatever has the focus, the PIN prompt
// and the reason field included. What gives it away is speed, measured
// on the kiosk's clock (Kiosk.Now).
const (
	// scanGap: a scan's keys, Enter included, each come less than this
	// after the one before. USB scanners send a key every 1-20 ms (their
	// slowest inter-character delay setting is about 20 ms); people type
	// 80-250 ms apart, and even a fast typist's rolled keys come under
	// 35 ms only in pairs, never through a whole line. A scanner set
	// slower than this types into the staff screens like a person: set
	// its delay lower.
	scanGap = 35 * time.Millisecond
	// scanMin: a scan has at least this many characters before Enter.
	// Badge codes are much longer (12 and more); four characters and
	// Enter, each under scanGap after the last, are beyond any typist,
	// while three (a reason such as "VIP" typed with rolled keys) could
	// come close.
	scanMin = 4
)

// burst times the keys typed into one widget. It keeps the run of keys
// that each came within scanGap of the one before; a run of at least
// scanMin characters whose Enter also comes within scanGap is a scan.
// Keys other than characters and Enter (Shift, which scanners send for
// capitals) are not timed. A scan that starts within scanGap of a
// person's key takes that key in as its first character (and is then
// likely an unknown badge, denied and logged); nothing in the timing
// tells the two apart.
type burst struct {
	now  func() time.Time
	run  []rune
	last time.Time
}

// key times r, and reports whether it starts a new run: the keys before
// it, if any, came slower than a scanner types.
func (b *burst) key(r rune) (first bool) {
	now := b.now()
	if len(b.run) == 0 || now.Sub(b.last) >= scanGap {
		b.run, first = b.run[:0], true
	}
	b.run = append(b.run, r)
	b.last = now
	return first
}

// enter ends the line at Enter: code is the run of fast keys, and scan
// whether they are a scan.
func (b *burst) enter() (code string, scan bool) {
	scan = len(b.run) >= scanMin && b.now().Sub(b.last) < scanGap
	code = string(b.run)
	b.reset()
	return code, scan
}

// reset forgets the run: the next key starts a new one.
func (b *burst) reset() { b.run = b.run[:0] }

// keyLine gathers the keys typed into a widget that takes single keys,
// not text (a menu, a question, a button), up to Enter.
type keyLine struct {
	typed []rune
	keys  burst
}

func (l *keyLine) add(r rune) {
	l.typed = append(l.typed, r)
	l.keys.key(r)
}

// end ends the line at Enter. A scan is a code; so is any line of
// scanMin characters or more, typed at any speed: these widgets take one
// key, so such a line can only be a badge, from a scanner slower than
// scanGap or typed by hand. Else line is what was typed (a key, or ""
// for Enter alone), for the widget to take or ignore.
func (l *keyLine) end() (line string, code bool) {
	line = strings.TrimSpace(string(l.typed))
	l.typed = l.typed[:0]
	if c, scan := l.keys.enter(); scan {
		return c, true
	}
	return line, len([]rune(line)) >= scanMin
}

func (l *keyLine) reset() {
	l.typed = l.typed[:0]
	l.keys.reset()
}
