package central

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/pretix"
	"usher/roster"
)

// tokenEnv holds the pretix API token when no --token-file is given. A
// flag never holds it: ps would show it to every user of the machine.
const tokenEnv = "USHER_PRETIX_TOKEN"

// pretixFlags are the flags of pretix sync, which serve takes too.
type pretixFlags struct {
	url, tokenFile string
	list           int
	read           *roster.Options
}

func (f *pretixFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "url", "", "pretix event API `root`: https://HOST/api/v1/organizers/ORG/events/EVENT/")
	fs.StringVar(&f.tokenFile, "token-file", "", "`file` holding the pretix API token (default: $"+tokenEnv+")")
	fs.IntVar(&f.list, "checkin-list", 0, "read only the products of this pretix check-in list `id`")
	f.read = roster.Flags(fs)
}

// config reads the token and makes the client's configuration.
func (f *pretixFlags) config() (pretix.Config, error) {
	if _, err := pretix.ParseURL(f.url); err != nil {
		return pretix.Config{}, err
	}
	token := os.Getenv(tokenEnv)
	if f.tokenFile != "" {
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return pretix.Config{}, checkin.Errorf(checkin.EINVALID, "pretix token: %v", err)
		}
		token = string(b)
	}
	token = strings.TrimSpace(token)
	switch {
	case token == "" && f.tokenFile != "":
		return pretix.Config{}, checkin.Errorf(checkin.EINVALID, "pretix token: %s is empty", f.tokenFile)
	case token == "":
		return pretix.Config{}, checkin.Errorf(checkin.EINVALID, "no pretix API token: give --token-file F or set %s", tokenEnv)
	case strings.ContainsAny(token, " \t\r\n"):
		return pretix.Config{}, checkin.Errorf(checkin.EINVALID, "pretix token: a token is one word, and this one holds spaces or line breaks")
	}
	return pretix.Config{URL: f.url, Token: token, CheckinList: f.list}, nil
}

// pretixSync reads what changed in pretix since the last read and puts
// it into the center's roster, as usher-central import does with a file
// but removing nobody: a position of a cancelled or unpaid order is
// loaded as revoked, with its reason. The state (when, what, or why it
// failed) is stored for the next read and for the dashboard. full reads
// everything again. It returns the summary line, and an error too when
// positions were set aside (the rest is applied, and the next read
// starts from the same point, so they are read again once fixed).
func pretixSync(ctx context.Context, db *centralstore.DB, cfg pretix.Config, opt roster.Options, full bool) (string, error) {
	ev, err := db.Event(ctx)
	if err != nil {
		if checkin.ErrorCode(err) == checkin.ENOTFOUND {
			return "", checkin.Errorf(checkin.ENOTFOUND, "the center holds no event yet: run usher-central import --event event.toml first")
		}
		return "", err
	}
	if err := db.StartPretix(ctx); err != nil {
		return "", err
	}
	st, err := db.Pretix(ctx)
	if err != nil {
		return "", err
	}
	// Other options leave out or let in other positions: what changed
	// since the last read is not enough then.
	options := fmt.Sprintf("checkin-list=%d include-pending=%t", cfg.CheckinList, opt.IncludePending)
	same := st.URL == cfg.URL && st.Options == options
	var since time.Time
	if same && !full && st.Since != "" {
		if since, err = time.Parse(time.RFC3339Nano, st.Since); err != nil {
			since = time.Time{} // a damaged state: read everything again
		}
	}
	out, err := pretixMerge(ctx, db, ev, cfg, opt, since)
	done := centralstore.PretixState{URL: cfg.URL, Options: options, Since: st.Since, ReadAt: db.Now(), Result: out.summary}
	if !same {
		done.Since = ""
	}
	switch {
	case err != nil:
		done.Result, done.Error = "", checkin.ErrorMessage(err)
	case out.setAside != "":
		done.Error = out.setAside
		err = checkin.Errorf(checkin.EINVALID, "%s", out.setAside)
	default:
		done.Since = out.next.UTC().Format(time.RFC3339Nano)
	}
	// Stored, and the claim on reading given up, even when ctx ended.
	if serr := db.SetPretix(context.WithoutCancel(ctx), done); serr != nil && err == nil {
		err = serr
	}
	return out.summary, err
}

// merged is what pretixMerge did: its summary, the modified_since of
// the next read, and the positions it set aside, if any.
type merged struct {
	summary, setAside string
	next              time.Time
}

// pretixMerge reads pretix from since and merges what it returned. A
// position that cannot be read whole is set aside and the rest applied;
// if its status makes its ticket invalid, that is applied to the person
// of its id all the same: a cancellation always reaches the door. So is
// a position now of a product that admits nobody (or off the check-in
// list), which may have been on the roster under another.
func pretixMerge(ctx context.Context, db *centralstore.DB, ev *checkin.Event, cfg pretix.Config, opt roster.Options, since time.Time) (merged, error) {
	exp, err := pretix.Read(ctx, cfg, since)
	if err != nil {
		return merged{}, err
	}
	what := "everything"
	if !since.IsZero() {
		what = "changes since " + since.Local().Format("2006-01-02 15:04:05")
	}
	out := merged{next: exp.Since,
		summary: fmt.Sprintf("pretix (%s): %d orders, %d positions", what, exp.Orders, len(exp.Rows))}
	if exp.Skipped > 0 {
		out.summary += fmt.Sprintf(" (%d not admission products or not on the check-in list, left out)", exp.Skipped)
	}
	void := map[string]string{}
	for _, id := range exp.Left {
		void[id] = "no admission product"
	}
	people := []checkin.Person{}
	var read *roster.Result
	if len(exp.Rows) > 0 {
		opt.SetAside = true
		if read, err = roster.FromRows("pretix", exp.Header, exp.Rows, ev, opt); err != nil {
			return merged{}, err
		}
		people = read.People
		var probs []string
		for _, sa := range read.SetAside {
			if sa.ID != "" && sa.Revoked != "" {
				void[sa.ID] = sa.Revoked
			}
			probs = append(probs, sa.Problem)
		}
		if n := len(probs); n > 0 {
			if n > 5 {
				probs = append(probs[:5], fmt.Sprintf("and %d more", n-5))
			}
			out.setAside = fmt.Sprintf("%d pretix positions set aside, the rest applied: %s", n, strings.Join(probs, "; "))
		}
	}
	res, err := db.ImportWith(ctx, ev, people, nil, centralstore.ImportOptions{Merge: true, Void: void})
	if err != nil {
		return merged{}, err
	}
	switch {
	case len(exp.Rows) == 0 && res.Voided == 0:
		out.summary += ": nothing changed"
	case len(exp.Rows) > 0:
		out.summary += ": " + res.String()
		if notes := read.Notes(); len(notes) > 0 {
			out.summary += "; " + strings.Join(notes, "; ")
		}
	}
	if res.Voided > 0 {
		out.summary += fmt.Sprintf("; %d revoked: now of a product that admits nowhere here, or cancelled in a position set aside", res.Voided)
	}
	return out, nil
}

// pretixCmd: usher-central pretix sync --url U [--token-file F]
// [--checkin-list ID] [--include-pending] [--full] [--db D]
func pretixCmd(args []string, stdout, stderr io.Writer) error {
	const usage = "usage: usher-central pretix sync --url https://HOST/api/v1/organizers/ORG/events/EVENT/ " +
		"[--token-file F] [--checkin-list ID] [--include-pending] [--full] [--db D] (the token: --token-file or $" + tokenEnv + ")"
	if len(args) == 0 || args[0] != "sync" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("usher-central pretix sync", flag.ContinueOnError)
	dsn := dbFlag(fs)
	var f pretixFlags
	f.register(fs)
	full := fs.Bool("full", false, "read every order again, not only those changed since the last read")
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	if f.url == "" || fs.NArg() > 0 {
		return errors.New(usage)
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	summary, err := pretixSync(context.Background(), db, cfg, *f.read, *full)
	if summary != "" {
		fmt.Fprintln(stdout, summary)
	}
	return err
}

// followPretix runs pretixSync every interval until ctx ends, logging
// each read; a failed read is logged and tried again at the next tick.
func followPretix(ctx context.Context, db *centralstore.DB, cfg pretix.Config, opt roster.Options, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		summary, err := pretixSync(ctx, db, cfg, opt, false)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("pretix", "read", summary, "err", err)
		default:
			log.Info("pretix", "read", summary)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
