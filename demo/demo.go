// Package demo makes the built-in demo event and rosters of any size
// with realistic names, categories and codes, for `make run`, tests and
// benchmarks. The same size always gives the same roster.
package demo

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"usher/assets"
	"usher/badge"
	"usher/checkin"
	"usher/eventfile"
	"usher/roster"
)

// Event returns the demo event, validated.
func Event() *checkin.Event {
	ev, err := eventfile.Parse("demo/event.toml", assets.DemoEvent)
	if err != nil {
		panic("demo event: " + err.Error()) // the embedded file is tested
	}
	return ev
}

var (
	first = []string{"Ada", "Grace", "Alan", "Barbara", "Dennis", "Edsger", "Frances", "Guido", "Hedy", "Ivan",
		"Joan", "Ken", "Linus", "Margaret", "Niklaus", "Ole", "Radia", "Rob", "Sophie", "Tim", "Katherine",
		"Donald", "Shafi", "John", "Leslie", "Annie", "Yukihiro", "Mary", "Fernando", "Anita"}
	last = []string{"Lovelace", "Hopper", "Turing", "Liskov", "Ritchie", "Dijkstra", "Allen", "van Rossum",
		"Lamarr", "Sutherland", "Clarke", "Thompson", "Torvalds", "Hamilton", "Wirth", "Dahl", "Perlman", "Pike",
		"Wilson", "Berners-Lee", "Johnson", "Knuth", "Goldwasser", "McCarthy", "Lamport", "Easley", "Matsumoto",
		"Keller", "Corbató", "Borg"}
	companies = []string{"Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises",
		"Tyrell", "Cyberdyne", "Soylent", ""}
)

// mix is the share of each category in a demo roster, in thousandths:
// mostly attendees, with every other category present.
var mix = []struct {
	category string
	permille int
}{
	{"attendee", 760}, {"speaker", 40}, {"sponsor", 30}, {"sponsor-comp", 80}, {"exhibitor", 30},
	{"press", 10}, {"volunteer", 30}, {"staff", 20},
}

// codeAlphabet avoids letters a person misreads when typing a code by hand.
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Roster returns n demo people. Ids are P000001…; codes are 12 random
// characters after "U-", unique within the roster.
func Roster(n int) []checkin.Person {
	rng := rand.New(rand.NewPCG(uint64(n), 2026))
	people := make([]checkin.Person, n)
	seen := make(map[string]bool, n)
	for i := range people {
		p := &people[i]
		p.ID = fmt.Sprintf("P%06d", i+1)
		p.Name = first[rng.IntN(len(first))] + " " + last[rng.IntN(len(last))]
		p.Company = companies[rng.IntN(len(companies))]
		k := rng.IntN(1000)
		for _, m := range mix {
			if k < m.permille {
				p.Category = m.category
				break
			}
			k -= m.permille
		}
		if p.Category == "speaker" || rng.IntN(40) == 0 {
			p.Tags = []string{"workshop-a"}
		}
		p.Email = fmt.Sprintf("p%06d@example.org", i+1)
		for p.Code == "" || seen[p.Code] {
			b := []byte("U-............")
			for j := 2; j < len(b); j++ {
				b[j] = codeAlphabet[rng.IntN(len(codeAlphabet))]
			}
			p.Code = string(b)
		}
		seen[p.Code] = true
	}
	return people
}

// Write writes the demo event and an n-person roster to dir as
// event.toml and roster.csv, and a badge signing key as
// keys/signing.key, whose [[key]] block ends event.toml.
func Write(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	key, _, err := badge.NewKey(filepath.Join(dir, "keys"))
	if err != nil {
		return err
	}
	event := append(bytes.Clone(assets.DemoEvent), "\n# The key that signs the demo's badges (usher-central keys).\n"+badge.KeyBlock(key)...)
	// Both files are for their owner only: the event file holds the staff
	// PIN, the roster every attendee's email.
	if err := os.WriteFile(filepath.Join(dir, "event.toml"), event, 0o600); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := roster.Write(&b, Roster(n)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "roster.csv"), b.Bytes(), 0o600)
}

// Load reads back the event and the signing key Write wrote to dir.
func Load(dir string) (*checkin.Event, ed25519.PrivateKey, error) {
	ev, err := eventfile.Load(filepath.Join(dir, "event.toml"))
	if err != nil {
		return nil, nil, err
	}
	key, err := badge.LoadKey(filepath.Join(dir, "keys", "signing.key"))
	if err != nil {
		return nil, nil, err
	}
	return ev, key, nil
}
