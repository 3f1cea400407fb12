package checkin_test

import (
	"testing"

	"usher/checkin"
)

// TestPersonEqual: a roster row is unchanged only when every field but
// the id says the same, tags in the same order.
func TestPersonEqual(t *testing.T) {
	base := checkin.Person{ID: "P1", Name: "Ada", Company: "ACME", Email: "ada@example.com", Category: "attendee",
		Tags: []string{"vip", "press"}, Code: "C1", Serial: 2, Revoked: ""}
	for _, c := range []struct {
		name   string
		change func(p *checkin.Person)
		want   bool
	}{
		{"Same", func(p *checkin.Person) {}, true},
		{"OtherID", func(p *checkin.Person) { p.ID = "P2" }, true},
		{"Name", func(p *checkin.Person) { p.Name = "Ada L." }, false},
		{"Company", func(p *checkin.Person) { p.Company = "" }, false},
		{"Email", func(p *checkin.Person) { p.Email = "a@example.com" }, false},
		{"Category", func(p *checkin.Person) { p.Category = "speaker" }, false},
		{"Tags", func(p *checkin.Person) { p.Tags = []string{"vip"} }, false},
		{"TagOrder", func(p *checkin.Person) { p.Tags = []string{"press", "vip"} }, false},
		{"NoTags", func(p *checkin.Person) { p.Tags = nil }, false},
		{"Code", func(p *checkin.Person) { p.Code = "C2" }, false},
		{"Serial", func(p *checkin.Person) { p.Serial = 3 }, false},
		{"Revoked", func(p *checkin.Person) { p.Revoked = "refunded ticket" }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := base
			p.Tags = append([]string(nil), base.Tags...)
			c.change(&p)
			if got := base.Equal(p); got != c.want {
				t.Errorf("Equal = %v, want %v", got, c.want)
			}
			if got := p.Equal(base); got != c.want {
				t.Errorf("Equal, the other way = %v, want %v", got, c.want)
			}
		})
	}
	t.Run("NilAndEmptyTags", func(t *testing.T) {
		a, b := checkin.Person{Tags: nil}, checkin.Person{Tags: []string{}}
		if !a.Equal(b) {
			t.Error("no tags and an empty list differ, want them equal")
		}
	})
}
