package badge_test

import (
	"testing"
	"time"

	"usher/badge"
	"usher/checkin"
	"usher/demo"
)

// noExpiryCode is goodPayload with no end to its validity, signed with
// payloadKey(1). Its validity is written as the longest span a version 1
// payload holds (2^40 s, past the year 36000), so kiosks that know no
// "no end" read it as valid all the same.
const noExpiryCode = "USH1:AFFA4YBEARSGK3LPA5IDAMBQGA2DEB3TOBSWC23FOIBQCCTXN5ZGW43IN5YC2YMA6DU2CDMAQCAIBABATQ4KA4FGREGALTLITPQ5P2VW5BVUDDNQJNC5RFPIIJGZPNVSS6NMVZOEH6KHHYJB66VIEPHGVR4VSMKUEJVPCHGRD7W5BIMDFM2YSCY"

// TestNoExpiry signs a badge whose validity has no end (Until zero), for
// an event without dates: it verifies from its start on, however late,
// reads back with no end, and is the code a version 1 payload gives the
// longest span.
func TestNoExpiry(t *testing.T) {
	p := goodPayload()
	p.Until = time.Time{}
	code := MustSign(t, p, payloadKey(1))
	if code != noExpiryCode {
		t.Errorf("code %s, want %s", code, noExpiryCode)
	}
	back, _, _, err := badge.Parse(code)
	if err != nil || !back.Until.IsZero() || !back.From.Equal(p.From) {
		t.Errorf("Parse: validity %v – %v, %v; want from %v with no end", back.From, back.Until, err, p.From)
	}
	for _, at := range []time.Time{p.From, p.From.AddDate(1, 0, 0), p.From.AddDate(1000, 0, 0)} {
		if _, err := badge.Verify(code, payloadEvent, payloadKeys(), at); err != nil {
			t.Errorf("Verify at %v: %v", at, err)
		}
	}
	if _, err := badge.Verify(code, payloadEvent, payloadKeys(), p.From.Add(-time.Second)); reasonOf(t, err) != checkin.NotYetValid {
		t.Errorf("Verify before its start: %v, want %s", err, checkin.NotYetValid)
	}

	// badge.Code, as badges are printed.
	ev := demo.Event()
	person := checkin.Person{ID: "P000042", Category: "speaker", Serial: 3}
	printed, err := badge.Code(ev, person, payloadKey(1), payloadFrom, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if pl, _, _, err := badge.Parse(printed); err != nil || !pl.Until.IsZero() {
		t.Errorf("badge.Code with no end: %+v, %v", pl, err)
	}

	// An end given is kept below that longest span, which now means no end.
	p.Until = time.Unix(p.From.Unix()+1<<40, 0)
	if code, err := badge.Sign(p, payloadKey(1)); err == nil {
		t.Errorf("Sign with a span of 2^40 s = %s, want an error: it would read back with no end", code)
	}
}
