package app

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// luminance is the WCAG 2 relative luminance of c (alpha ignored).
func luminance(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n.R) + 0.7152*lin(n.G) + 0.0722*lin(n.B)
}

// contrast is the WCAG 2 contrast ratio of two colours, 1 to 21.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrastFormula(t *testing.T) {
	if got := contrast(color.White, color.Black); math.Abs(got-21) > 0.01 {
		t.Errorf("white on black = %.2f, want 21", got)
	}
	if got := contrast(color.NRGBA{0x77, 0x77, 0x77, 0xff}, color.White); math.Abs(got-4.48) > 0.01 {
		t.Errorf("#777 on white = %.2f, want 4.48", got)
	}
}

// Both themes keep text readable at a distance: AAA contrast (7:1) for
// body text, and the same for the light and the dark variant.
func TestThemeContrast(t *testing.T) {
	for _, tc := range []struct {
		name string
		th   fyne.Theme
	}{{"Light", Light}, {"Dark", Dark}} {
		t.Run(tc.name, func(t *testing.T) {
			// The variant argument is ignored by the kiosk themes: pass
			// the other one to prove it.
			other := theme.VariantDark
			if tc.th == Dark {
				other = theme.VariantLight
			}
			bg := tc.th.Color(theme.ColorNameBackground, other)
			for _, name := range []fyne.ThemeColorName{theme.ColorNameForeground} {
				fg := tc.th.Color(name, other)
				if got := contrast(fg, bg); got < 7 {
					t.Errorf("%s on background: contrast %.2f, want at least 7", name, got)
				}
			}
			if tc.th.Size(theme.SizeNameText) < 18 {
				t.Errorf("text size %.0f, want at least 18", tc.th.Size(theme.SizeNameText))
			}
		})
	}
}

// Every panel tone and direction badge keeps its text at AA (4.5:1).
func TestToneContrast(t *testing.T) {
	for _, tn := range []tone{toneReady, toneAdmit, toneDeny, toneExit, toneWarn, toneRoomFull, toneVenueFull, toneDoorFull, toneAlarm} {
		if got := contrast(tn.fg, tn.bg); got < 4.5 {
			t.Errorf("%s: text contrast %.2f, want at least 4.5", tn.word, got)
		}
		if tn.icon == nil || tn.word == "" {
			t.Errorf("%s: a tone needs an icon and a word, never colour alone", tn.word)
		}
	}
	for name, bg := range map[string]color.NRGBA{"ENTRY": dirEntry, "EXIT": dirExit} {
		if got := contrast(white, bg); got < 4.5 {
			t.Errorf("%s badge: contrast %.2f, want at least 4.5", name, got)
		}
	}
	// The tones must also differ from each other for people who see
	// colour: no two share a background. (The capacity denials are
	// denials, in the deny colour; their words tell them apart.)
	seen := map[color.NRGBA]string{}
	for _, tn := range []tone{toneReady, toneAdmit, toneDeny, toneExit, toneWarn} {
		if other, ok := seen[tn.bg]; ok {
			t.Errorf("%s and %s share a colour", tn.word, other)
		}
		seen[tn.bg] = tn.word
	}
}

// Switching theme in staff mode recolours the screen's own texts: the
// door's name and the connection line must stay readable on the new
// background.
func TestThemeSwitchRecolours(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.unlockStaff()
	h.staffKey('7')
	if !h.k.dark {
		t.Fatal("'7' did not switch to the dark theme")
	}
	bg := Dark.Color(theme.ColorNameBackground, theme.VariantDark)
	for _, txt := range []struct {
		name string
		c    color.Color
	}{
		{"door name", h.k.doorName.Color},
		{"connection line", h.k.conn.Color},
		{"gauge name", h.k.gauges.Objects[0].(*gauge).name.Color},
	} {
		if got := contrast(txt.c, bg); got < 7 {
			t.Errorf("%s after switching to dark: contrast %.2f on the dark background, want at least 7", txt.name, got)
		}
	}
}
