package eventfile

import (
	"strings"

	"usher/checkin"
)

// kiosk reads the [kiosk] table's door settings:
//
//	sound = false        # no tones (default: on)
//	volume = 60          # percent, 1–100 (default 80)
//	printer = "Badges"   # CUPS queue (default: the machine's default printer)
//	media = "a6"         # "label" (62 × 100 mm, the default) or "a6"
func (f fields) kiosk(err error) (checkin.KioskSettings, error) {
	var k checkin.KioskSettings
	if err != nil {
		return k, err
	}
	if _, ok := f.m["sound"]; ok {
		var on bool
		on, err = f.boolean("sound", err)
		k.Mute = !on
	}
	k.Volume, err = f.integer("volume", err)
	if err == nil && (k.Volume < 0 || k.Volume > 100) {
		return k, f.r.errorf(f.section, f.i, "volume", "volume must be a percentage from 1 to 100, not %d (sound = false turns the tones off)", k.Volume)
	}
	if _, ok := f.m["volume"]; ok && err == nil && k.Volume == 0 {
		return k, f.r.errorf(f.section, f.i, "volume", "volume = 0 would be silent: write sound = false to turn the tones off")
	}
	k.Printer, err = f.str("printer", err)
	if err == nil && strings.ContainsFunc(k.Printer, func(r rune) bool { return r <= ' ' || r == '/' || r == '#' || r == 0x7f }) {
		return k, f.r.errorf(f.section, f.i, "printer", "printer %q is not a CUPS queue name (no spaces, tabs, / or #)", k.Printer)
	}
	var media string
	media, err = f.str("media", err)
	if err == nil && media != "" {
		m, perr := checkin.ParseMedia(media)
		if perr != nil {
			return k, f.r.errorf(f.section, f.i, "media", "%s", checkin.ErrorMessage(perr))
		}
		k.Media = m
	}
	return k, err
}
