// Package pretix reads an event's attendees from pretix's REST API
// (https://docs.pretix.eu/en/latest/api/) and returns them as the rows
// of a pretix export: the headings of pretix's own CSV exports, one row
// per ticket. The roster reader maps them with the same column table it
// uses for those files, so a roster read over the API and one exported
// by hand give the same people.
//
// A read fetches the event's products, the check-in list when one is
// chosen, and the orders, all pages of each. Given the time a previous
// read returned, it fetches only the orders changed since.
package pretix

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"usher/checkin"
)

// Config says where and how to read.
type Config struct {
	// URL is the event's API root:
	// https://HOST/api/v1/organizers/ORGANIZER/events/EVENT/ (the last
	// slash optional). See ParseURL.
	URL string
	// Token is a team API token with permission to view the event's
	// orders and products. It goes in the Authorization header of every
	// request, to URL's host only, and never into an error message.
	Token string
	// CheckinList, when not 0, is the id of a check-in list: only the
	// admission products on it are read. 0 reads every admission product.
	CheckinList int
	// HTTP is the client requests go through; nil for one with a timeout
	// of a minute per request.
	HTTP *http.Client
	// MaxWait is the longest time a read spends in all waiting on pretix's
	// rate limit (429 with Retry-After) before it gives up; 0 for two
	// minutes.
	MaxWait time.Duration
}

// Export is what one read returned.
type Export struct {
	Header []string   // pretix's column headings (see Read)
	Rows   [][]string // one per position, each as long as Header
	Orders int        // orders read
	// Skipped counts the positions left out: those of products that grant
	// no admission, or that are not on the check-in list.
	Skipped int
	// Left names the positions left out, as "ORDER-POSITION" (the id a
	// roster gives the person of a position).
	Left []string
	// Since is the time to pass to the next Read to get only what changed
	// after this one: the server's time when the read began (its
	// X-Page-Generated header, which pretix's documentation says to pass
	// as modified_since). From a server that does not send it, the latest
	// last_modified among the orders read; the since passed in when
	// neither is there.
	Since time.Time
}

// sinceLayout is how a time goes into modified_since: ISO 8601 with
// microseconds, pretix's own precision. A finer time is cut down, which
// can only bring back an order more, never miss one.
const sinceLayout = "2006-01-02T15:04:05.999999Z07:00"

// Read reads the event's order positions: all of them when since is
// zero, else those of the orders modified at or after since. Each row
// holds, under pretix's headings: Order code; Position ID (the number
// within the order); Attendee name and its Title, Given name and Family
// name parts, the parent position's for an add-on without an attendee
// of its own; Product, "Name – Variation" for a variation; Status
// (paid, pending, expired, canceled, or canceled for a position
// cancelled on its own); Secret; E-mail (the attendee's, the parent's,
// else the order's); Company (the attendee's, else the parent's); Add-on
// to (the parent's position ID).
//
// Only positions of admission products count, and with
// Config.CheckinList only those on that list; the rest are counted in
// Skipped. Orders placed in pretix's test mode are left out: pretix can
// delete them, and a read of changes would never learn of it (orders.rst,
// modified_since). An order read twice (an order added during the read
// shifts the pages after it) counts once, as its later copy.
//
// Errors carry a code (checkin.ErrorCode): EINVALID for a bad URL or an
// answer pretix does not document, ENOTFOUND for an unknown check-in
// list, EUNAUTHORIZED when pretix refused the token, EOFFLINE when it
// could not be reached, failed, or limited the rate past MaxWait. A
// cancelled ctx returns ctx.Err().
func Read(ctx context.Context, cfg Config, since time.Time) (*Export, error) {
	c, err := connect(cfg)
	if err != nil {
		return nil, err
	}
	items, _, err := readAll[item](ctx, c, c.at("items/", nil))
	if err != nil {
		return nil, err
	}
	var list *checkinList
	if cfg.CheckinList != 0 {
		if list, err = c.checkinList(ctx, cfg.CheckinList); err != nil {
			return nil, err
		}
	}
	all, h, err := readAll[order](ctx, c, c.at("orders/", ordersQuery(since)))
	if err != nil {
		return nil, err
	}
	orders := latest(all)
	rows, left, err := newCatalog(items, list).rows(orders)
	if err != nil {
		return nil, err
	}
	return &Export{
		Header:  slices.Clone(header),
		Rows:    rows,
		Orders:  len(orders),
		Skipped: len(left),
		Left:    left,
		Since:   nextSince(h.Get("X-Page-Generated"), orders, since),
	}, nil
}

// connect checks cfg's URL, token and check-in list, and returns the
// client a read goes through: cfg's HTTP client (or one with
// defaultTimeout) that follows no redirect, and cfg's MaxWait (or
// defaultMaxWait). It sends no request.
func connect(cfg Config) (*client, error) {
	root, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(cfg.Token)
	if token == "" {
		return nil, checkin.Errorf(checkin.EINVALID, "no pretix API token: create one for a team that may view the event's orders (pretix: Organizer, Teams)")
	}
	if cfg.CheckinList < 0 {
		return nil, checkin.Errorf(checkin.EINVALID, "check-in list %d: pretix's ids are positive", cfg.CheckinList)
	}
	c := &client{http: cfg.HTTP, root: root, token: token, maxWait: cfg.MaxWait}
	if c.http == nil {
		c.http = &http.Client{Timeout: defaultTimeout}
	}
	// A redirect is not followed: Go would send the token along to
	// another scheme or port of the same host name. pretix answers its
	// API without redirects; one is a misconfigured URL or proxy.
	noRedirect := *c.http
	noRedirect.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		return checkin.Errorf(checkin.EINVALID, "pretix redirected %s to %s://%s%s: give the URL it redirects to, if it is pretix's",
			via[0].URL.Path, req.URL.Scheme, req.URL.Host, req.URL.Path)
	}
	c.http = &noRedirect
	if c.maxWait == 0 {
		c.maxWait = defaultMaxWait
	}
	return c, nil
}

// ordersQuery is the query of a read's orders: all of them, or those
// modified since since when it is not zero, with their cancelled
// positions, none of pretix's test mode.
func ordersQuery(since time.Time) url.Values {
	q := url.Values{
		"include_canceled_positions": {"true"},
		"testmode":                   {"false"},
		// Orders by code: a unique key, so pages never shuffle orders
		// that tie. An order created or first modified during the read
		// shifts the later ones a place: one may then be read twice,
		// none is missed.
		"ordering": {"code"},
	}
	if !since.IsZero() {
		q.Set("modified_since", since.UTC().Format(sinceLayout))
	}
	return q
}

// checkinList reads check-in list id.
func (c *client) checkinList(ctx context.Context, id int) (*checkinList, error) {
	u := c.at("checkinlists/"+strconv.Itoa(id)+"/", nil)
	var list checkinList
	if _, err := c.get(ctx, u, &list); checkin.ErrorCode(err) == checkin.ENOTFOUND {
		return nil, checkin.Errorf(checkin.ENOTFOUND, "pretix has no check-in list %d in this event (HTTP 404 for %s): see the lists' ids under Check-in in pretix", id, u.Path)
	} else if err != nil {
		return nil, err
	}
	if list.ID != id {
		return nil, checkin.Errorf(checkin.EINVALID, "pretix answered check-in list %d for list %d (%s)", list.ID, id, u.Path)
	}
	return &list, nil
}

// latest keeps one copy of each order, the last read, where the first
// was.
func latest(all []order) []order {
	at := make(map[string]int, len(all))
	var orders []order
	for _, o := range all {
		if i, ok := at[o.Code]; ok {
			orders[i] = o
			continue
		}
		at[o.Code] = len(orders)
		orders = append(orders, o)
	}
	return orders
}

// nextSince is Export.Since: the server's time at the start of the read
// (X-Page-Generated of the first page), else the latest last_modified
// among orders, else since. Both sides of modified_since are server
// times, so this machine's clock never matters.
func nextSince(generated string, orders []order, since time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(generated)); err == nil {
		return t
	}
	next := since
	for _, o := range orders {
		if o.LastModified.After(next) {
			next = o.LastModified
		}
	}
	return next
}
