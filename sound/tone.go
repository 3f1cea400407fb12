package sound

import (
	"fmt"
	"time"
)

// Rate is the sample rate of every tone, in samples per second. 44.1 kHz
// is what ALSA devices accept natively almost everywhere, so the device
// does not resample.
const Rate = 44100

// Tone is one of the sounds a kiosk makes for a scan.
type Tone int

const (
	Admit Tone = iota // the door opens
	Deny              // the door stays shut: staff must look
	Exit              // an exit was recorded
	Warn              // admitted, but staff should glance at the screen
)

// Tones returns every tone, in declaration order.
func Tones() []Tone { return []Tone{Admit, Deny, Exit, Warn} }

// String returns the tone's lower-case name, as used in logs and settings.
func (t Tone) String() string {
	switch t {
	case Admit:
		return "admit"
	case Deny:
		return "deny"
	case Exit:
		return "exit"
	case Warn:
		return "warn"
	}
	return fmt.Sprintf("Tone(%d)", int(t))
}

// Note is one segment of a tone: a pitch held for a duration. Hz 0 is
// silence.
type Note struct {
	Hz  float64
	Dur time.Duration
}

// Notes returns the segments of the tone in playing order. An unknown
// tone has no notes and renders as nothing.
//
// The shapes are chosen to be told apart by ear alone: Admit rises (a
// "yes"), Exit is a single lower note (quieter news), Warn repeats one
// beep, and Deny is much lower, longer and buzzing. All but Deny stay
// under 300 ms so a queue of fast scans does not turn into a melody.
func (t Tone) Notes() []Note {
	switch t {
	case Admit:
		return []Note{{880, 90 * time.Millisecond}, {1320, 110 * time.Millisecond}}
	case Exit:
		return []Note{{660, 120 * time.Millisecond}}
	case Warn:
		return []Note{{1000, 80 * time.Millisecond}, {0, 60 * time.Millisecond}, {1000, 80 * time.Millisecond}}
	case Deny:
		pulse := Note{220, 130 * time.Millisecond}
		gap := Note{0, 55 * time.Millisecond}
		return []Note{pulse, gap, pulse, gap, pulse}
	}
	return nil
}

// Duration returns the tone's total length, the sum of its notes.
func (t Tone) Duration() time.Duration {
	var d time.Duration
	for _, n := range t.Notes() {
		d += n.Dur
	}
	return d
}
