package kiosksync

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"usher/checkin"
	"usher/internal/gzpool"
	"usher/sync/wire"
)

// maxResponse bounds a response body, decompressed: a pull page of 5,000
// people is a few MB.
const maxResponse = 64 << 20

// client talks to one central server.
type client struct {
	http  *http.Client
	base  string // the server's URL without a trailing slash
	token string // bearer token; "" for enrollment
}

func (c *client) enroll(ctx context.Context, req wire.EnrollRequest) (wire.EnrollResponse, error) {
	var resp wire.EnrollResponse
	err := c.do(ctx, http.MethodPost, wire.PathEnroll, req, &resp)
	return resp, err
}

func (c *client) push(ctx context.Context, events []wire.Event) (wire.PushResponse, error) {
	var resp wire.PushResponse
	err := c.do(ctx, http.MethodPost, wire.PathPush, wire.PushRequest{Events: events}, &resp)
	return resp, err
}

func (c *client) rights(ctx context.Context, req wire.RightsRequest) (wire.RightsResponse, error) {
	var resp wire.RightsResponse
	err := c.do(ctx, http.MethodPost, wire.PathRights, req, &resp)
	return resp, err
}

func (c *client) reprint(ctx context.Context, person string) (wire.ReprintResponse, error) {
	var resp wire.ReprintResponse
	err := c.do(ctx, http.MethodPost, wire.PathReprint, wire.ReprintRequest{Person: person}, &resp)
	return resp, err
}

// wait waits at the center for news for this kiosk, at most d.
func (c *client) wait(ctx context.Context, d time.Duration) (bool, error) {
	var resp wire.WaitResponse
	q := url.Values{"timeout": {strconv.FormatInt(d.Milliseconds(), 10)}}
	err := c.do(ctx, http.MethodGet, wire.PathWait+"?"+q.Encode(), nil, &resp)
	return resp.Woken, err
}

// pull asks for a page of changes after cursor, and tells the center
// how many scans are waiting here (not pushed yet), for its dashboard.
func (c *client) pull(ctx context.Context, cursor int64, limit, waiting int) (wire.PullResponse, error) {
	var resp wire.PullResponse
	q := url.Values{"cursor": {strconv.FormatInt(cursor, 10)}, "limit": {strconv.Itoa(limit)}, "waiting": {strconv.Itoa(waiting)}}
	err := c.do(ctx, http.MethodGet, wire.PathPull+"?"+q.Encode(), nil, &resp)
	return resp, err
}

// do sends body (nil for none) as gzip-compressed JSON and decodes the
// answer into out. The transport asks for and undoes gzip on responses.
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		var b bytes.Buffer
		// The fastest level: a push of a day offline is 100,000 events,
		// which it encodes and compresses in 60 % of the default level's time,
		// to 18 % more bytes (2.1 MB rather than 1.8 MB).
		zw := gzpool.Get(&b, gzip.BestSpeed)
		err := json.NewEncoder(zw).Encode(body)
		if err == nil {
			err = zw.Close()
		}
		zw.Release()
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = &b
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return checkin.Errorf(checkin.EINVALID, "server URL %q: %v", c.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", "gzip")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &checkin.Error{Code: checkin.EOFFLINE, Message: fmt.Sprintf("cannot reach %s: %v", c.base, unwrapURL(err))}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return &checkin.Error{Code: checkin.EOFFLINE, Message: fmt.Sprintf("%s%s: reading the answer: %v", c.base, path, err)}
	case len(data) > maxResponse:
		return checkin.Errorf(checkin.EINVALID, "%s%s: the answer is over %d bytes", c.base, path, maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return statusError(resp.StatusCode, data, c.base+path)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return checkin.Errorf(checkin.EINVALID, "%s%s: the server's answer is not what this kiosk understands: %v", c.base, path, err)
	}
	return nil
}

// statusError turns an error response into an error with a code: the
// server's message when it sent a wire.Error. EUNAUTHORIZED when the
// server refused the kiosk's token (401, with the center's error code
// "unauthorized" in its body): the kiosk was revoked, or an enrollment
// code was used already. EOFFLINE when the server failed on its side
// (5xx, or it is too busy): scanning goes on, the next round retries.
// EINVALID when it refused a request as bad.
func statusError(status int, body []byte, where string) error {
	var e wire.Error
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		msg = e.Message
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	code := checkin.EINVALID
	switch {
	case status == http.StatusUnauthorized && e.Code == checkin.EUNAUTHORIZED:
		code = checkin.EUNAUTHORIZED
	case status == http.StatusUnauthorized:
		// Not the center's refusal (its body names the code): a proxy or
		// a captive portal on the way. Taking it for a revocation would
		// stop the door admitting; the center was just not reached.
		code = checkin.EOFFLINE
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		code = checkin.EOFFLINE
	}
	return &checkin.Error{Code: code, Message: fmt.Sprintf("%s: %d %s: %s", where, status, http.StatusText(status), msg)}
}

// unwrapURL drops the method and URL a *url.Error repeats.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
