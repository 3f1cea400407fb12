package server

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"usher/checkin"
	"usher/sync/wire"
)

// Body limits, each sized to what its request carries, so that nobody,
// signed in or not, makes the server hold more than that. Each bounds
// the bytes sent and, for a gzip body, the bytes they inflate to.
const (
	// MaxEnrollBody: a 43-character token and a kiosk's host name (at
	// most 255 bytes, each escaped in six at worst).
	MaxEnrollBody = 4 << 10
	// MaxRightsBody: 256 holdings of a 64-byte counter and two numbers.
	MaxRightsBody = 256 << 10
	// MaxPushBody: wire.MaxPushEvents events.
	MaxPushBody = wire.MaxBody
	// MaxEventBody bounds one event of a push: its bounded fields (a
	// 1,000-byte note, a 512-byte code, 16 rights changes) escaped at
	// worst take about 20 KB. A push is read one event at a time, so
	// this, not MaxPushBody, bounds what the decoder holds at once;
	// beside it are the events decoded so far.
	MaxEventBody = 64 << 10
)

// tooLarge is a body, or a step of reading a push, over its limit: 413.
type tooLarge struct{ msg string }

func (e *tooLarge) Error() string { return e.msg }

// overLimit says that a body passed limit; how is "" or " once inflated".
func overLimit(limit int64, how string) *tooLarge {
	return &tooLarge{fmt.Sprintf("body over the limit of %d bytes%s", limit, how)}
}

// limitReader fails with a *tooLarge as soon as more than limit bytes
// are read. A push is read a step at a time, an event or a token, and a
// step may read at most MaxEventBody more: besides an event too large,
// that stops a run of white space, which encoding/json's Token and More
// keep in their buffer and scan again at each read.
type limitReader struct {
	r     io.Reader
	n     int64 // bytes read
	limit int64
	over  *tooLarge // what passing limit answers
	steps bool      // read by steps
	event int       // the event being read, -1 for the JSON around them
	mark  int64     // n when the step began
}

func (l *limitReader) Read(p []byte) (int, error) {
	stop := l.limit
	if l.steps {
		stop = min(stop, l.mark+MaxEventBody)
	}
	// One byte past the limit tells a body that is exactly at it from
	// one that goes on.
	if left := stop - l.n; int64(len(p)) > left+1 {
		p = p[:left+1]
	}
	k, err := l.r.Read(p)
	l.n += int64(k)
	switch {
	case l.n > l.limit:
		return k, l.over
	case l.n <= stop:
		return k, err
	case l.event >= 0:
		return k, &tooLarge{fmt.Sprintf("body: events[%d] over the limit of %d bytes for one event", l.event, MaxEventBody)}
	default:
		return k, &tooLarge{fmt.Sprintf("body: more than %d bytes between two of its values", MaxEventBody)}
	}
}

// step begins a step of reading: event i, or -1 for the JSON around the
// events. The decoder may hold some of it read ahead already: those bytes
// are free, so a step may take somewhat more than MaxEventBody in all.
func (l *limitReader) step(i int) { l.steps, l.event, l.mark = true, i, l.n }

// refuse is the answer to err, met reading a body: 413 if the body is
// over its limit, whatever else is wrong with it (the rest is read, up
// to the limit, to know), else 400.
func (l *limitReader) refuse(err error) error {
	var tl *tooLarge
	if !errors.As(err, &tl) {
		l.steps = false
		if _, derr := io.Copy(io.Discard, l); errors.As(derr, &tl) || errors.As(derr, new(*http.MaxBytesError)) {
			err = derr
		}
	}
	return bodyError(err)
}

// body opens r's body, gzip-compressed or not, limited to limit bytes
// both as sent and as inflated. release frees it.
func body(w http.ResponseWriter, r *http.Request, limit int64) (rd *limitReader, release func(), err error) {
	if r.ContentLength > limit {
		return nil, nil, overLimit(limit, "")
	}
	sent := http.MaxBytesReader(w, r.Body, limit)
	if r.Header.Get("Content-Encoding") != "gzip" {
		return &limitReader{r: sent, limit: limit, over: overLimit(limit, ""), event: -1}, func() {}, nil
	}
	zr, err := gzip.NewReader(sent)
	if err != nil {
		return nil, nil, (&limitReader{r: sent, limit: limit, over: overLimit(limit, ""), event: -1}).refuse(err)
	}
	return &limitReader{r: zr, limit: limit, over: overLimit(limit, " once inflated"), event: -1}, func() { zr.Close() }, nil
}

// bodyError is err, met reading a body, as the error to answer.
func bodyError(err error) error {
	var (
		tl *tooLarge
		mb *http.MaxBytesError
		ce *checkin.Error
	)
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &tl):
		return tl
	case errors.As(err, &mb):
		return overLimit(mb.Limit, "")
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum):
		return checkin.Errorf(checkin.EINVALID, "body: not gzip: %v", err)
	}
	return checkin.Errorf(checkin.EINVALID, "body: %v", err)
}

// decode reads a JSON body of at most limit bytes into v, straight from
// the wire, refusing unknown fields and anything after the value.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	rd, release, err := body(w, r, limit)
	if err != nil {
		return err
	}
	defer release()
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return rd.refuse(err)
	}
	if err := end(dec); err != nil {
		return rd.refuse(err)
	}
	return nil
}

// end checks that nothing but white space follows the body's value.
func end(dec *json.Decoder) error {
	switch _, err := dec.Token(); {
	case err == io.EOF:
		return nil
	case err == nil:
		return checkin.Errorf(checkin.EINVALID, "body: more than one JSON value")
	default:
		return err
	}
}

// decodePush reads a push event by event, so that the decoder holds one
// event at a time, never the whole body: a gigabyte that inflates from a
// few kilobytes is refused after MaxEventBody of it. It stops at the
// event past wire.MaxPushEvents. It reads the fields of wire.PushRequest
// by name, as encoding/json does (case-insensitively), and refuses
// others.
func decodePush(w http.ResponseWriter, r *http.Request) (wire.PushRequest, error) {
	rd, release, err := body(w, r, MaxPushBody)
	if err != nil {
		return wire.PushRequest{}, err
	}
	defer release()
	req, err := readPush(json.NewDecoder(rd), rd)
	if err != nil {
		return req, rd.refuse(err)
	}
	return req, nil
}

// readPush reads the push object from dec, a step at a time (see
// limitReader).
func readPush(dec *json.Decoder, rd *limitReader) (wire.PushRequest, error) {
	var req wire.PushRequest
	dec.DisallowUnknownFields()
	rd.step(-1)
	if err := delim(dec, '{', "a JSON object"); err != nil {
		return req, err
	}
	for rd.step(-1); dec.More(); rd.step(-1) {
		tok, err := dec.Token()
		if err != nil {
			return req, err
		}
		if key, _ := tok.(string); !strings.EqualFold(key, "events") {
			return req, checkin.Errorf(checkin.EINVALID, "body: json: unknown field %q", key)
		}
		if req.Events, err = readEvents(dec, rd); err != nil {
			return req, err
		}
	}
	if err := delim(dec, '}', "the end of the object"); err != nil {
		return req, err
	}
	rd.step(-1)
	return req, end(dec)
}

// readEvents reads the value of "events": null or an array.
func readEvents(dec *json.Decoder, rd *limitReader) ([]wire.Event, error) {
	tok, err := dec.Token()
	switch {
	case err != nil:
		return nil, err
	case tok == nil:
		return nil, nil
	case tok != json.Delim('['):
		return nil, checkin.Errorf(checkin.EINVALID, "body: events is %v, not an array", tok)
	}
	var events []wire.Event
	for rd.step(len(events)); dec.More(); rd.step(len(events)) {
		if len(events) == wire.MaxPushEvents {
			return nil, checkin.Errorf(checkin.EINVALID, "more than %d events in one push", wire.MaxPushEvents)
		}
		var e wire.Event
		if err := dec.Decode(&e); err != nil {
			var tl *tooLarge
			if errors.As(err, &tl) {
				return nil, err
			}
			return nil, fmt.Errorf("events[%d]: %w", len(events), err)
		}
		events = append(events, e)
	}
	rd.step(-1)
	if _, err := dec.Token(); err != nil { // the ']'
		return nil, err
	}
	return events, nil
}

// delim reads the delimiter d, which the body must have next.
func delim(dec *json.Decoder, d json.Delim, want string) error {
	tok, err := dec.Token()
	switch {
	case err != nil:
		return err
	case tok != d:
		return checkin.Errorf(checkin.EINVALID, "body: %v where %s was expected", tok, want)
	}
	return nil
}
