package pretixtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"usher/assets"
)

// demoAttendeeAliases is the attendee category's aliases line in the
// demo event file.
const demoAttendeeAliases = `aliases = ["General Admission", "Early Bird"]`

// EventFile writes the demo event with names for this server's products:
// the ticket's two variations are attendees (as pretix writes a
// variation, "Name – Variation", with an en dash), and the workshop
// "Werkstatt" is a category of its own, workshop-guest. With named false
// the category is there but the products' names are not: an event file
// gone stale. It returns the file's path.
func EventFile(tb testing.TB, named bool) string {
	tb.Helper()
	text := string(assets.DemoEvent)
	if !strings.Contains(text, demoAttendeeAliases) {
		tb.Fatalf("the demo event has no line %s", demoAttendeeAliases)
	}
	aliases := ""
	if named {
		text = strings.Replace(text, demoAttendeeAliases,
			`aliases = ["General Admission", "Early Bird", "Conference ticket – Regular", "Conference ticket – Student"]`, 1)
		aliases = `aliases = ["Werkstatt"]`
	}
	text += `
[[category]]
id = "workshop-guest"
name = "Workshop guest"
may_enter = ["venue", "workshop-a"]
` + aliases + "\n"
	path := filepath.Join(tb.TempDir(), "event.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}
