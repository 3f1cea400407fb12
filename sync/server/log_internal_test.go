package server

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"usher/sync/wire"
)

// A push's answer is logged for the organizers: each event the center
// refused to believe at Warn, with the kiosk, its seq and why, and a
// forked kiosk log at Error.
func TestLogPush(t *testing.T) {
	var buf bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&buf, nil))}
	s.logPush("K-0123456789", wire.PushResponse{Through: 9, Forked: true, Refused: []wire.Refusal{
		{Seq: 7, Why: "a claim beyond the rights granted"}, {Seq: 9, Why: "another door's event"}}})
	for _, want := range []string{
		`level=WARN msg="claim refused" kiosk=K-0123456789 seq=7 why="a claim beyond the rights granted"`,
		`level=WARN msg="claim refused" kiosk=K-0123456789 seq=9 why="another door's event"`,
		`level=ERROR msg="kiosk log forked`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the log has no %s:\n%s", want, buf.String())
		}
	}
	buf.Reset()
	s.logPush("K-0123456789", wire.PushResponse{Accepted: 3, Through: 3})
	if buf.Len() != 0 {
		t.Errorf("a push with nothing refused logged:\n%s", buf.String())
	}
}
