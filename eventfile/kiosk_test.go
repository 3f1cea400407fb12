package eventfile_test

import (
	"testing"

	"usher/checkin"
	"usher/eventfile"
)

// TestKioskSettings reads the [kiosk] table's sound and printer, and
// writes them back: sound on at 80 % and the label on the default
// printer unless the file says otherwise.
func TestKioskSettings(t *testing.T) {
	for _, tc := range []struct {
		table  string
		want   checkin.KioskSettings
		volume int
	}{
		{"", checkin.KioskSettings{}, 80},
		{"[kiosk]\nsound = true\n", checkin.KioskSettings{}, 80},
		{"[kiosk]\nsound = false\nvolume = 40\n", checkin.KioskSettings{Mute: true, Volume: 40}, 0},
		{"[kiosk]\nvolume = 100\nprinter = \"Brother_QL-820NWB\"\nmedia = \"A6\"\n",
			checkin.KioskSettings{Volume: 100, Printer: "Brother_QL-820NWB", Media: checkin.MediaA6}, 100},
		{"[kiosk]\nmedia = \"62x100mm\"\n", checkin.KioskSettings{Media: checkin.MediaLabel}, 80},
	} {
		ev, err := eventfile.Parse("event.toml", []byte(issueEvent+"\n"+tc.table))
		if err != nil {
			t.Fatalf("%q: %v", tc.table, err)
		}
		if ev.Kiosk != tc.want || ev.Kiosk.SoundVolume() != tc.volume {
			t.Errorf("%q: settings %+v (volume %d), want %+v (volume %d)", tc.table, ev.Kiosk, ev.Kiosk.SoundVolume(), tc.want, tc.volume)
		}
		checkRoundTrip(t, ev)
		s, err := eventfile.String(ev)
		if err != nil {
			t.Fatal(err)
		}
		back, err := eventfile.Parse("event.toml", []byte(s))
		if err != nil || back.Kiosk != ev.Kiosk {
			t.Errorf("%q: written back as\n%s\nread as %+v, %v", tc.table, s, back.Kiosk, err)
		}
	}
}
