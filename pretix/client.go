package pretix

import (
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
)

const (
	// maxPage bounds one answer's body. A page holds at most 50 orders
	// (fundamentals.rst, "Pagination"): a few MB even with long answers
	// to questions. Anything near the bound is not a page of orders.
	maxPage = 64 << 20
	// defaultTimeout bounds one request when Config.HTTP is nil: a busy
	// pretix takes seconds to build a page of 50 large orders.
	defaultTimeout = time.Minute
	// defaultMaxWait is Config.MaxWait's default. pretix.eu allows 360
	// requests a minute (doc/api/ratelimit.rst): a read that has waited
	// two minutes is competing with another client for the allowance.
	defaultMaxWait = 2 * time.Minute
	// defaultRetryAfter is waited on a 429 that does not say how long.
	// pretix always says; a proxy might not.
	defaultRetryAfter = 5 * time.Second
	// maxRetryAfter caps a Retry-After, in seconds, so a huge one cannot
	// overflow a Duration; twelve days is past any MaxWait anyway.
	maxRetryAfter = 1 << 20
	// bodyShown is how much of an error answer's body a message quotes.
	bodyShown = 200
)

// client reads one event's API with one token.
type client struct {
	http    *http.Client
	root    *url.URL // the event's API root, from ParseURL
	token   string
	maxWait time.Duration
	waited  time.Duration // on 429 answers so far, against maxWait
}

// at returns the URL of a resource below the event's root.
func (c *client) at(rel string, q url.Values) *url.URL {
	u := *c.root
	u.Path += rel
	u.RawQuery = q.Encode()
	return &u
}

// readAll reads a list from u and every page its next links lead to. It
// returns the results and the headers of the first page.
func readAll[T any](ctx context.Context, c *client, u *url.URL) ([]T, http.Header, error) {
	var all []T
	var first http.Header
	seen := map[string]bool{}
	for u != nil {
		if seen[u.String()] {
			return nil, nil, checkin.Errorf(checkin.EINVALID, "pretix's pages of %s link back to a page already read", u.Path)
		}
		seen[u.String()] = true
		var p page[T]
		h, err := c.get(ctx, u, &p)
		if err != nil {
			return nil, nil, err
		}
		if first == nil {
			first = h
		}
		if p.Results == nil {
			return nil, nil, checkin.Errorf(checkin.EINVALID, "pretix's answer for %s is not a list: it has no results", u.Path)
		}
		all = append(all, *p.Results...)
		if u, err = c.next(u, p.Next); err != nil {
			return nil, nil, err
		}
	}
	return all, first, nil
}

// next returns the page a next link leads to, nil at the last page. The
// token goes with every request, so a link to another host or scheme
// than the root's is refused rather than followed.
func (c *client) next(from *url.URL, link *string) (*url.URL, error) {
	if link == nil || *link == "" {
		return nil, nil
	}
	u, err := from.Parse(*link)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "pretix's link to the next page of %s is not a URL: %v", from.Path, unwrapURL(err))
	}
	if u.Scheme != c.root.Scheme || !strings.EqualFold(u.Host, c.root.Host) {
		return nil, checkin.Errorf(checkin.EINVALID,
			"pretix's link to the next page of %s leads to %s://%s, not to %s://%s, the only place the token is sent, so it was not followed "+
				"(behind a proxy, pretix must be told its public address: the Host and X-Forwarded-Proto headers)",
			from.Path, u.Scheme, u.Host, c.root.Scheme, c.root.Host)
	}
	return u, nil
}

// get fetches u and decodes its JSON into out, waiting as asked on 429
// answers. It returns the answer's headers.
func (c *client) get(ctx context.Context, u *url.URL, out any) (http.Header, error) {
	for {
		status, h, body, err := c.fetch(ctx, u)
		if err != nil {
			return nil, err
		}
		if status == http.StatusTooManyRequests {
			if err := c.backOff(ctx, u, h.Get("Retry-After")); err != nil {
				return nil, err
			}
			continue
		}
		if err := c.statusError(status, u, body); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(body, out); err != nil {
			return nil, checkin.Errorf(checkin.EINVALID, "pretix's answer for %s is not the JSON its API documents: %v", u.Path, err)
		}
		return h, nil
	}
}

// fetch sends one GET with the token and reads the answer.
func (c *client) fetch(ctx context.Context, u *url.URL) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, nil, nil, checkin.Errorf(checkin.EINVALID, "pretix request for %s: %v", u.Path, err)
	}
	req.Header.Set("Authorization", "Token "+c.token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, ctx.Err()
		}
		var refused *checkin.Error // a redirect CheckRedirect refused
		if errors.As(err, &refused) {
			return 0, nil, nil, refused
		}
		return 0, nil, nil, &checkin.Error{Code: checkin.EOFFLINE, Message: fmt.Sprintf("cannot reach pretix at %s: %v", c.root.Host, unwrapURL(err))}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return 0, nil, nil, ctx.Err()
	case err != nil:
		return 0, nil, nil, &checkin.Error{Code: checkin.EOFFLINE, Message: fmt.Sprintf("pretix's answer for %s broke off: %v", u.Path, err)}
	case len(body) > maxPage:
		return 0, nil, nil, checkin.Errorf(checkin.EINVALID, "pretix's answer for %s is over %d MiB, more than any page of the API holds; refused", u.Path, maxPage>>20)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// statusError returns nil for a 2xx status, else an error: EUNAUTHORIZED
// when pretix refused the token, ENOTFOUND for 404, EOFFLINE for a
// server-side failure, EINVALID otherwise. It quotes the start of the
// body, never the token.
func (c *client) statusError(status int, u *url.URL, body []byte) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		msg := fmt.Sprintf("pretix refused the API token (HTTP %d) for %s: check the token file or USHER_PRETIX_TOKEN", status, u.Path)
		if status == http.StatusForbidden {
			// pretix answers 403 as well for an organizer or event that
			// does not exist (orders.rst, "Status codes").
			msg += `, that the token's team may view this event's orders and products, and that the organizer and event in the URL exist`
		}
		return &checkin.Error{Code: checkin.EUNAUTHORIZED, Message: msg}
	}
	code := checkin.EINVALID
	switch {
	case status == http.StatusNotFound:
		code = checkin.ENOTFOUND
	case status >= 500:
		code = checkin.EOFFLINE
	}
	return &checkin.Error{Code: code, Message: fmt.Sprintf("pretix answered HTTP %d %s for %s: %s",
		status, http.StatusText(status), u.Path, c.quote(body))}
}

// quote returns the start of a body for a message: at most bodyShown
// bytes, on one line, valid UTF-8, and without the token should a
// server echo it.
func (c *client) quote(body []byte) string {
	cut := len(body) > bodyShown
	if cut {
		body = body[:bodyShown]
	}
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "")), " ")
	if c.token != "" {
		s = strings.ReplaceAll(s, c.token, "[token]")
	}
	if cut {
		s += "…"
	}
	return s
}

// backOff waits as a 429 answer's Retry-After asks, unless that would
// take the read past maxWait in all: then it returns EOFFLINE at once,
// since waiting would not help. A cancelled ctx ends the wait.
func (c *client) backOff(ctx context.Context, u *url.URL, retry string) error {
	d := retryAfter(retry, time.Now())
	if c.waited+d > c.maxWait {
		return &checkin.Error{Code: checkin.EOFFLINE, Message: fmt.Sprintf(
			"pretix is limiting the rate of requests (HTTP 429 for %s) and asks to wait %v more, past the %v this read may wait; try again later",
			u.Path, d, c.maxWait)}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	c.waited += d
	return nil
}

// retryAfter reads a Retry-After header: a number of seconds, or an HTTP
// date (RFC 9110, section 10.2.3), as of now. A date past is no wait; a
// missing or unreadable value is defaultRetryAfter.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		return time.Duration(min(s, maxRetryAfter)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter*time.Second)
	}
	return defaultRetryAfter
}

// unwrapURL drops the method and URL a *url.Error repeats.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
