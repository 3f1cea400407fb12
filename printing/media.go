package printing

import (
	"strings"

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

// medias are the media in the order messages list them, with the names
// ParseMedia accepts for each and the badge layout that fits it.
var medias = []struct {
	media  Media
	names  []string
	layout string
}{
	{Label62x100, []string{"label", "62x100", "62x100mm"}, "label-62x100"},
	{A6, []string{"a6"}, "a6"},
}

// ParseMedia returns the media named s, in any case: "label", "62x100" or
// "62x100mm" for Label62x100, "a6" for A6. Any other name is a
// *checkin.Error (EINVALID) listing the accepted ones.
func ParseMedia(s string) (Media, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	var all []string
	for _, m := range medias {
		for _, n := range m.names {
			if n == name {
				return m.media, nil
			}
			all = append(all, n)
		}
	}
	return "", checkin.Errorf(checkin.EINVALID, "unknown badge media %q (media: %s)", s, strings.Join(all, ", "))
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
