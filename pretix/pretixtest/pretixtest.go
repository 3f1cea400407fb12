// Package pretixtest serves pretix's REST API for one event on
// loopback, in the JSON pretix's documentation shows (doc/api: items,
// check-in lists, orders), with its pagination, token authentication
// and rate limiting, for tests of code that reads pretix.
//
// The event has a fixed set of products and check-in lists (the
// constants below) and the orders a test adds. The server has a clock
// of its own: every change stamps an order's last_modified with it and
// then moves it on a second, so a list generated after a change is
// always later than it, as on a real server.
package pretixtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The event's address.
const (
	Organizer = "bigevents"
	Event     = "sampleconf"
	// PageSize is the results per page: small, so a few orders take
	// several pages (pretix's is 50).
	PageSize = 2
)

// The event's products and check-in lists, as items and checkinlists
// list them.
const (
	// ItemTicket, "Conference ticket" (also in German), admits and comes
	// in two variations.
	ItemTicket       = 1
	VariationRegular = 11 // "Regular"
	VariationStudent = 12 // "Student"
	// ItemWorkshop admits to a workshop, often as an add-on to a ticket.
	// Its name is in German and French only: "Werkstatt" and "Atelier".
	ItemWorkshop = 2
	// ItemTShirt, "T-shirt", is merchandise: no admission.
	ItemTShirt = 3

	ListMain     = 1 // "Main entrance": all products
	ListWorkshop = 2 // "Workshop room": ItemWorkshop only
	ListMonday   = 3 // "Monday": all products, of the series date SeriesMonday only

	SeriesMonday  = 101 // a date of an event series
	SeriesTuesday = 102
)

// items is the event's products, as pretix's items resource has them.
const items = `[
  {"id": 1, "name": {"de": "Konferenzticket", "en": "Conference ticket"}, "internal_name": "",
   "sales_channels": ["web"], "default_price": "230.00", "original_price": null, "category": null,
   "active": true, "description": null, "free_price": false, "tax_rate": "0.00", "tax_rule": null,
   "admission": true, "position": 0, "picture": null, "available_from": null, "available_until": null,
   "require_voucher": false, "hide_without_voucher": false, "allow_cancel": true,
   "min_per_order": null, "max_per_order": null, "checkin_attention": false, "has_variations": true,
   "generate_tickets": null, "require_approval": false,
   "variations": [
     {"id": 11, "value": {"de": "Regulär", "en": "Regular"}, "default_price": null, "price": "230.00",
      "active": true, "description": null, "position": 0},
     {"id": 12, "value": {"de": "Studierende", "en": "Student"}, "default_price": "90.00", "price": "90.00",
      "active": true, "description": null, "position": 1}
   ],
   "addons": [{"addon_category": 2, "min_count": 0, "max_count": 2, "position": 0, "price_included": false}]},
  {"id": 2, "name": {"fr": "Atelier", "de": "Werkstatt"}, "internal_name": "ws",
   "sales_channels": ["web"], "default_price": "40.00", "original_price": null, "category": 2,
   "active": true, "description": {"de": "Ein Nachmittag."}, "free_price": false, "tax_rate": "0.00",
   "tax_rule": null, "admission": true, "position": 1, "picture": null, "available_from": null,
   "available_until": null, "require_voucher": false, "hide_without_voucher": false, "allow_cancel": true,
   "min_per_order": null, "max_per_order": null, "checkin_attention": false, "has_variations": false,
   "generate_tickets": null, "require_approval": false, "variations": [], "addons": []},
  {"id": 3, "name": {"en": "T-shirt"}, "internal_name": "", "sales_channels": ["web"],
   "default_price": "20.00", "original_price": null, "category": 2, "active": true, "description": null,
   "free_price": false, "tax_rate": "19.00", "tax_rule": 1, "admission": false, "position": 2,
   "picture": null, "available_from": null, "available_until": null, "require_voucher": false,
   "hide_without_voucher": false, "allow_cancel": true, "min_per_order": null, "max_per_order": null,
   "checkin_attention": false, "has_variations": false, "generate_tickets": false,
   "require_approval": false, "variations": [], "addons": []}
]`

// checkinLists is the event's check-in lists, as pretix's checkinlists
// resource has them.
const checkinLists = `[
  {"id": 1, "name": "Main entrance", "checkin_count": 0, "position_count": 0, "all_products": true,
   "limit_products": [], "include_pending": false, "subevent": null, "allow_multiple_entries": false,
   "allow_entry_after_exit": true, "exit_all_at": null, "rules": {}, "addon_match": false,
   "auto_checkin_sales_channels": []},
  {"id": 2, "name": "Workshop room", "checkin_count": 0, "position_count": 0, "all_products": false,
   "limit_products": [2], "include_pending": true, "subevent": null, "allow_multiple_entries": false,
   "allow_entry_after_exit": true, "exit_all_at": null, "rules": {}, "addon_match": true,
   "auto_checkin_sales_channels": []},
  {"id": 3, "name": "Monday", "checkin_count": 0, "position_count": 0, "all_products": true,
   "limit_products": [], "include_pending": false, "subevent": 101, "allow_multiple_entries": false,
   "allow_entry_after_exit": true, "exit_all_at": null, "rules": {}, "addon_match": false,
   "auto_checkin_sales_channels": []}
]`

// Order is an order a test adds. The server stamps its datetime and
// last_modified.
type Order struct {
	Code      string
	Status    string // "n" pending, "p" paid, "e" expired, "c" canceled
	Email     string
	Testmode  bool
	Positions []Position
}

// Position is a ticket or add-on of an Order. Zero values are JSON null
// where pretix has null.
type Position struct {
	// PositionID numbers the position in its order; 0 for its place
	// (1, 2, …). The server gives each position an event-wide id too.
	PositionID        int
	Item              int // ItemTicket, …
	Variation         int // VariationRegular, …; 0 for none
	Secret            string
	AttendeeName      string
	AttendeeNameParts map[string]string // "given_name", "family_name", "title", "full_name", …
	AttendeeEmail     string
	Company           string
	// AddonTo is the PositionID of the parent in the same order; 0 for
	// none. The JSON holds the parent's event-wide id, as pretix's does.
	AddonTo  int
	Canceled bool
	// Subevent is the date of an event series (SeriesMonday, …); 0 for
	// none.
	Subevent int
	// Blocked lists why pretix blocks the ticket from entry.
	Blocked []string
}

// Server is a pretix serving one event. Its methods are safe to call
// while it serves.
type Server struct {
	*httptest.Server
	tb    testing.TB
	token string

	mu       sync.Mutex
	clock    time.Time
	ids      int // the last position id given
	orders   []*stored
	throttle int
	requests []string
	answers  map[string]answer
}

// stored is an order as the server holds it.
type stored struct {
	Order
	ids          []int // event-wide id of each position
	created      time.Time
	lastModified time.Time
}

// answer replaces the server's answer for one resource.
type answer struct {
	status int
	body   string
}

// New starts a server accepting token, closed when the test ends. Its
// clock starts at 2025-03-01 09:00 UTC.
func New(tb testing.TB, token string) *Server {
	tb.Helper()
	s := &Server{tb: tb, token: token, answers: map[string]answer{},
		clock: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), ids: 1000}
	s.Server = httptest.NewServer(s)
	tb.Cleanup(s.Close)
	return s
}

// EventURL is the event's API root, for pretix.Config.URL.
func (s *Server) EventURL() string {
	return s.URL + root
}

// root is the path of the event's API.
const root = "/api/v1/organizers/" + Organizer + "/events/" + Event + "/"

// Now returns the server's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock
}

// Advance moves the server's clock on by d.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = s.clock.Add(d)
}

// tick returns the time of a change and moves the clock on.
func (s *Server) tick() time.Time {
	t := s.clock
	s.clock = s.clock.Add(time.Second)
	return t
}

// AddOrder adds an order, created and last modified now. A position
// without a secret gets one made of the order code and its number.
func (s *Server) AddOrder(o Order) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find(o.Code) != nil {
		s.tb.Fatalf("pretixtest: order %s added twice", o.Code)
	}
	st := &stored{Order: o}
	st.Positions = slices.Clone(o.Positions)
	for i := range st.Positions {
		p := &st.Positions[i]
		if p.PositionID == 0 {
			p.PositionID = i + 1
		}
		if p.Secret == "" {
			p.Secret = fmt.Sprintf("%s-%d-secret", o.Code, p.PositionID)
		}
		s.ids++
		st.ids = append(st.ids, s.ids)
	}
	st.created = s.tick()
	st.lastModified = st.created
	s.orders = append(s.orders, st)
}

// SetStatus changes an order's status ("n", "p", "e" or "c"), which
// modifies it now.
func (s *Server) SetStatus(code, status string) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.find(code)
	if o == nil {
		s.tb.Fatalf("pretixtest: no order %s", code)
	}
	o.Status = status
	o.lastModified = s.tick()
}

// SetProduct changes the product (and variation, 0 for none) of an
// order's position, as an order change in pretix does, and bumps the
// order's last_modified.
func (s *Server) SetProduct(code string, positionID, item, variation int) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.find(code)
	if o == nil {
		s.tb.Fatalf("pretixtest: no order %s", code)
	}
	for i := range o.Positions {
		if o.Positions[i].PositionID == positionID {
			o.Positions[i].Item, o.Positions[i].Variation = item, variation
			o.lastModified = s.tick()
			return
		}
	}
	s.tb.Fatalf("pretixtest: order %s has no position %d", code, positionID)
}

func (s *Server) find(code string) *stored {
	for _, o := range s.orders {
		if o.Code == code {
			return o
		}
	}
	return nil
}

// Throttle makes the next n requests answer 429 Too Many Requests with
// Retry-After: 1, as pretix.eu does past its rate limit.
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = n
}

// Answer makes every later request for rel, a resource below the
// event's root ("orders/", "items/", "checkinlists/2/"), whatever its
// query, get status and body instead of the real answer, after the
// token is checked.
func (s *Server) Answer(rel string, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[rel] = answer{status, body}
}

// Requests returns the path and query of each request received, in
// order, throttled ones included.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.URL.RequestURI())
	if s.throttle > 0 {
		s.throttle--
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"detail": "Request was throttled. Expected available in 1 second."})
		return
	}
	switch auth := r.Header.Get("Authorization"); {
	case !strings.HasPrefix(auth, "Token "):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Authentication credentials were not provided."})
		return
	case strings.TrimPrefix(auth, "Token ") != s.token:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Invalid token."})
		return
	}
	rel, ok := strings.CutPrefix(r.URL.Path, root)
	switch {
	case !ok && strings.HasPrefix(r.URL.Path, "/api/v1/organizers/"):
		// pretix's answer for an organizer or event that does not exist.
		writeJSON(w, http.StatusForbidden, map[string]string{"detail": "You do not have permission to perform this action."})
		return
	case !ok:
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
		return
	case r.Method != http.MethodGet:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": fmt.Sprintf("Method %q not allowed.", r.Method)})
		return
	}
	if a, ok := s.answers[rel]; ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		w.Write([]byte(a.body))
		return
	}
	switch {
	case rel == "items/":
		s.page(w, r, raw(items))
	case rel == "checkinlists/":
		s.page(w, r, raw(checkinLists))
	case strings.HasPrefix(rel, "checkinlists/"):
		s.checkinList(w, strings.TrimSuffix(strings.TrimPrefix(rel, "checkinlists/"), "/"))
	case rel == "orders/":
		s.listOrders(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
	}
}

// raw splits a JSON list into its elements.
func raw(list string) []any {
	var elems []json.RawMessage
	if err := json.Unmarshal([]byte(list), &elems); err != nil {
		panic(err)
	}
	out := make([]any, len(elems))
	for i, e := range elems {
		out[i] = e
	}
	return out
}

func (s *Server) checkinList(w http.ResponseWriter, id string) {
	for _, l := range raw(checkinLists) {
		var head struct{ ID int }
		json.Unmarshal(l.(json.RawMessage), &head)
		if strconv.Itoa(head.ID) == id {
			writeJSON(w, http.StatusOK, l)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
}

// listOrders serves the orders list with the filters pretix documents
// that a roster needs: modified_since (at or after), testmode,
// include_canceled_positions, ordering. It sends X-Page-Generated.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("modified_since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string][]string{"modified_since": {"Enter a valid date/time."}})
			return
		}
		since = t
	}
	var orders []*stored
	for _, o := range s.orders {
		if o.lastModified.Before(since) {
			continue
		}
		if v := q.Get("testmode"); v != "" && strconv.FormatBool(o.Testmode) != v {
			continue
		}
		orders = append(orders, o)
	}
	field, desc := strings.CutPrefix(q.Get("ordering"), "-")
	key := map[string]func(o *stored) string{
		"code":          func(o *stored) string { return o.Code },
		"status":        func(o *stored) string { return o.Status },
		"datetime":      func(o *stored) string { return isoformat(o.created) },
		"last_modified": func(o *stored) string { return isoformat(o.lastModified) },
	}[field]
	if key == nil {
		key = func(o *stored) string { return isoformat(o.created) } // pretix's default
	}
	slices.SortStableFunc(orders, func(a, b *stored) int {
		if desc {
			a, b = b, a
		}
		return strings.Compare(key(a), key(b))
	})
	canceled := q.Get("include_canceled_positions") == "true"
	results := make([]any, len(orders))
	for i, o := range orders {
		results[i] = o.json(canceled)
	}
	w.Header().Set("X-Page-Generated", isoformat(s.clock))
	s.page(w, r, results)
}

// page writes one page of results, as ?page=N asks (1 when absent),
// with absolute next and previous links keeping the rest of the query.
// A page past the end is a 404, as in pretix.
func (s *Server) page(w http.ResponseWriter, r *http.Request, results []any) {
	q := r.URL.Query()
	n := 1
	if v := q.Get("page"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || (n-1)*PageSize >= max(len(results), 1) {
			writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Invalid page."})
			return
		}
	}
	link := func(n int) *string {
		q.Set("page", strconv.Itoa(n))
		u := s.URL + r.URL.Path + "?" + q.Encode()
		return &u
	}
	body := struct {
		Count    int     `json:"count"`
		Next     *string `json:"next"`
		Previous *string `json:"previous"`
		Results  []any   `json:"results"`
	}{Count: len(results), Results: results[(n-1)*PageSize : min(n*PageSize, len(results))]}
	if n*PageSize < len(results) {
		body.Next = link(n + 1)
	}
	if n > 1 {
		body.Previous = link(n - 1)
	}
	writeJSON(w, http.StatusOK, body)
}

// orderJSON is the order resource (orders.rst, "Order resource").
type orderJSON struct {
	Code             string         `json:"code"`
	Event            string         `json:"event"`
	Status           string         `json:"status"`
	Testmode         bool           `json:"testmode"`
	Secret           string         `json:"secret"`
	Email            string         `json:"email"`
	Phone            *string        `json:"phone"`
	Locale           string         `json:"locale"`
	SalesChannel     string         `json:"sales_channel"`
	Datetime         string         `json:"datetime"`
	Expires          string         `json:"expires"`
	LastModified     string         `json:"last_modified"`
	PaymentDate      *string        `json:"payment_date"`
	PaymentProvider  string         `json:"payment_provider"`
	Total            string         `json:"total"`
	Comment          string         `json:"comment"`
	CheckinAttention bool           `json:"checkin_attention"`
	RequireApproval  bool           `json:"require_approval"`
	InvoiceAddress   *struct{}      `json:"invoice_address"`
	Positions        []positionJSON `json:"positions"`
	Fees             []any          `json:"fees"`
	Downloads        []any          `json:"downloads"`
	Payments         []any          `json:"payments"`
	Refunds          []any          `json:"refunds"`
}

// positionJSON is the order position resource (orders.rst, "Order
// position resource").
type positionJSON struct {
	ID                 int               `json:"id"`
	Order              string            `json:"order"`
	PositionID         int               `json:"positionid"`
	Canceled           bool              `json:"canceled"`
	Item               int               `json:"item"`
	Variation          *int              `json:"variation"`
	Price              string            `json:"price"`
	AttendeeName       *string           `json:"attendee_name"`
	AttendeeNameParts  map[string]string `json:"attendee_name_parts"`
	AttendeeEmail      *string           `json:"attendee_email"`
	Company            *string           `json:"company"`
	Voucher            *int              `json:"voucher"`
	TaxRate            string            `json:"tax_rate"`
	TaxValue           string            `json:"tax_value"`
	TaxRule            *int              `json:"tax_rule"`
	Secret             string            `json:"secret"`
	AddonTo            *int              `json:"addon_to"`
	Subevent           *int              `json:"subevent"`
	Blocked            []string          `json:"blocked"`
	PseudonymizationID string            `json:"pseudonymization_id"`
	Seat               *struct{}         `json:"seat"`
	Checkins           []any             `json:"checkins"`
	Answers            []any             `json:"answers"`
	Downloads          []any             `json:"downloads"`
}

// json renders an order as pretix's API does, its canceled positions
// only when asked for (orders.rst, include_canceled_positions).
func (o *stored) json(canceled bool) orderJSON {
	j := orderJSON{
		Code: o.Code, Event: Event, Status: o.Status, Testmode: o.Testmode,
		Secret: strings.ToLower(o.Code) + "0rdersecret", Email: o.Email, Locale: "en", SalesChannel: "web",
		Datetime: isoformat(o.created), Expires: isoformat(o.created.AddDate(0, 0, 14)),
		LastModified: isoformat(o.lastModified), PaymentProvider: "banktransfer", Total: "0.00",
		Positions: []positionJSON{}, Fees: []any{}, Downloads: []any{}, Payments: []any{}, Refunds: []any{},
	}
	idOf := map[int]int{} // PositionID → id
	for i, p := range o.Positions {
		idOf[p.PositionID] = o.ids[i]
	}
	for i, p := range o.Positions {
		if p.Canceled && !canceled {
			continue
		}
		parts := p.AttendeeNameParts
		if parts == nil {
			parts = map[string]string{}
		}
		var addonTo *int
		if p.AddonTo != 0 {
			id := idOf[p.AddonTo]
			addonTo = &id
		}
		j.Positions = append(j.Positions, positionJSON{
			ID: o.ids[i], Order: o.Code, PositionID: p.PositionID, Canceled: p.Canceled,
			Item: p.Item, Variation: orNull(p.Variation), Price: "0.00",
			AttendeeName: orNull(p.AttendeeName), AttendeeNameParts: parts,
			AttendeeEmail: orNull(p.AttendeeEmail), Company: orNull(p.Company),
			TaxRate: "0.00", TaxValue: "0.00", Secret: p.Secret, AddonTo: addonTo,
			Subevent: orNull(p.Subevent), Blocked: p.Blocked,
			PseudonymizationID: fmt.Sprintf("PSEUDO%04d", o.ids[i]),
			Checkins:           []any{}, Answers: []any{}, Downloads: []any{},
		})
	}
	return j
}

// orNull is v, or nil (JSON null) for its zero value.
func orNull[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// isoformat writes a time as pretix does (Python's isoformat, in UTC
// with microseconds): 2025-03-01T09:00:00.000000+00:00.
func isoformat(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000-07:00")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Vary", "Accept")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
