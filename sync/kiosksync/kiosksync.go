// Package kiosksync is the kiosk's side of the sync with the central
// server (sync/PROTOCOL.md, docs/design.md "Sync"): enrollment, and the Syncer, the background
// loop that pushes the scan log and pulls roster changes. Scanning never
// waits for it: every decision is durable in the kiosk's database before
// the network is tried, and a round that fails leaves the database as it
// was.
package kiosksync

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"usher/checkin"
	"usher/store"
	"usher/sync/hlc"
	"usher/sync/wire"
)

// Timing of the loop.
const (
	// DefaultInterval: a round this often when nothing happens, so roster
	// changes (a revoked badge) reach the door within seconds.
	DefaultInterval = 10 * time.Second
	// TightInterval: a round this often while a space the door leads
	// into is near its cap (store.DB.Tight), so a place an exit at
	// another door freed comes back to be shared out within seconds.
	TightInterval = 2 * time.Second
	// DefaultDelay: a new scan is pushed this long after it, so a burst
	// of scans goes in one push and the door's disk does not pay a write
	// for every acknowledgement.
	DefaultDelay = time.Second
	// minBackoff and maxBackoff bound the wait after a failed round: it
	// doubles from the first to the second, so a server down for an hour
	// costs a request a minute, and one back up is noticed within one.
	minBackoff = time.Second
	maxBackoff = time.Minute
	// PullLimit is the page size asked for. A page is applied in one
	// write transaction that a scan may have to wait for; 1,000 people
	// keeps that wait in tens of milliseconds.
	PullLimit = 1000
)

// Status is the sync's state, for the screen's connection line.
type Status struct {
	Online  bool // the last round succeeded
	Revoked bool // the server refused this kiosk's token: syncing has stopped
	// Forked: the center holds other events under this kiosk's seqs (its
	// database was restored or copied). Scanning and syncing go on; the
	// kiosk must be enrolled again.
	Forked bool
	// Refused counts the events the center stored since the loop started
	// but does not believe (each is in the log, with why).
	Refused int
	Since   time.Time // when not online: the first failed round after the last good one
	Waiting int       // scans the server has not acknowledged yet
	Err     error     // when not online: why the last round failed
}

// String is the connection line: "online", "offline since 14:02 — 12
// scans waiting", "this kiosk was revoked — 12 scans waiting", or, when
// the server answers but a round still fails (it refuses a request, the
// kiosk refuses what it sent), "sync error since 14:02 — 12 scans
// waiting": that needs a supervisor, not a better network. A forked log
// and events the center refused are added: "online — log restored or
// copied: enroll again — 2 events refused by the center".
func (s Status) String() string {
	var line string
	switch {
	case s.Revoked:
		line = "this kiosk was revoked"
	case s.Online:
		line = "online"
	case s.Err != nil && checkin.ErrorCode(s.Err) != checkin.EOFFLINE:
		line = "sync error since " + s.Since.Format("15:04")
	default:
		line = "offline since " + s.Since.Format("15:04")
	}
	if s.Forked && !s.Revoked {
		line += " — log restored or copied: enroll again"
	}
	switch s.Refused {
	case 0:
	case 1:
		line += " — 1 event refused by the center"
	default:
		line += fmt.Sprintf(" — %d events refused by the center", s.Refused)
	}
	if s.Online {
		return line
	}
	switch s.Waiting {
	case 0:
		return line
	case 1:
		return line + " — 1 scan waiting"
	default:
		return fmt.Sprintf("%s — %d scans waiting", line, s.Waiting)
	}
}

// Result counts what one round moved.
type Result struct {
	Pushed       int  // events sent
	Accepted     int  // of which the server stored now (the rest it had already)
	Pages        int  // pull pages applied
	EventChanged bool // the event definition changed
	People       int  // people added, updated or removed
	Revocations  int  // badge serials revoked
	Granted      int  // capacity rights the center granted in its answer
	Returned     int  // capacity rights given back
	Refused      int  // events pushed that the center stored but does not believe
}

func (r Result) String() string {
	ev := "event unchanged"
	if r.EventChanged {
		ev = "event updated"
	}
	s := fmt.Sprintf("pushed %d scans (%d new, %d already there); pulled %d pages: %s, %d people changed, %d badges revoked",
		r.Pushed, r.Accepted, r.Pushed-r.Accepted, r.Pages, ev, r.People, r.Revocations)
	if r.Refused > 0 {
		s += fmt.Sprintf("; the center refused %d of the events pushed (see the log)", r.Refused)
	}
	return s
}

// Syncer keeps a kiosk's database in sync with its central server: a
// round on Start, every Interval, and soon after Notify; failed rounds
// back off from 1 s doubling to 1 min. Set the fields before Start.
type Syncer struct {
	// OnStatus, when set, is called after every round (on the loop's
	// goroutine) and when a scan waits while the server is away.
	OnStatus func(Status)
	// Log receives at most one line per Interval about failures; nil is
	// the standard logger.
	Log *log.Logger
	// Now is the clock for Status.Since; tests replace it.
	Now      func() time.Time
	Interval time.Duration // default DefaultInterval
	Delay    time.Duration // default DefaultDelay
	// Urgent is how long a scan waits for a right asked on the spot
	// while another door gives one back; default UrgentWait.
	Urgent time.Duration

	db     *store.DB
	client *http.Client

	round  sync.Mutex // one round at a time
	forked bool       // the fork is logged already; guarded by round
	mu     sync.Mutex // guards status and refused
	status Status
	// refused counts the events the center refused since the loop
	// started.
	refused int

	notify chan struct{}
	wake   chan struct{} // the center has news for this kiosk: a round now
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Syncer for an enrolled database, talking over client
// (http.DefaultClient when nil). It becomes the database's AskRights: a
// scan at a door whose share is spent asks the center on the spot.
func New(db *store.DB, client *http.Client) *Syncer {
	if client == nil {
		client = http.DefaultClient
	}
	s := &Syncer{db: db, client: client, Now: time.Now, notify: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
	db.AskRights = s.askRights
	return s
}

// UrgentWait is how long a door whose share of rights is spent waits
// for the center to give it one on the spot before it refuses: short
// enough that the person at the door barely notices, long enough for a
// center on the venue's network to answer.
const UrgentWait = 300 * time.Millisecond

// urgentRetry is how long a door waits between asks while a right is on
// its way back to the center from another door.
const urgentRetry = 20 * time.Millisecond

// askRights asks the center on the spot for a right of each counter this
// kiosk holds none of (store.DB.AskRights): someone waits at the door.
// While the center answers that another door is giving one back, it asks
// again, until UrgentWait has passed.
func (s *Syncer) askRights(ctx context.Context) error {
	wait := s.Urgent
	if wait <= 0 {
		wait = UrgentWait
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		wait, err := s.AskRights(ctx)
		if err != nil || !wait {
			return err
		}
		t := time.NewTimer(urgentRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// AskRights asks the center once, on the spot, for a right of each
// counter this kiosk holds none of. wait is true when the center has
// asked another door to give one back: ask again in a moment.
func (s *Syncer) AskRights(ctx context.Context) (wait bool, err error) {
	id, err := s.db.Identity(ctx)
	if err != nil || !id.Enrolled() {
		return false, err
	}
	c := &client{http: s.client, base: strings.TrimRight(id.URL, "/"), token: id.Token}
	var res Result
	wait, err = exchangeRights(ctx, s.db, c, true, &res)
	return wait, s.revoked(ctx, err)
}

// ErrStandalone is Reprint's error at a kiosk that is not enrolled:
// there is no center to ask.
var ErrStandalone = errors.New("this kiosk is not enrolled with a central server")

// Reprint asks the center for personID's next badge serial, for a badge
// printed at this door (doorprint): the center revokes their badge in
// hand on the list every kiosk pulls. Returns ErrStandalone at a kiosk
// that is not enrolled.
func (s *Syncer) Reprint(ctx context.Context, personID string) (uint32, error) {
	id, err := s.db.Identity(ctx)
	if err != nil {
		return 0, err
	}
	if !id.Enrolled() {
		return 0, ErrStandalone
	}
	c := &client{http: s.client, base: strings.TrimRight(id.URL, "/"), token: id.Token}
	resp, err := c.reprint(ctx, personID)
	if err != nil {
		return 0, s.revoked(ctx, err)
	}
	s.Notify() // a pull brings the revocation list back at once
	return resp.Serial, nil
}

// revoked records a refusal of this kiosk's token (EUNAUTHORIZED) in
// the database, so that from the next scan on the kiosk admits nobody
// until it is enrolled again; any other err is returned as it is.
func (s *Syncer) revoked(ctx context.Context, err error) error {
	if checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
		return err
	}
	if merr := s.db.MarkRevoked(context.WithoutCancel(ctx)); merr != nil {
		return errors.Join(err, merr)
	}
	return err
}

// WaitFor is how long one wait for news at the center lasts (GET
// /v1/wait); the kiosk then waits again.
const WaitFor = 20 * time.Second

// waitForNews keeps a request waiting at the center and wakes the loop
// when the center answers it with news for this kiosk (a notice to
// credit, a right to give back for another door), so those take a round
// trip, not a tick. It stops with ctx; a failed wait is tried again after
// the loop's interval.
func (s *Syncer) waitForNews(ctx context.Context, interval time.Duration) {
	for ctx.Err() == nil {
		id, err := s.db.Identity(ctx)
		if err != nil || !id.Enrolled() {
			return
		}
		c := &client{http: s.client, base: strings.TrimRight(id.URL, "/"), token: id.Token}
		woken, err := c.wait(ctx, WaitFor)
		switch {
		case checkin.ErrorCode(err) == checkin.EUNAUTHORIZED:
			return // the loop's round says so, and stops
		case err != nil:
			t := time.NewTimer(interval)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		case woken:
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

// Notify tells the loop a scan was recorded: push soon. It never blocks.
func (s *Syncer) Notify() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Status returns the state after the last round.
func (s *Syncer) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Start runs the loop in the background until Stop or ctx ends. The
// first round starts at once.
func (s *Syncer) Start(ctx context.Context) {
	s.mu.Lock()
	s.refused = 0
	s.mu.Unlock()
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.run(ctx)
}

// Stop ends the loop and waits for it: a round under way is cancelled,
// which loses nothing (the server keeps each event once, the kiosk moves
// its marks only on an answer).
func (s *Syncer) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
}

func (s *Syncer) run(ctx context.Context) {
	defer close(s.done)
	interval, delay := s.Interval, s.Delay
	if interval <= 0 {
		interval = DefaultInterval
	}
	if delay <= 0 {
		delay = DefaultDelay
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	go s.waitForNews(ctx, interval)
	var (
		backoff time.Duration
		logged  time.Time // when the last failure was logged
	)
	for {
		err := s.Sync(ctx)
		switch {
		case ctx.Err() != nil:
			return // stopped: a normal end, nothing to log
		case err == nil:
			backoff = 0
		case checkin.ErrorCode(err) == checkin.EUNAUTHORIZED:
			s.logf("usher: sync stopped: %s; this kiosk admits nobody until it is enrolled again", checkin.ErrorMessage(err))
			return
		default:
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			if now := time.Now(); now.Sub(logged) >= interval {
				logged = now
				s.logf("usher: sync failed (retrying in %s): %s", backoff, describe(err))
			}
		}
		// Near the cap, rounds come quicker.
		if tight, err := s.db.Tight(ctx); err == nil && tight && interval > TightInterval {
			ticker.Reset(TightInterval)
		} else {
			ticker.Reset(interval)
		}
		if !s.wait(ctx, ticker.C, backoff, delay) {
			return
		}
	}
}

// wait returns when the next round is due: after backoff when backing
// off (a scan meanwhile only updates the count waiting), else on the
// ticker or delay after a scan. It returns false when ctx ends.
func (s *Syncer) wait(ctx context.Context, tick <-chan time.Time, backoff, delay time.Duration) bool {
	var retry <-chan time.Time
	if backoff > 0 {
		t := time.NewTimer(backoff)
		defer t.Stop()
		retry, tick = t.C, nil
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-retry:
			return true
		case <-tick:
			return true
		case <-s.wake:
			if backoff == 0 {
				return true
			}
		case <-s.notify:
			if backoff > 0 {
				s.refreshWaiting(ctx)
				continue
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return false
			case <-t.C:
				return true
			}
		}
	}
}

func (s *Syncer) logf(format string, args ...any) {
	if s.Log != nil {
		s.Log.Printf(format, args...)
	} else {
		log.Printf(format, args...)
	}
}

// describe is an error for the log: its message, and for an internal one
// the detail too.
func describe(err error) string {
	if checkin.ErrorCode(err) == checkin.EINTERNAL {
		return err.Error()
	}
	return checkin.ErrorMessage(err)
}

// Sync runs one round: push every scan the server lacks, in batches,
// then pull until the server has nothing more. It reports the outcome
// through OnStatus. Returns ENOTFOUND when the database is not enrolled,
// EOFFLINE when the server cannot be reached, EUNAUTHORIZED when it
// refuses this kiosk, EINVALID when it refuses a request or sends what
// the kiosk refuses to apply.
func (s *Syncer) Sync(ctx context.Context) error {
	_, err := s.Round(ctx)
	return err
}

// Round is Sync, and counts what moved.
func (s *Syncer) Round(ctx context.Context) (Result, error) {
	s.round.Lock()
	defer s.round.Unlock()
	res, err := s.sync(ctx)
	err = s.revoked(ctx, err)
	if ctx.Err() != nil {
		return res, err // stopped half-way: no news for the screen
	}
	s.report(ctx, err)
	return res, err
}

func (s *Syncer) sync(ctx context.Context) (Result, error) {
	var res Result
	id, err := s.db.Identity(ctx)
	if err != nil {
		return res, err
	}
	if !id.Enrolled() {
		return res, checkin.Errorf(checkin.ENOTFOUND, "this kiosk is not enrolled; run usher enroll with an enrollment code")
	}
	c := &client{http: s.client, base: strings.TrimRight(id.URL, "/"), token: id.Token}
	pushErr := s.push(ctx, c, &res)
	switch checkin.ErrorCode(pushErr) {
	case "":
	case checkin.EOFFLINE, checkin.EUNAUTHORIZED:
		return res, pushErr
	default:
		if ctx.Err() != nil {
			return res, pushErr
		}
		// The server refused a push, or the log holds an event it would
		// refuse: pull anyway, so revocations still reach the door.
	}
	// The pull comes before the rights: the notices it brings credit the
	// places exits at other doors freed, so this round gives them back
	// to the center to share out, and the presence it brings is the
	// count the screen shows.
	pullErr := pull(ctx, s.db, c, PullLimit, false, &res)
	if pushErr == nil && pullErr == nil {
		if _, err := exchangeRights(ctx, s.db, c, false, &res); err != nil {
			return res, err
		}
		// Rights given back leave at once, so the center can hand them on.
		if err := s.push(ctx, c, &res); err != nil {
			return res, err
		}
	}
	if code := checkin.ErrorCode(pullErr); code == checkin.EUNAUTHORIZED || code == checkin.EOFFLINE || pushErr == nil {
		// What the pull says of the connection or the kiosk's standing
		// decides what the loop does next.
		return res, pullErr
	}
	return res, errors.Join(pushErr, pullErr)
}

// push sends the log after the pushed mark, oldest first, in batches of
// at most wire.MaxPushEvents, moving the mark after each answer.
func (s *Syncer) push(ctx context.Context, c *client, res *Result) error {
	for {
		events, err := s.db.Pending(ctx, wire.MaxPushEvents)
		if err != nil || len(events) == 0 {
			return err
		}
		for _, e := range events {
			if err := e.Check(); err != nil {
				return checkin.Errorf(checkin.EINVALID, "the scan log holds an event the server would refuse: %v", err)
			}
		}
		sent := s.db.MonoNow()
		resp, err := c.push(ctx, events)
		if err != nil {
			return err
		}
		if err := s.db.SetAnchor(ctx, resp.ServerTime, sent, s.db.MonoNow()); err != nil {
			return err
		}
		last := events[len(events)-1].Seq
		if resp.Through != last || resp.Accepted+resp.Duplicates != len(events) {
			return checkin.Errorf(checkin.EINVALID, "the server acknowledged %d+%d events through %d for %d events through %d",
				resp.Accepted, resp.Duplicates, resp.Through, len(events), last)
		}
		if resp.Forked {
			// Before the mark moves: a kiosk that stops here still knows.
			if err := s.db.MarkForked(ctx); err != nil {
				return err
			}
			if !s.forked {
				s.forked = true
				s.logf("usher: the center holds other events under this kiosk's numbers: its database was restored from a backup or copied. " +
					"Scanning goes on and its scans still count; enroll this kiosk again.")
			}
		}
		s.logRefused(resp.Refused)
		res.Refused += len(resp.Refused)
		if err := s.db.MarkPushed(ctx, resp.Through); err != nil {
			return err
		}
		if err := s.db.ObserveHLC(ctx, hlc.Timestamp(resp.ServerHLC)); err != nil {
			return err
		}
		res.Pushed += len(events)
		res.Accepted += resp.Accepted
		if len(events) < wire.MaxPushEvents {
			return nil
		}
	}
}

// maxRefusedLines bounds the log lines of one push's refusals: a push
// holds up to wire.MaxPushEvents.
const maxRefusedLines = 20

// logRefused logs the events of a push the center stored but does not
// believe, with why, and counts them for the status line.
func (s *Syncer) logRefused(refused []wire.Refusal) {
	if len(refused) == 0 {
		return
	}
	s.mu.Lock()
	s.refused += len(refused)
	s.mu.Unlock()
	for i, r := range refused {
		if i == maxRefusedLines {
			s.logf("usher: the center refused %d more events of this push", len(refused)-i)
			break
		}
		s.logf("usher: the center refused event %d of this kiosk's log: %s", r.Seq, r.Why)
	}
}

// exchangeRights reports this kiosk's capacity rights to the center and
// takes in its answer: grants (each applied once; a lost answer leaves
// them for the pull), rights to give back (debited here before they are
// pushed), and the places free at other doors.
func exchangeRights(ctx context.Context, db *store.DB, c *client, urgent bool, res *Result) (wait bool, err error) {
	report, ok, err := db.RightsReport(ctx)
	if err != nil || !ok {
		return false, err
	}
	report.Urgent = urgent
	resp, err := c.rights(ctx, report)
	if err != nil {
		return false, err
	}
	if err := db.ApplyGrants(ctx, resp.Grants); err != nil {
		return false, err
	}
	for _, g := range resp.Grants {
		res.Granted += g.N
	}
	given, err := db.ReturnRights(ctx, resp.Return)
	if err != nil {
		return false, err
	}
	for _, n := range given {
		res.Returned += n
	}
	if err := db.SetDebt(ctx, resp.Debt); err != nil {
		return false, err
	}
	return resp.Wait, db.SetElsewhere(ctx, resp.Free)
}

// pull asks for what changed since the kiosk's cursor and applies it,
// page by page, each in its own transaction with its cursor, until the
// server has no more. Each request says how many scans wait here to be
// pushed, and asks for pages of limit people.
//
// With ahead, the next page is asked for (from the cursor of the page
// in hand) while that page is applied, so the center builds and sends
// it while the kiosk writes: an enrolling kiosk's pull takes about the
// longer of the two, not their sum. Pages are still applied one at a
// time and in order, so the stored cursor never passes what is applied.
// A running kiosk's round pulls without: it is mostly one page, and
// pages applied back to back would let a scan at the door wait behind
// two of them rather than one. Over 60 lines: the fetch in flight and
// the apply in hand share the loop's state and its cancel-and-wait on
// every way out.
func pull(ctx context.Context, db *store.DB, c *client, limit int, ahead bool, res *Result) error {
	cursor, err := db.Cursor(ctx)
	if err != nil {
		return err
	}
	// A page asked for ahead is cancelled, and waited for, when the pull
	// stops early: no request outlives it. Only the requests take this
	// context: one that can be cancelled costs the SQLite driver a
	// goroutine for every statement (a third more CPU for the first pull
	// of 50,000 people), so the applies keep the caller's.
	fetchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next <-chan fetched
	stop := func() {
		cancel()
		if next != nil {
			<-next
		}
	}
	f := fetch(fetchCtx, db, c, cursor, limit)
	for {
		page := f.page
		if ahead && f.err == nil && page.More && page.Cursor > cursor {
			ch := make(chan fetched, 1)
			go func(from int64) { ch <- fetch(fetchCtx, db, c, from, limit) }(page.Cursor)
			next = ch
		}
		err := f.err
		if err == nil && page.Presence != nil {
			// The anchor is the page's own round trip: when its request
			// went out and its answer came, whether it was asked ahead
			// or not.
			err = db.SetAnchor(ctx, page.Presence.At, f.sent, f.received)
		}
		if err != nil {
			stop()
			return err
		}
		if page.More && page.Cursor <= cursor {
			stop()
			return checkin.Errorf(checkin.EINVALID, "the server's pull from cursor %d makes no progress", cursor)
		}
		if err := db.ApplyPull(ctx, page); err != nil {
			stop()
			return fmt.Errorf("pull from cursor %d: %w", cursor, err)
		}
		res.Pages++
		res.EventChanged = res.EventChanged || page.Event != nil
		res.People += len(page.People)
		res.Revocations += len(page.Revocations)
		cursor = page.Cursor
		if !page.More {
			return nil
		}
		if next != nil {
			f, next = <-next, nil
		} else {
			f = fetch(fetchCtx, db, c, cursor, limit)
		}
	}
}

// fetched is one page as it came: the answer, or why there is none, and
// the kiosk's monotonic clock when its request went out and when its
// answer came.
type fetched struct {
	page           wire.PullResponse
	sent, received int64
	err            error
}

// fetch asks for the page after cursor. The count of scans waiting is
// read just before the request: the center's dashboard shows what this
// door has not pushed yet.
func fetch(ctx context.Context, db *store.DB, c *client, cursor int64, limit int) fetched {
	waiting, err := db.Waiting(ctx)
	if err != nil {
		return fetched{err: err}
	}
	sent := db.MonoNow()
	page, err := c.pull(ctx, cursor, limit, waiting)
	return fetched{page: page, sent: sent, received: db.MonoNow(), err: err}
}

// report updates the status after a round and tells OnStatus.
func (s *Syncer) report(ctx context.Context, err error) {
	waiting, werr := s.db.Waiting(ctx)
	standing, serr := s.db.Standing(ctx)
	s.mu.Lock()
	st := s.status
	switch {
	case err == nil:
		st = Status{Online: true}
	case checkin.ErrorCode(err) == checkin.EUNAUTHORIZED:
		st.Online, st.Err = false, err
	default:
		if st.Online || st.Since.IsZero() {
			st.Since = s.Now()
		}
		st.Online, st.Err = false, err
	}
	st.Revoked = checkin.ErrorCode(err) == checkin.EUNAUTHORIZED
	if werr == nil {
		st.Waiting = waiting
	}
	if serr == nil {
		// What the center said of this kiosk holds until it is enrolled
		// again, whatever this round's network.
		st.Revoked = st.Revoked || standing.Revoked
		st.Forked = standing.Forked
	}
	st.Refused = s.refused
	s.status = st
	s.mu.Unlock()
	if s.OnStatus != nil {
		s.OnStatus(st)
	}
}

// refreshWaiting recounts the scans waiting while the server is away, so
// the screen's count follows the door.
func (s *Syncer) refreshWaiting(ctx context.Context) {
	waiting, err := s.db.Waiting(ctx)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.status.Waiting = waiting
	st := s.status
	s.mu.Unlock()
	if s.OnStatus != nil {
		s.OnStatus(st)
	}
}

// Enroll enrolls the kiosk database db with the center, by an enrollment
// code ("USHER-ENROLL:…", from the organizer's QR): it exchanges the
// code's one-time token for the kiosk's own, stores the identity, and
// pulls the event and the whole roster, page by page. hc nil is
// http.DefaultClient.
//
// Returns EINVALID for a malformed code, ECONFLICT when db is enrolled
// already, EUNAUTHORIZED for a code that is unknown or used, and EOFFLINE
// when the server cannot be reached. When only the first pull fails the
// kiosk is enrolled, and the error says so: the next sync finishes it.
func Enroll(ctx context.Context, db *store.DB, code string, hc *http.Client) error {
	ec, err := wire.ParseEnrollCode(code)
	if err != nil {
		return checkin.Errorf(checkin.EINVALID, "%v", err)
	}
	if err := db.CheckNotEnrolled(ctx); err != nil {
		return err
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	name, _ := os.Hostname()
	c := &client{http: hc, base: strings.TrimRight(ec.URL, "/")}
	resp, err := c.enroll(ctx, wire.EnrollRequest{Token: ec.Token, Name: name})
	if err != nil {
		return err
	}
	if resp.KioskID == "" || resp.Token == "" || resp.EventID == "" {
		return checkin.Errorf(checkin.EINVALID, "%s: the enrollment answer lacks a kiosk id, a token or an event id", c.base)
	}
	door := resp.Door
	if door == "" {
		door = ec.Door
	}
	if err := db.Enroll(ctx, store.Identity{URL: ec.URL, KioskID: resp.KioskID, Token: resp.Token, Door: door, EventID: resp.EventID}); err != nil {
		return err
	}
	c.token = resp.Token
	var res Result
	// No scan waits on an enrolling kiosk: its first pull, the whole
	// roster, goes in the largest pages the server gives, a fifth as
	// many transactions and requests, each page asked for while the one
	// before it is applied.
	err = pull(ctx, db, c, wire.MaxPullLimit, true, &res)
	if err == nil {
		// The kiosk's first capacity rights, so it admits at once.
		_, err = exchangeRights(ctx, db, c, false, &res)
	}
	if err != nil {
		return &checkin.Error{Code: checkin.ErrorCode(err), Message: fmt.Sprintf(
			"enrolled as kiosk %s, but the first pull failed (usher sync finishes it): %s", resp.KioskID, describe(err))}
	}
	return nil
}
