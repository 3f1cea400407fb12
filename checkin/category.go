package checkin

// The category rule (docs/design.md "The lesson"): everyone counts, so a
// person whose category the event does not define, or lets in nowhere,
// is a configuration error, never a silent pass. Reaches is the rule; the
// checks below are its refusals, one wording for each place a roster
// comes in. Each returns nil when the event reaches the category and an
// EINVALID error otherwise.

// CheckRosterCategory checks a category that people on a roster have:
// people of them, of whom example is one. The error names the category,
// how many people have it, the example and the event, so the organizer
// can find them.
func (e *Event) CheckRosterCategory(category string, people int, example string) error {
	if e.Reaches(category) {
		return nil
	}
	return Errorf(EINVALID, "category %q (%d people on the roster, e.g. %s) is not defined or may enter no space in event %s",
		category, people, example, e.ID)
}

// CheckPersonCategory checks the category of one person a kiosk takes
// from its center. The error names the person, the category and the
// event.
func (e *Event) CheckPersonCategory(p *Person) error {
	if e.Reaches(p.Category) {
		return nil
	}
	return Errorf(EINVALID, "person %s: category %q is not defined or may enter no space in event %s", p.ID, p.Category, e.ID)
}

// CheckRowCategory checks the category of one row of a roster the center
// imports. The error names the person and the category, like the
// import's other refusals of a row, and not the event.
func (e *Event) CheckRowCategory(p *Person) error {
	if e.Reaches(p.Category) {
		return nil
	}
	return Errorf(EINVALID, "person %s: category %q is not defined or may enter no space", p.ID, p.Category)
}

// ResolveReachingCategory returns the id of the category name gives (its
// id or an alias, as ResolveCategory reads it) for a person an organizer
// adds by hand. The error says whether the event defines no such
// category (listing those it does) or lets that one in nowhere.
func (e *Event) ResolveReachingCategory(name string) (string, error) {
	id, ok := e.ResolveCategory(name)
	if !ok {
		return "", Errorf(EINVALID, "category %q is not defined in event %s (defined: %s)", name, e.ID, e.CategoryIDs())
	}
	if !e.Reaches(id) {
		return "", Errorf(EINVALID, "category %q may enter no space of event %s", id, e.ID)
	}
	return id, nil
}
