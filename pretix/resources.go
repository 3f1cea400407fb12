package pretix

import (
	"encoding/json"
	"maps"
	"slices"
	"time"
)

// The JSON of pretix's resources, as its API documentation describes
// them (doc/api/resources/*.rst), reduced to the fields a roster needs.
// Unknown fields are ignored, as pretix's compatibility rules ask
// (doc/api/fundamentals.rst: new fields are a compatible change). A null
// id or string reads as 0 or "", which pretix never uses otherwise.

// page is one page of a list (fundamentals.rst, "Pagination").
type page[T any] struct {
	Next    *string `json:"next"`
	Results *[]T    `json:"results"` // nil when the answer had none
}

// item is a product (items.rst).
type item struct {
	ID         int         `json:"id"`
	Name       text        `json:"name"`
	Admission  bool        `json:"admission"`
	Variations []variation `json:"variations"`
}

// variation is one variation of a product, as its item lists it.
type variation struct {
	ID    int  `json:"id"`
	Value text `json:"value"`
}

// checkinList is a check-in list (checkinlists.rst).
type checkinList struct {
	ID            int   `json:"id"`
	AllProducts   bool  `json:"all_products"`
	LimitProducts []int `json:"limit_products"`
	// Subevent is the date of an event series the list is for; nil for
	// every date.
	Subevent *int `json:"subevent"`
}

// order is an order with its positions (orders.rst).
type order struct {
	Code         string     `json:"code"`
	Status       string     `json:"status"` // n, p, e or c
	Email        string     `json:"email"`
	LastModified time.Time  `json:"last_modified"`
	Positions    []position `json:"positions"`
}

// position is one ticket or add-on of an order.
type position struct {
	ID                int               `json:"id"`         // unique in the event
	PositionID        int               `json:"positionid"` // 1, 2, … in its order
	Item              int               `json:"item"`
	Variation         int               `json:"variation"`
	Secret            string            `json:"secret"`
	AttendeeName      string            `json:"attendee_name"`
	AttendeeNameParts map[string]string `json:"attendee_name_parts"`
	AttendeeEmail     string            `json:"attendee_email"`
	Company           string            `json:"company"`
	AddonTo           int               `json:"addon_to"` // the parent's ID, 0 for none
	Canceled          bool              `json:"canceled"`
	// Subevent is the date of an event series the position is for; nil
	// in an event without dates.
	Subevent *int `json:"subevent"`
	// Blocked lists why pretix blocked the ticket from entry (newer
	// versions); empty when it is not.
	Blocked []string `json:"blocked"`
}

// text is a multi-lingual string: an object of strings by language code
// (fundamentals.rst, "Data types"). A plain string is read as one
// without a language, so a server that sends one is still understood.
type text map[string]string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = text{"": s}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*t = m
	return nil
}

// String returns the English text when there is one, else that of the
// first language code in alphabetical order, so the same data always
// reads the same. Empty entries count as missing, as pretix treats them.
func (t text) String() string {
	if s := t["en"]; s != "" {
		return s
	}
	for _, lang := range slices.Sorted(maps.Keys(t)) {
		if s := t[lang]; s != "" {
			return s
		}
	}
	return ""
}
