package pretix

import (
	"slices"
	"strconv"
	"strings"

	"usher/checkin"
)

// header is the export's column headings: those of pretix's own exports
// (the order data export and the check-in list export), which the roster
// reader already maps to a person.
var header = []string{
	"Order code", "Position ID",
	"Attendee name", "Attendee name: Title", "Attendee name: Given name", "Attendee name: Family name",
	"Product", "Status", "Secret", "E-mail", "Company", "Add-on to",
}

// statusLabels are the words pretix's exports write for the order
// statuses its API documents (orders.rst: n, p, e, c).
var statusLabels = map[string]string{
	"n": "pending",
	"p": "paid",
	"e": "expired",
	"c": "canceled",
}

// productSep joins a product's name and its variation's, as pretix's
// check-in list export writes them: "Ticket – Student".
const productSep = " – "

// catalog is what the rows need of the event's products: every product
// by id, and the products the check-in list holds (nil: no list).
type catalog struct {
	items  map[int]item
	onList map[int]bool
	// date is the series date the check-in list is for; nil for all.
	date *int
}

func newCatalog(items []item, list *checkinList) catalog {
	c := catalog{items: make(map[int]item, len(items))}
	for _, it := range items {
		c.items[it.ID] = it
	}
	if list != nil {
		c.date = list.Subevent
	}
	if list != nil && !list.AllProducts {
		c.onList = make(map[int]bool, len(list.LimitProducts))
		for _, id := range list.LimitProducts {
			c.onList[id] = true
		}
	}
	return c
}

// rows turns orders into the export's rows, one per position of an
// admission product (on the check-in list, when there is one), in the
// orders' order and then the positions'. It also returns the positions
// it left out, as "ORDER-POSITION": one that was on the roster before
// (its product changed) is no ticket for the door any more. The roster is a list of people: a product that
// grants no admission (a T-shirt) is not one, even on a check-in list.
// A position naming a product, variation or parent position pretix did
// not list is an error (EINVALID): the data changed under the read, or
// it is not what pretix documents, and guessing would admit someone
// under the wrong product.
func (c catalog) rows(orders []order) (rows [][]string, left []string, err error) {
	for _, o := range orders {
		if o.Code == "" {
			return nil, nil, checkin.Errorf(checkin.EINVALID, "pretix sent an order without a code")
		}
		byID := make(map[int]*position, len(o.Positions))
		for i := range o.Positions {
			byID[o.Positions[i].ID] = &o.Positions[i]
		}
		for _, p := range o.Positions {
			it, ok := c.items[p.Item]
			if !ok {
				return nil, nil, checkin.Errorf(checkin.EINVALID,
					"order %s, position %d: product %d is not among the event's products (was it added during the read? read again)", o.Code, p.PositionID, p.Item)
			}
			otherDate := c.date != nil && (p.Subevent == nil || *p.Subevent != *c.date)
			if !it.Admission || (c.onList != nil && !c.onList[p.Item]) || otherDate {
				left = append(left, o.Code+"-"+strconv.Itoa(p.PositionID))
				continue
			}
			var parent *position
			if p.AddonTo != 0 {
				if parent = byID[p.AddonTo]; parent == nil {
					return nil, nil, checkin.Errorf(checkin.EINVALID,
						"order %s, position %d: it is an add-on to position id %d, which the order does not hold", o.Code, p.PositionID, p.AddonTo)
				}
			}
			r, err := row(o, p, parent, it)
			if err != nil {
				return nil, nil, err
			}
			rows = append(rows, r)
		}
	}
	return rows, left, nil
}

// row is one position's row, in header's order. An add-on without an
// attendee of its own takes its parent's name, e-mail and company, as
// pretix's exports do; the e-mail falls back to the order's last.
func row(o order, p position, parent *position, it item) ([]string, error) {
	product := it.Name.String()
	if p.Variation != 0 {
		i := slices.IndexFunc(it.Variations, func(v variation) bool { return v.ID == p.Variation })
		if i < 0 {
			return nil, checkin.Errorf(checkin.EINVALID,
				"order %s, position %d: variation %d is not one of product %d's", o.Code, p.PositionID, p.Variation, p.Item)
		}
		product += productSep + it.Variations[i].Value.String()
	}
	status := statusLabels[o.Status]
	if status == "" {
		return nil, checkin.Errorf(checkin.EINVALID,
			"order %s: status %q is not one pretix documents (n, p, e or c)", o.Code, o.Status)
	}
	switch {
	case p.Canceled:
		status = statusLabels["c"]
	case len(p.Blocked) > 0 && o.Status != "c" && o.Status != "e":
		status = "blocked"
	}
	who, addonTo := &p, ""
	if parent != nil {
		addonTo = strconv.Itoa(parent.PositionID)
		if !named(p) {
			who = parent
		}
	}
	parts := who.AttendeeNameParts // a "full_name" alone fills none of the three
	email, company := p.AttendeeEmail, p.Company
	if parent != nil {
		email, company = first(email, parent.AttendeeEmail), first(company, parent.Company)
	}
	return []string{
		o.Code, strconv.Itoa(p.PositionID),
		who.AttendeeName, parts["title"], parts["given_name"], parts["family_name"],
		product, status, p.Secret, first(email, o.Email), company, addonTo,
	}, nil
}

// named reports whether a position has an attendee name of its own,
// whole or in parts. Keys starting with "_" ("_scheme") are not parts.
func named(p position) bool {
	if p.AttendeeName != "" {
		return true
	}
	for k, v := range p.AttendeeNameParts {
		if v != "" && !strings.HasPrefix(k, "_") {
			return true
		}
	}
	return false
}

// first returns the first of ss that is not empty.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
