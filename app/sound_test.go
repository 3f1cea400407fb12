package app

import (
	"slices"
	"strings"
	"testing"

	"usher/checkin"
	"usher/demo"
)

// speaker is the kiosk's audio device as the screen sees it: the tones
// asked for and the volume set. The tones themselves are rendered and
// measured in the sound package.
type speaker struct {
	played []Sound
	volume []int
}

func (s *speaker) Play(t Sound)      { s.played = append(s.played, t) }
func (s *speaker) SetVolume(pct int) { s.volume = append(s.volume, pct) }

// take returns the tones played since the last take.
func (s *speaker) take() []Sound {
	p := s.played
	s.played = nil
	return p
}

// Each decision sounds its own tone, whatever the word on the panel:
// every red panel buzzes, a warning beeps twice, an exit is one note.
func TestSoundOfDecisions(t *testing.T) {
	sp := &speaker{}
	h := MustKiosk(t, Options{Speaker: sp})
	if !slices.Equal(sp.volume, []int{checkin.DefaultVolume}) {
		t.Errorf("volume set to %v at start, want [%d] (the event file names none)", sp.volume, checkin.DefaultVolume)
	}
	steps := []struct {
		name string
		do   func()
		want Sound
	}{
		{"admit", func() { h.scan(ada.Code) }, SoundAdmit},
		{"already inside again", func() { h.advance(holdGood); h.scan(ada.Code) }, SoundWarn},
		{"unknown badge", func() { h.advance(holdBad); h.scan(unknownCode) }, SoundDeny},
		{"not entitled", func() {
			h.advance(holdBad)
			h.k.moveTo(doorWorkshop)
			h.scan(ada.Code)
		}, SoundDeny},
		{"exit", func() {
			h.advance(holdBad)
			h.k.moveTo(doorMain)
			h.k.dir = checkin.Exit
			h.scan(ada.Code)
		}, SoundExit},
		{"a staff action refused (-1 with nobody counted by hand)", func() {
			h.advance(holdGood)
			h.unlockStaff()
			h.staffKey('4')
			h.k.note.submit("left")
		}, SoundWarn},
	}
	for _, st := range steps {
		st.do()
		got := sp.take()
		if !slices.Equal(got, []Sound{st.want}) {
			t.Errorf("%s: played %v, want [%v] (panel %s)", st.name, got, st.want, h.k.panel.word.Text)
		}
	}
	// Ready, and a burst of nothing, play nothing.
	h.advance(holdBad)
	h.advance(holdBad)
	if got := sp.take(); len(got) != 0 {
		t.Errorf("the ready screen played %v", got)
	}
}

// A full room buzzes like any denial: the word differs, the sound is the
// one staff know means "not in".
func TestSoundOfFullRoom(t *testing.T) {
	for _, tn := range []tone{toneDeny, toneRoomFull, toneVenueFull, toneDoorFull, toneAlarm, toneRevoked} {
		if got := soundOf(tn); got != SoundDeny {
			t.Errorf("soundOf(%s) = %v, want deny", tn.word, got)
		}
	}
	for tn, want := range map[*tone]Sound{&toneAdmit: SoundAdmit, &tonePrinted: SoundAdmit, &toneExit: SoundExit,
		&toneWarn: SoundWarn, &toneNearlyFull: SoundWarn, &toneNotPrinted: SoundWarn, &toneReady: 0, &tonePrinting: 0, &toneDesk: 0} {
		if got := soundOf(*tn); got != want {
			t.Errorf("soundOf(%s) = %v, want %v", tn.word, got, want)
		}
	}
	sp := &speaker{}
	h := MustKiosk(t, Options{Speaker: sp, Door: doorWorkshop})
	for _, p := range speakers(workshopCap) {
		h.scan(p.Code)
		h.advance(holdGood)
	}
	if got := sp.take(); len(got) != workshopCap || got[0] != SoundAdmit {
		t.Errorf("filling the room played %d tones, want %d admissions", len(got), workshopCap)
	}
	h.scan(grace.Code) // a speaker too, and the room is full
	if got := sp.take(); !slices.Equal(got, []Sound{SoundDeny}) || h.k.panel.word.Text != toneRoomFull.word {
		t.Errorf("a full room: panel %s played %v, want ROOM FULL and a deny", h.k.panel.word.Text, got)
	}
}

// Staff step the volume down with V, to muted and back to the loudest;
// the door keeps its choice over a restart, and a muted door plays
// nothing.
func TestSoundVolumeInStaffMode(t *testing.T) {
	sp := &speaker{}
	h := MustKiosk(t, Options{Speaker: sp})
	h.unlockStaff()
	if got := h.k.staff.sound.button.Text; !strings.Contains(got, "80 %") {
		t.Errorf("staff item %q, want it to say 80 %%", got)
	}
	var steps []int
	for range 6 {
		h.staffKey('V')
		steps = append(steps, sp.volume[len(sp.volume)-1])
	}
	if want := []int{60, 40, 20, 0, 100, 80}; !slices.Equal(steps, want) {
		t.Errorf("V stepped the volume %v, want %v", steps, want)
	}
	// Each step plays the admission tone at the new volume; muted, none.
	if got := sp.take(); len(got) != 5 {
		t.Errorf("the steps played %v, want 5 tones (none when muted)", got)
	}
	for range 4 {
		h.staffKey('V') // 60, 40, 20, muted
	}
	if got := h.k.staff.sound.button.Text; !strings.Contains(got, "muted") {
		t.Errorf("staff item %q, want it to say muted", got)
	}
	h.key("Escape")
	sp.take()
	h.scan(ada.Code)
	if got := sp.take(); len(got) != 0 {
		t.Errorf("muted, an admission played %v", got)
	}

	// A new screen on the same database (a restart) is still muted.
	sp2 := &speaker{}
	h.open(Options{Speaker: sp2})
	if !slices.Equal(sp2.volume, []int{0}) {
		t.Errorf("after a restart the volume was set to %v, want [0]", sp2.volume)
	}
}

// The event file's [kiosk] sound = false starts a door muted; staff can
// still turn it up.
func TestSoundOffInEventFile(t *testing.T) {
	sp := &speaker{}
	h := MustKiosk(t, Options{})
	ev := *demo.Event()
	ev.Kiosk = checkin.KioskSettings{Mute: true}
	if _, err := h.db.Load(h.ctx, &ev, roster()); err != nil {
		t.Fatal(err)
	}
	h.open(Options{Speaker: sp})
	if !slices.Equal(sp.volume, []int{0}) {
		t.Fatalf("volume set to %v, want [0] (sound = false)", sp.volume)
	}
	h.scan(ada.Code)
	if got := sp.take(); len(got) != 0 {
		t.Errorf("sound = false, an admission played %v", got)
	}
	h.advance(holdGood)
	h.unlockStaff()
	h.staffKey('V')
	if got := sp.volume[len(sp.volume)-1]; got != 100 {
		t.Errorf("V from muted set %d %%, want 100", got)
	}
}

// Without an audio device the kiosk scans as ever; staff mode says why
// there is no sound and the item does nothing.
func TestNoAudioDevice(t *testing.T) {
	h := MustKiosk(t, Options{NoSound: "no audio device: ALSA found no sound card"})
	h.scan(ada.Code)
	h.wantPanel(toneAdmit, "Ada Lovelace · Attendee", "Welcome, Ada Lovelace.")
	h.advance(holdGood)
	h.unlockStaff()
	it := h.k.staff.sound.button
	if !strings.Contains(it.Text, "no audio device") || !it.Disabled() {
		t.Errorf("sound item %q (disabled %v), want it disabled, saying there is no audio device", it.Text, it.Disabled())
	}
	h.staffKey('V') // nothing happens, nothing breaks
	if !h.k.staff.box.Visible() {
		t.Errorf("V without a device left the staff menu")
	}
}
