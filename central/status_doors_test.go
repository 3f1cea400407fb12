package central_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"usher/internal/reporttest"
)

// status shows each door's entries and exits (a Doors block), and
// --json holds them: the fixture's day with scans undone at once gives
// the day's figures (reporttest's doors.csv).
func TestStatusShowsDoors(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "central.db")
	MustFixtureSteps(t, dsn, reporttest.WithUndos())

	out := MustRunCentral(t, "status", "--db", dsn)
	_, block, ok := strings.Cut(out, "\nDoors\n")
	if !ok {
		t.Fatalf("status has no Doors block:\n%s", out)
	}
	block, _, _ = strings.Cut(block, "\n\n")
	space := regexp.MustCompile(`\s+`)
	var got []string
	for _, line := range strings.Split(block, "\n") {
		got = append(got, space.ReplaceAllString(strings.TrimSpace(line), " "))
	}
	if want := []string{"entries exits", "main 5 5", "salon 4 4"}; !slices.Equal(got, want) {
		t.Errorf("Doors block %q, want %q\n%s", got, want, out)
	}

	var st struct {
		Occupancy map[string]int `json:"occupancy"`
		Doors     []struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Entries int    `json:"entries"`
			Exits   int    `json:"exits"`
		} `json:"doors"`
	}
	if err := json.Unmarshal([]byte(MustRunCentral(t, "status", "--db", dsn, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Occupancy == nil {
		t.Errorf("status --json lost the occupancy")
	}
	if len(st.Doors) != 2 || st.Doors[0].ID != "main" || st.Doors[0].Entries != 5 || st.Doors[0].Exits != 5 ||
		st.Doors[1].ID != "salon" || st.Doors[1].Entries != 4 || st.Doors[1].Exits != 4 {
		t.Errorf("status --json doors %+v, want main 5/5 and salon 4/4", st.Doors)
	}
}
