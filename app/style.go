package app

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"

	"usher/checkin"
)

// tone is what the result panel shows: a colour, an icon and a word, so
// that the message never rests on colour alone.
type tone struct {
	word string
	bg   color.NRGBA
	fg   color.NRGBA
	icon fyne.Resource
}

// Panel colours. They are the same in the light and the dark theme, and
// each keeps a contrast of at least 4.5:1 with its text (tested).
var (
	white = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	ink   = color.NRGBA{0x11, 0x11, 0x11, 0xff}

	toneReady = tone{"READY", color.NRGBA{0x37, 0x47, 0x4f, 0xff}, white, icon("ready", "#ffffff",
		`M22 36 V22 H36 M64 22 H78 V36 M78 64 V78 H64 M36 78 H22 V64 M34 50 H66`)}
	toneAdmit = tone{"ADMIT", color.NRGBA{0x1e, 0x6b, 0x34, 0xff}, white, icon("admit", "#ffffff",
		`M20 52 L40 72 L80 28`)}
	toneDeny = tone{"DENY", color.NRGBA{0xb3, 0x26, 0x1e, 0xff}, white, icon("deny", "#ffffff",
		`M28 28 L72 72 M72 28 L28 72`)}
	toneExit = tone{"EXIT", color.NRGBA{0x1f, 0x4f, 0xa3, 0xff}, white, icon("exit", "#ffffff",
		`M46 20 H22 V80 H46 M38 50 H82 M66 34 L82 50 L66 66`)}
	// toneAlarm stands while scans cannot be recorded: red like a deny,
	// since nobody may be admitted, with the warning sign.
	toneAlarm = tone{"ALARM", toneDeny.bg, white, icon("alarm", "#ffffff",
		`M50 14 L90 84 H10 Z M50 40 V60 M50 72 V73`)}
	toneWarn = tone{"WARN", color.NRGBA{0xf2, 0xb7, 0x05, 0xff}, ink, icon("warn", "#111111",
		`M50 14 L90 84 H10 Z M50 40 V60 M50 72 V73`)}
	// toneRevoked stands at a kiosk the center revoked: nobody may be
	// admitted there until it is enrolled again.
	toneRevoked = toneAlarm.withWord("REVOKED")

	// A capacity denial is still a DENY in colour and icon, but its word
	// tells staff what to do: at ROOM FULL or VENUE FULL nobody gets in
	// until someone leaves; at DOOR FULL only this door has used up its
	// share, and the reason line says how many places other doors have.
	toneRoomFull  = toneDeny.withWord("ROOM FULL")
	toneVenueFull = toneDeny.withWord("VENUE FULL")
	toneDoorFull  = toneDeny.withWord("DOOR FULL")
	// toneNearlyFull is the ready screen's from checkin.NearlyFull of the
	// door's space (fullness.go).
	toneNearlyFull = toneWarn.withWord("NEARLY FULL")
	// A badge printed at the door (print.go): green when it went to the
	// printer, amber when it did not, grey while it goes.
	tonePrinted    = toneAdmit.withWord("PRINTED")
	toneNotPrinted = toneWarn.withWord("NOT PRINTED")
	tonePrinting   = toneReady.withWord("PRINTING")
	toneDesk       = toneReady.withWord("PRINT")
)

// withWord returns t showing word instead of its own.
func (t tone) withWord(word string) tone {
	t.word = word
	return t
}

// icon makes a stroked SVG icon in the given colour.
func icon(name, stroke, path string) fyne.Resource {
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">`+
		`<path d="%s" fill="none" stroke="%s" stroke-width="9" stroke-linecap="round" stroke-linejoin="round"/></svg>`,
		path, stroke)
	return fyne.NewStaticResource(name+".svg", []byte(svg))
}

// toneOf picks the panel for a decision. A deny of someone at the door is
// DENY, or for capacity the word that says whether the room, the venue
// or only this door is full; a staff action that did nothing, an exit
// Usher could not count, or a re-scan of someone already inside that
// opens the door without counting them again, is WARN, since nobody was
// turned away.
func toneOf(d checkin.Decision) tone {
	switch d.Reason {
	case checkin.NotInside, checkin.Undone, checkin.NothingToUndo, checkin.NothingToRemove, checkin.AlreadyInsideAgain:
		return toneWarn
	}
	switch d.Kind {
	case checkin.Admit:
		return toneAdmit
	case checkin.Leave:
		return toneExit
	case checkin.Deny:
		switch d.Reason {
		case checkin.RoomFull:
			return toneRoomFull
		case checkin.VenueFull:
			return toneVenueFull
		case checkin.OutOfCapacity:
			return toneDoorFull
		}
		return toneDeny
	}
	return toneWarn
}

// gauge colours: the bar turns amber near the cap and red at it. Each
// keeps 3:1 against both themes' backgrounds (tested).
var (
	gaugeOK    = color.NRGBA{0x2e, 0x7d, 0x32, 0xff}
	gaugeNear  = color.NRGBA{0xc7, 0x78, 0x00, 0xff}
	gaugeFull  = color.NRGBA{0xc6, 0x28, 0x28, 0xff}
	gaugeTrack = color.NRGBA{0x80, 0x80, 0x80, 0x40}
)

// fill is how full a space is: below checkin.NearlyFull of its
// capacity, from it, or at (or past) the cap.
type fill int

const (
	fillRoom fill = iota
	fillNear
	fillFull
)

func fillOf(n, capacity int) fill {
	switch {
	case n >= capacity:
		return fillFull
	case float64(n) >= checkin.NearlyFull*float64(capacity):
		return fillNear
	}
	return fillRoom
}

func gaugeColor(n, capacity int) color.NRGBA {
	return [...]color.NRGBA{fillRoom: gaugeOK, fillNear: gaugeNear, fillFull: gaugeFull}[fillOf(n, capacity)]
}

// direction badge colours.
var (
	dirEntry = color.NRGBA{0x1e, 0x6b, 0x34, 0xff}
	dirExit  = color.NRGBA{0x1f, 0x4f, 0xa3, 0xff}
	dirPrint = color.NRGBA{0x5e, 0x35, 0xb1, 0xff} // a badge desk (PRINT)
)
