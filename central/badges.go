package central

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"usher/badge"
	"usher/checkin"
	"usher/eventfile"
	"usher/internal/term"
	"usher/roster"
)

// progressMin is the smallest print run that gets a progress bar: below
// it the PDF is done before a bar would be read.
const progressMin = 200

// badgeFlags are the flags badges and badge-png share.
type badgeFlags struct {
	event, roster, key, out, person, layout, from, until string
	read                                                 *roster.Options
}

func (f *badgeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.event, "event", "", "event `file` (event.toml)")
	fs.StringVar(&f.roster, "roster", "", "roster CSV or XLSX `file`")
	f.read = roster.Flags(fs)
	fs.StringVar(&f.key, "key", "", "signing key `file` (DIR/signing.key from usher-central keys)")
	fs.StringVar(&f.person, "person", "", "only the person with this roster `id`")
	var layouts []string
	for _, name := range badge.Layouts() {
		l, _ := badge.FindLayout(name)
		layouts = append(layouts, name+" ("+l.About+")")
	}
	fs.StringVar(&f.layout, "layout", badge.Layouts()[0], "page `layout`: "+strings.Join(layouts, "; "))
	fs.StringVar(&f.from, "valid-from", "", "first day the badges are valid, `YYYY-MM-DD`, from 00:00 UTC "+
		"(default: the event's first day, [event] start, in its UTC offset; without it today)")
	fs.StringVar(&f.until, "valid-until", "", "last day the badges are valid, `YYYY-MM-DD`, to 24:00 UTC "+
		"(default: the event's last day, [event] end, in its UTC offset; without it no end)")
}

// load reads the event, the roster and the key, and checks they belong
// together. Every error names its file.
func (f *badgeFlags) load(now time.Time, stderr io.Writer) (badge.Sheet, []checkin.Person, error) {
	var s badge.Sheet
	if _, err := badge.FindLayout(f.layout); err != nil {
		return s, nil, err
	}
	file, err := eventfile.LoadFile(f.event)
	if err != nil {
		return s, nil, err
	}
	ev := file.Event
	from, until, err := validity(f.from, f.until, f.event, file.Dates, now)
	if err != nil {
		return s, nil, err
	}
	if !until.IsZero() && until.Before(now) {
		fmt.Fprintf(stderr, "warning: these badges expired at %s, before they were printed: kiosks will deny them (expired_badge); "+
			"check [event] start and end in %s, or give --valid-from and --valid-until\n", until.Format(time.RFC3339), f.event)
	}
	key, err := badge.LoadKey(f.key)
	if err != nil {
		return s, nil, err
	}
	if err := badge.CheckKey(ev, key); err != nil {
		return s, nil, fmt.Errorf("%s for %s: %w", f.key, f.event, err)
	}
	read, err := roster.ReadFile(f.roster, ev, stderr, *f.read)
	if err != nil {
		return s, nil, err
	}
	people := read.People
	if f.person != "" {
		people = pick(people, f.person)
		if people == nil {
			return s, nil, checkin.Errorf(checkin.ENOTFOUND, "%s: no person with id %q", f.roster, f.person)
		}
		if why := people[0].Revoked; why != "" {
			return s, nil, checkin.Errorf(checkin.EINVALID, "%s: person %s has no valid ticket (%s): the door would deny their badge", f.roster, f.person, why)
		}
	}
	// A refunded or cancelled ticket gets no badge: the door would deny it.
	valid := people[:0:0]
	for _, p := range people {
		if p.Revoked == "" {
			valid = append(valid, p)
		}
	}
	if skipped := len(people) - len(valid); skipped > 0 {
		fmt.Fprintf(stderr, "%s without a valid ticket not printed\n", count(skipped, "person"))
	}
	people = valid
	s = badge.Sheet{Layout: f.layout, Event: ev, Key: key, From: from, Until: until}
	return s, people, nil
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func pick(people []checkin.Person, id string) []checkin.Person {
	for _, p := range people {
		if p.ID == id {
			return []checkin.Person{p}
		}
	}
	return nil
}

// validity is the badges' validity: the date flags, from the start of
// the first day to the end of the last in UTC, or else the event's days
// (eventfile.Dates.Days: in the event file's UTC offset), so that badges
// printed weeks ahead admit on every day of the event; an event without
// dates gives badges valid from today with no end (until zero).
func validity(fromFlag, untilFlag, eventPath string, dates eventfile.Dates, now time.Time) (from, until time.Time, err error) {
	// fromSays and untilSays name the bounds for an error.
	var fromSays, untilSays string
	from, until = dates.Days()
	if from.IsZero() {
		from = now.UTC().Truncate(24 * time.Hour)
		fromSays = "today, " + from.Format(time.DateOnly)
	} else {
		fromSays = fmt.Sprintf("the event's first day, %s (start in %s)", from.Format(time.DateOnly), eventPath)
		untilSays = fmt.Sprintf("the event's last day, %s (end in %s)", until.Add(-time.Second).Format(time.DateOnly), eventPath)
	}
	if fromFlag != "" {
		t, err := time.Parse(time.DateOnly, fromFlag)
		if err != nil {
			return from, from, checkin.Errorf(checkin.EINVALID, "--valid-from %q is not a date like 2026-05-04", fromFlag)
		}
		from, fromSays = t, "--valid-from "+fromFlag
	}
	if untilFlag != "" {
		t, err := time.Parse(time.DateOnly, untilFlag)
		if err != nil {
			return from, from, checkin.Errorf(checkin.EINVALID, "--valid-until %q is not a date like 2026-05-08", untilFlag)
		}
		until, untilSays = t.Add(24*time.Hour), "--valid-until "+untilFlag // the end of the last day
	}
	if !until.IsZero() && !until.After(from) {
		return from, from, checkin.Errorf(checkin.EINVALID, "%s is before %s: the badges would never be valid", untilSays, fromSays)
	}
	return from, until, nil
}

// validityText says for how long badges are valid.
func validityText(from, until time.Time) string {
	if until.IsZero() {
		return "valid from " + from.Format(time.RFC3339) + ", with no end"
	}
	return "valid " + from.Format(time.RFC3339) + " to " + until.Format(time.RFC3339)
}

const badgesUsage = "usage: usher-central badges --event E --roster R --key DIR/signing.key --out badges.pdf [--layout L] [--person ID] [--valid-from YYYY-MM-DD] [--valid-until YYYY-MM-DD]"

func badgesCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central badges", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f badgeFlags
	f.register(fs)
	fs.StringVar(&f.out, "out", "", "the PDF `file` to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.event == "" || f.roster == "" || f.key == "" || f.out == "" || fs.NArg() > 0 {
		return fmt.Errorf("%s", badgesUsage)
	}
	s, people, err := f.load(time.Now(), stderr)
	if err != nil {
		return err
	}
	warnGlyphs(stderr, people)
	var progress func(int)
	if len(people) >= progressMin && term.IsTerminal(stderr) {
		bar := progressbar.NewOptions(len(people), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("badges"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		defer bar.Finish()
		progress = func(done int) { bar.Set(done) }
	}
	err = writeAtomic(f.out, func(w io.Writer) error { return s.Write(w, people, progress) })
	if err != nil {
		return err
	}
	l, _ := badge.FindLayout(s.Layout)
	fmt.Fprintf(stdout, "wrote %s: %s on %s (%s), %s\n", f.out, count(len(people), "badge"), count(l.Pages(len(people)), "page"),
		l.Name, validityText(s.From, s.Until))
	return nil
}

const badgePNGUsage = "usage: usher-central badge-png --event E --roster R --key DIR/signing.key --person ID --out F.png [--layout L] [--valid-from YYYY-MM-DD] [--valid-until YYYY-MM-DD]"

func badgePNGCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central badge-png", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f badgeFlags
	f.register(fs)
	fs.StringVar(&f.out, "out", "", "the PNG `file` to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.event == "" || f.roster == "" || f.key == "" || f.person == "" || f.out == "" || fs.NArg() > 0 {
		return fmt.Errorf("%s", badgePNGUsage)
	}
	s, people, err := f.load(time.Now(), stderr)
	if err != nil {
		return err
	}
	warnGlyphs(stderr, people)
	b, _, err := s.PNG(people[0])
	if err != nil {
		return err
	}
	if err := writeAtomic(f.out, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: the badge of %s at %d dpi, %s\n", f.out, people[0].ID, badge.DPI, validityText(s.From, s.Until))
	return nil
}

// warnGlyphs warns of names and companies with characters the badge
// font lacks, which print as boxes: the badge still scans, but someone
// should look at it before the doors open.
func warnGlyphs(stderr io.Writer, people []checkin.Person) {
	const listed = 5
	var bad []string
	n := 0
	for _, p := range people {
		if len(badge.MissingGlyphs(p.Name+p.Company)) == 0 {
			continue
		}
		if n++; n <= listed {
			bad = append(bad, fmt.Sprintf("%s (%s)", p.ID, p.Name))
		}
	}
	if n == 0 {
		return
	}
	more := ""
	if n > listed {
		more = fmt.Sprintf(" and %d more", n-listed)
	}
	fmt.Fprintf(stderr, "warning: the badge font has no glyphs for some characters of %d badges, which print as boxes: %s%s\n",
		n, strings.Join(bad, ", "), more)
}

// writeAtomic writes path through a temporary file in the same folder,
// renamed into place once complete, so a failure leaves no half-written
// file (and an earlier file whole).
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
