package pretix

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"usher/checkin"
)

// wantURL is the shape of an event's API root, for messages.
const wantURL = "https://HOST/api/v1/organizers/ORGANIZER/events/EVENT/"

// slug matches an organizer's or event's short name in a URL: pretix
// allows letters, digits, dots and dashes; underscores are let through
// too, so a slug pretix accepts is never refused here.
var slug = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// ParseURL checks that raw is the API root of one pretix event,
// https://HOST/api/v1/organizers/ORGANIZER/events/EVENT/ (the last
// slash optional, spaces around ignored; http only on this machine's
// loopback, as the token would cross the network in clear), and returns
// it with the slash.
// It refuses a user name or password in the URL (pretix takes a token,
// which has its own place), a query and a fragment. Its errors are
// EINVALID, show the URL without a password, and suggest the API root
// for the URL of an event's shop or of its page in pretix's back office.
func ParseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, checkin.Errorf(checkin.EINVALID, "no pretix URL: give the event's API root, %s", wantURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "the pretix URL is not a URL (%v): give the event's API root, %s", unwrapURL(err), wantURL)
	}
	shown := u.Redacted()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, checkin.Errorf(checkin.EINVALID, "pretix URL %q: it must start with https:// (or http://), as in %s", shown, wantURL)
	case u.Host == "":
		return nil, checkin.Errorf(checkin.EINVALID, "pretix URL %q names no host: give the event's API root, %s", shown, wantURL)
	case u.User != nil:
		return nil, checkin.Errorf(checkin.EINVALID, "pretix URL %q holds a user name or password: the API takes a token, which goes in the token file, not in the URL", shown)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, checkin.Errorf(checkin.EINVALID, "pretix URL %q: leave out the part from ? or #; the API root is %s", shown, wantURL)
	case u.Scheme == "http" && !loopback(u.Hostname()):
		return nil, checkin.Errorf(checkin.EINVALID, "pretix URL %q: plain http would send the API token in clear to %s; use https://", shown, u.Hostname())
	}
	segs := strings.Split(strings.TrimSuffix(u.Path, "/"), "/")
	if u.RawPath != "" || len(segs) != 7 || segs[0] != "" || segs[1] != "api" || segs[2] != "v1" ||
		segs[3] != "organizers" || !slug.MatchString(segs[4]) || segs[5] != "events" || !slug.MatchString(segs[6]) {
		return nil, checkin.Errorf(checkin.EINVALID, "pretix URL %q: the path must be /api/v1/organizers/ORGANIZER/events/EVENT/%s", shown, suggest(u, segs))
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.Join(segs, "/") + "/"}, nil
}

// suggest guesses the API root from the URL of an event's shop
// (HOST/ORGANIZER/EVENT/) or of its pages in pretix's back office
// (HOST/control/event/ORGANIZER/EVENT/…), the two URLs an organizer has
// at hand, and returns it as the end of a message, or "".
func suggest(u *url.URL, segs []string) string {
	var org, ev string
	switch {
	case len(segs) >= 5 && segs[1] == "control" && segs[2] == "event":
		org, ev = segs[3], segs[4]
	case len(segs) == 3 && segs[1] != "api" && segs[1] != "control":
		org, ev = segs[1], segs[2]
	}
	if !slug.MatchString(org) || !slug.MatchString(ev) {
		return ""
	}
	return fmt.Sprintf("; did you mean %s://%s/api/v1/organizers/%s/events/%s/?", u.Scheme, u.Host, org, ev)
}

// loopback reports whether host (a name or an IP, without port) is this
// machine only.
func loopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
