package printing

import (
	"usher/checkin"
)

// Media is the size a badge is printed on, as CUPS's media option names it.
type Media string

// The media a kiosk prints badges on.
const (
	// Label62x100 is 62 mm continuous tape (Brother QL and compatible) cut
	// at 100 mm: a custom size, which CUPS names by its dimensions.
	Label62x100 Media = "Custom.62x100mm"
	// A6 is a 105 × 148 mm card or sheet.
	A6 Media = "A6"
)

// medias are the media by the names staff and event files use for them
// (checkin.ParseMedia), with the badge layout that fits each.
var medias = []struct {
	name   string
	media  Media
	layout string
}{
	{checkin.MediaLabel, Label62x100, "label-62x100"},
	{checkin.MediaA6, A6, "a6"},
}

// ParseMedia returns the media named s as checkin.ParseMedia reads it
// ("label", "62x100", "62x100mm", "a6", in any case). Any other name is
// a *checkin.Error (EINVALID) listing the accepted ones.
func ParseMedia(s string) (Media, error) {
	name, err := checkin.ParseMedia(s)
	if err != nil {
		return "", err
	}
	for _, m := range medias {
		if m.name == name {
			return m.media, nil
		}
	}
	return "", checkin.Errorf(checkin.EINVALID, "no CUPS media for %q", name)
}

// Layout returns the name of the badge layout (badge.FindLayout) whose page
// is m, or "" for media this package does not know.
func (m Media) Layout() string {
	for _, x := range medias {
		if x.media == m {
			return x.layout
		}
	}
	return ""
}
