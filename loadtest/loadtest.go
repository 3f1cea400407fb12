// Package loadtest puts a central server under the load of many kiosks
// syncing at once, and measures it: `usher-central loadtest`.
//
// The server runs as a process of its own (usher-central serve on
// 127.0.0.1), so its CPU time and memory are read apart from the
// simulated kiosks'. Each kiosk is a real one: its own SQLite file
// (store) enrolled over HTTP, scanning people in and out at its door, and
// syncing with the real kiosk code (kiosksync): push of its new scans,
// the capacity rights exchange, pull. At the end every kiosk syncs once
// more and the center must hold exactly the events each kiosk logged.
package loadtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/wire"
)

// Config is one load test.
type Config struct {
	Kiosks      int           // kiosks syncing at once
	Every       time.Duration // each kiosk syncs this often
	Duration    time.Duration // how long the load lasts
	ScansPerMin float64       // scans at each kiosk's door per minute
	People      int           // roster size of a center the test sets up

	// DB is the center's database. Without Server: a SQLite file that
	// must not exist yet ("" for one in a temporary folder), or a
	// postgres:// URL of a server on which a fresh database is made (and
	// dropped at the end unless Keep). With Server: the database that
	// server uses, holding its event and roster already.
	DB string
	// Server is the URL of a server already running; "" starts one with
	// ServerCmd.
	Server string
	// ServerCmd starts a server: it is run with --addr and --db added,
	// and must print "serving URL" (usher-central serve does).
	ServerCmd []string
	// KioskDir is where the kiosks' database files go ("" the system's
	// temporary folder). Each door's kiosk has a disk of its own; here
	// their commits (each durable, fsync'd) would queue at the server's
	// disk, so the command puts them in memory (/dev/shm) when it can.
	KioskDir string
	// Keep keeps the kiosk files and the center's database.
	Keep bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Check reports the first problem with c, naming the flag.
func (c Config) Check() error {
	switch {
	case c.Kiosks < 1:
		return checkin.Errorf(checkin.EINVALID, "--kiosks %d: at least 1", c.Kiosks)
	case c.Every <= 0:
		return checkin.Errorf(checkin.EINVALID, "--every %s: must be positive", c.Every)
	case c.Duration <= 0:
		return checkin.Errorf(checkin.EINVALID, "--duration %s: must be positive", c.Duration)
	case c.ScansPerMin < 0:
		return checkin.Errorf(checkin.EINVALID, "--scans-per-min %g: must not be negative", c.ScansPerMin)
	case c.People < 1:
		return checkin.Errorf(checkin.EINVALID, "--people %d: at least 1", c.People)
	case c.Server != "" && c.DB == "":
		return checkin.Errorf(checkin.EINVALID, "--server needs --db naming that server's database, to enroll kiosks and check what it stored")
	case c.Server == "" && len(c.ServerCmd) == 0:
		return checkin.Errorf(checkin.EINVALID, "no command to start a server with")
	}
	if c.Server != "" {
		if u, err := url.Parse(c.Server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return checkin.Errorf(checkin.EINVALID, "--server %q is not an http(s) URL", c.Server)
		}
	}
	return nil
}

func (c Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// Run sets up the center (unless Server is given), enrolls the kiosks,
// runs the load for the Duration, syncs every kiosk once more and checks
// what the center stored. The report is returned whenever the load ran;
// an error beside it means the check failed (or the end went wrong).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(cfg.KioskDir, "usher-loadtest-kiosks-")
	if err != nil {
		return nil, err
	}
	if cfg.Keep {
		cfg.logf("kiosk files in %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	dsn, dropDB, err := centerDatabase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer cfg.drop(dropDB)
	center, ev, err := openCenter(ctx, cfg, dsn)
	if err != nil {
		return nil, err
	}
	defer center.Close()
	rep := newReport(cfg, dsn)
	var srv *serverProcess
	if cfg.Server == "" {
		if srv, err = startServer(ctx, cfg.ServerCmd, dsn); err != nil {
			return nil, err
		}
		defer srv.Stop()
		rep.Server = srv.URL
		cfg.logf("server %s, process %s", srv.URL, srv.pid)
	}
	plain, m := clients(cfg.Kiosks)
	kiosks, err := setUpKiosks(ctx, cfg, center, ev, rep, dir, plain)
	defer closeKiosks(kiosks)
	if err != nil {
		return nil, err
	}
	if err := runLoad(ctx, cfg, kiosks, srv, postmaster(ctx, dsn), m, rep); err != nil {
		return rep, err
	}
	if err := finalSync(ctx, cfg, center, kiosks, plain, rep); err != nil {
		return rep, err
	}
	if rep.DatabaseBytes, err = databaseSize(ctx, dsn); err != nil {
		return rep, err
	}
	if srv != nil {
		if err := rep.addServerLog(srv); err != nil {
			return rep, err
		}
	}
	if len(rep.Mismatches) > 0 {
		return rep, fmt.Errorf("the center's events differ from the kiosks' logs at %d kiosks", len(rep.Mismatches))
	}
	return rep, nil
}

// drop drops the test's database with dropDB (nil: the test keeps it,
// or did not make it); a failure is only logged.
func (c Config) drop(dropDB func() error) {
	if dropDB == nil {
		return
	}
	if err := dropDB(); err != nil {
		c.logf("dropping the test's database: %v", err)
	}
}

// openCenter opens the center's database dsn and, unless the test uses
// a server of its own (Server), imports the demo event and People
// people into it; it returns the database and its event.
func openCenter(ctx context.Context, cfg Config, dsn string) (*centralstore.DB, *checkin.Event, error) {
	center, err := centralstore.Open(dsn)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Server == "" {
		cfg.logf("importing the demo event and %d people into %s", cfg.People, redact(dsn))
		if _, err := center.Import(ctx, demo.Event(), demo.Roster(cfg.People), nil); err != nil {
			center.Close()
			return nil, nil, fmt.Errorf("import the demo event: %w", err)
		}
	}
	ev, err := center.Event(ctx)
	if err != nil {
		center.Close()
		return nil, nil, err
	}
	return center, ev, nil
}

// newReport is the report of a test of cfg on the center's database dsn,
// before it runs.
func newReport(cfg Config, dsn string) *Report {
	rep := &Report{Kiosks: cfg.Kiosks, Every: cfg.Every.String(), Duration: cfg.Duration.String(),
		ScansPerMin: cfg.ScansPerMin, Database: "sqlite", Doors: map[string]int{}, Server: cfg.Server}
	if centralstore.IsPostgres(dsn) {
		rep.Database = "postgres"
	}
	return rep
}

// clients are the kiosks' HTTP client for enrolling and the final sync,
// and the meter their requests go through during the load, over the
// same connections. Every kiosk keeps its own connection open between
// rounds, as a door's kiosk does: the pool holds one idle connection per
// kiosk.
func clients(kiosks int) (*http.Client, *meter) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 0
	transport.MaxIdleConnsPerHost = kiosks + 10
	return &http.Client{Transport: transport, Timeout: time.Minute}, newMeter(transport)
}

// setUpKiosks enrolls the kiosks (their files in dir) over hc, counts
// them by door in rep and shares the roster out among them. It returns
// the kiosks opened, also when it fails.
func setUpKiosks(ctx context.Context, cfg Config, center *centralstore.DB, ev *checkin.Event, rep *Report, dir string, hc *http.Client) ([]*kiosk, error) {
	start := time.Now()
	kiosks, err := enrollAll(ctx, cfg, center, ev, rep.Server, dir, hc)
	if err != nil {
		return kiosks, err
	}
	for _, k := range kiosks {
		rep.Doors[k.door]++
	}
	if err := assignPeople(ctx, center, kiosks); err != nil {
		return kiosks, err
	}
	cfg.logf("%d kiosks enrolled in %s; load for %s", len(kiosks), time.Since(start).Round(time.Millisecond), cfg.Duration)
	return kiosks, nil
}

// closeKiosks closes the kiosks' databases.
func closeKiosks(kiosks []*kiosk) {
	for _, k := range kiosks {
		k.db.Close()
	}
}

// finalSync is the last round, unmetered (over hc): whatever the load
// left unsent goes now, and one more scan at every door, so that this
// round always carries something and the check covers it too. Then it
// checks what the center stored.
func finalSync(ctx context.Context, cfg Config, center *centralstore.DB, kiosks []*kiosk, hc *http.Client, rep *Report) error {
	for _, k := range kiosks {
		k.syncer = kiosksync.New(k.db, hc)
		k.scan(ctx)
	}
	cfg.logf("final sync of every kiosk")
	if err := drain(ctx, kiosks, rep); err != nil {
		return err
	}
	return verify(ctx, center, kiosks, rep)
}

// centerDatabase returns the center's database for the test and, when
// the test made it, a function that drops it.
func centerDatabase(ctx context.Context, cfg Config) (string, func() error, error) {
	switch {
	case cfg.Server != "":
		return cfg.DB, nil, nil
	case cfg.DB == "":
		dir, err := os.MkdirTemp("", "usher-loadtest-")
		if err != nil {
			return "", nil, err
		}
		dsn := filepath.Join(dir, "central.db")
		if cfg.Keep {
			return dsn, nil, nil
		}
		return dsn, func() error { return os.RemoveAll(dir) }, nil
	case centralstore.IsPostgres(cfg.DB):
		return freshPostgres(ctx, cfg.DB, cfg.Keep)
	}
	if _, err := os.Stat(cfg.DB); err == nil {
		return "", nil, checkin.Errorf(checkin.EINVALID, "--db %s exists already; the load test makes a fresh database, give a new file name", cfg.DB)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", nil, err
	}
	return cfg.DB, nil, nil
}

// freshPostgres creates an empty database on the PostgreSQL server that
// base names and returns its URL, and unless keep a function dropping it.
func freshPostgres(ctx context.Context, base string, keep bool) (string, func() error, error) {
	var rnd [4]byte
	rand.Read(rnd[:])
	name := "usher_load_" + time.Now().UTC().Format("20060102_150405") + "_" + hex.EncodeToString(rnd[:])
	dsn, drop, err := centralstore.CreatePostgres(base, name)
	if err != nil {
		return "", nil, fmt.Errorf("--db: a fresh database: %w", err)
	}
	if keep {
		return dsn, nil, nil
	}
	return dsn, drop, nil
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && centralstore.IsPostgres(dsn) {
		return u.Redacted()
	}
	return dsn
}

// databaseSize is the center database's size on disk: the SQLite file
// with its write-ahead log, or PostgreSQL's pg_database_size.
func databaseSize(ctx context.Context, dsn string) (int64, error) {
	if !centralstore.IsPostgres(dsn) {
		var n int64
		for _, f := range []string{dsn, dsn + "-wal"} {
			if fi, err := os.Stat(f); err == nil {
				n += fi.Size()
			}
		}
		return n, nil
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&n)
	return n, err
}

// postmaster returns the process id of the PostgreSQL server dsn names
// when it runs on this machine and its processes can be read here, so
// that its CPU time is measured too; "" otherwise.
func postmaster(ctx context.Context, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || !centralstore.IsPostgres(dsn) {
		return ""
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
	default:
		return ""
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return ""
	}
	defer db.Close()
	var backend int
	if err := db.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		return ""
	}
	isPostgres := func(pid string) bool {
		comm, err := os.ReadFile("/proc/" + pid + "/comm")
		return err == nil && strings.TrimSpace(string(comm)) == "postgres"
	}
	f, err := statFields(strconv.Itoa(backend))
	if err != nil || len(f) < 2 || !isPostgres(strconv.Itoa(backend)) || !isPostgres(f[1]) {
		return ""
	}
	return f[1]
}

// kiosk is one simulated door: a real kiosk database and its sync, and
// the people who come and go there.
type kiosk struct {
	n      int
	id     string
	door   string
	db     *store.DB
	syncer *kiosksync.Syncer
	rng    *mrand.Rand

	outside, inside []string // codes of this door's people

	// What happened during the load.
	started, rounds, failed, missed int
	latencies                       []time.Duration
	pushed, accepted                int
	decisions                       map[string]int
	roundErrs                       map[string]int
	scanErrs                        int
}

// enrollAll makes one enrollment per kiosk, round the event's doors, and
// enrolls a fresh kiosk database with each over HTTP, a few at a time.
func enrollAll(ctx context.Context, cfg Config, center *centralstore.DB, ev *checkin.Event, serverURL, dir string, hc *http.Client) ([]*kiosk, error) {
	if len(ev.Doors) == 0 {
		return nil, checkin.Errorf(checkin.EINVALID, "event %s has no doors to put kiosks at", ev.ID)
	}
	kiosks := make([]*kiosk, cfg.Kiosks)
	for i := range kiosks {
		kiosks[i] = &kiosk{n: i, door: ev.Doors[i%len(ev.Doors)].ID, rng: mrand.New(mrand.NewPCG(uint64(i), 1)),
			decisions: map[string]int{}, roundErrs: map[string]int{}}
	}
	var (
		wg    sync.WaitGroup
		next  = make(chan *kiosk)
		mu    sync.Mutex
		first error
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				err := enroll(ctx, center, serverURL, dir, hc, k)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for i, k := range kiosks {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		if i > 0 && i%100 == 0 {
			cfg.logf("  %d kiosks enrolled", i)
		}
		next <- k
	}
	close(next)
	wg.Wait()
	var opened []*kiosk
	for _, k := range kiosks {
		if k.db != nil {
			opened = append(opened, k)
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return opened, first
}

func enroll(ctx context.Context, center *centralstore.DB, serverURL, dir string, hc *http.Client, k *kiosk) error {
	token, err := center.CreateEnrollment(ctx, k.door)
	if err != nil {
		return err
	}
	db, err := store.Open(filepath.Join(dir, fmt.Sprintf("kiosk-%04d.db", k.n)))
	if err != nil {
		return err
	}
	code := wire.EnrollCode{URL: serverURL, Door: k.door, Token: token}.String()
	if err := kiosksync.Enroll(ctx, db, code, hc); err != nil {
		db.Close()
		return fmt.Errorf("enroll kiosk %d at door %s: %w", k.n, k.door, err)
	}
	id, err := db.Identity(ctx)
	if err != nil {
		db.Close()
		return err
	}
	k.db, k.id = db, id.KioskID
	return nil
}

// assignPeople shares the center's roster out among the kiosks, each
// person to one door, so that every door has its own crowd coming and
// going (a small roster is shared round the kiosks instead).
func assignPeople(ctx context.Context, center *centralstore.DB, kiosks []*kiosk) error {
	var codes []string
	var cursor int64
	for {
		page, err := center.Pull(ctx, kiosks[0].id, cursor, wire.MaxPullLimit)
		if err != nil {
			return fmt.Errorf("read the roster: %w", err)
		}
		for _, p := range page.People {
			if !p.Removed && p.Code != "" {
				codes = append(codes, p.Code)
			}
		}
		cursor = page.Cursor
		if !page.More {
			break
		}
	}
	if len(codes) == 0 {
		return checkin.Errorf(checkin.EINVALID, "the center's roster has nobody with a badge code to scan")
	}
	for i, c := range codes {
		k := kiosks[i%len(kiosks)]
		k.outside = append(k.outside, c)
	}
	for i, k := range kiosks {
		if len(k.outside) == 0 {
			k.outside = []string{codes[i%len(codes)]}
		}
	}
	return nil
}

// runLoad runs every kiosk for the Duration, its requests timed by m,
// and adds to rep what it measured: the rounds, the requests, and the
// CPU and memory of the server process (srv; nil: a server of another
// process, not measured) and of the PostgreSQL server whose process id
// is pg ("": not measured).
func runLoad(ctx context.Context, cfg Config, kiosks []*kiosk, srv *serverProcess, pg string, m *meter, rep *Report) error {
	metered := &http.Client{Transport: m, Timeout: time.Minute}
	for _, k := range kiosks {
		k.syncer = kiosksync.New(k.db, metered)
	}
	start, pg, err := cpuAtStart(srv, pg)
	if err != nil {
		return err
	}
	stopSampling := sampleRSS(srv)
	elapsed := runKiosks(ctx, cfg, kiosks)
	rep.ServerRSSPeakSampled = stopSampling()
	if err := rep.addCPU(start, elapsed, srv, pg); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	lat, errs := m.snapshot()
	rep.fill(kiosks, lat, errs)
	return nil
}

// cpuTimes are the CPU times the load test reads: of this process (the
// simulated kiosks), of the server's and of the PostgreSQL server's.
type cpuTimes struct{ self, server, database time.Duration }

// cpuAtStart reads the CPU time so far of this process, of the server
// process (srv; nil: none) and of the PostgreSQL server (pg; "": none),
// and returns pg, or "" when its processes cannot be read here after
// all.
func cpuAtStart(srv *serverProcess, pg string) (cpuTimes, string, error) {
	var start cpuTimes
	var err error
	if start.self, err = cpuTime("self"); err != nil {
		return start, pg, err
	}
	if srv != nil {
		if start.server, err = cpuTime(srv.pid); err != nil {
			return start, pg, fmt.Errorf("server process: %w", err)
		}
	}
	if pg != "" {
		if start.database, err = treeCPU(pg); err != nil {
			pg = "" // not readable here after all
		}
	}
	return start, pg, nil
}

// sampleRSS samples the server process's resident memory every 250 ms
// until the function it returns is called, which returns the peak it
// sampled (0 without a server).
func sampleRSS(srv *serverProcess) (stop func() int64) {
	stopSampling := make(chan struct{})
	sampled := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if srv != nil {
				if rss, _, err := memory(srv.pid); err == nil {
					peak = max(peak, rss)
				}
			}
			select {
			case <-stopSampling:
				sampled <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stopSampling)
		return <-sampled
	}
}

// runKiosks runs every kiosk for the Duration, kiosk i starting i/N of a
// period late so the rounds are spread evenly, each scanning at its door
// meanwhile (unless ScansPerMin is 0), and returns how long it took.
func runKiosks(ctx context.Context, cfg Config, kiosks []*kiosk) time.Duration {
	begin := time.Now()
	end := begin.Add(cfg.Duration)
	var wg sync.WaitGroup
	for i, k := range kiosks {
		wg.Add(1)
		offset := time.Duration(int64(cfg.Every) * int64(i) / int64(len(kiosks)))
		go func() {
			defer wg.Done()
			k.run(ctx, cfg, begin.Add(offset), end)
		}()
		if cfg.ScansPerMin > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k.scanLoop(ctx, time.Duration(float64(time.Minute)/cfg.ScansPerMin), end)
			}()
		}
	}
	wg.Wait()
	return time.Since(begin)
}

// run is one kiosk's syncing: a round at first, then every cfg.Every
// until end. A round that runs past the
// next tick makes the kiosk skip the ticks it missed, as a ticker does.
func (k *kiosk) run(ctx context.Context, cfg Config, first, end time.Time) {
	for next := first; next.Before(end); next = next.Add(cfg.Every) {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		} else if -d >= cfg.Every {
			skip := int(-d / cfg.Every)
			k.missed += skip
			next = next.Add(time.Duration(skip) * cfg.Every)
		}
		k.started++
		t0 := time.Now()
		res, err := k.syncer.Round(ctx)
		if ctx.Err() != nil {
			return
		}
		k.pushed += res.Pushed
		k.accepted += res.Accepted
		if err != nil {
			k.failed++
			k.roundErrs[roundError(err)]++
			continue
		}
		k.rounds++
		k.latencies = append(k.latencies, time.Since(t0))
	}
}

// roundError names a failed round's error for the report: its code and,
// for a refused request, the status.
func roundError(err error) string {
	code := checkin.ErrorCode(err)
	if code == "" {
		code = "error"
	}
	return code
}

// scanLoop scans at the door until end, at random times mean apart (a
// Poisson process: people arrive independently), while the kiosk syncs
// on its own schedule, as a door's kiosk does.
func (k *kiosk) scanLoop(ctx context.Context, mean time.Duration, end time.Time) {
	for {
		next := time.Now().Add(time.Duration(k.rng.ExpFloat64() * float64(mean)))
		if !next.Before(end) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		k.scan(ctx)
	}
}

// scan has one of this door's people come in, or one who came in leave.
func (k *kiosk) scan(ctx context.Context) {
	exit := len(k.inside) > 0 && (len(k.outside) == 0 || k.rng.IntN(2) == 0)
	from := &k.outside
	dir := checkin.Entry
	if exit {
		from, dir = &k.inside, checkin.Exit
	}
	i := k.rng.IntN(len(*from))
	code := (*from)[i]
	d, err := k.db.Scan(ctx, checkin.Scan{Code: code, Door: k.door, Direction: dir})
	if err != nil {
		k.scanErrs++
		return
	}
	k.decisions[string(d.Reason)]++
	// Whoever scanned out has left; whoever was admitted is in.
	if exit || d.Kind == checkin.Admit {
		(*from)[i] = (*from)[len(*from)-1]
		*from = (*from)[:len(*from)-1]
		if exit {
			k.outside = append(k.outside, code)
		} else {
			k.inside = append(k.inside, code)
		}
	}
}

// drain syncs every kiosk once more, a few at a time, so that all they
// logged reaches the center. Each must succeed.
func drain(ctx context.Context, kiosks []*kiosk, rep *Report) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan *kiosk)
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				// A server still working off the load may fail a round
				// (offline: a 5xx): try again a few times.
				var (
					res kiosksync.Result
					err error
				)
				for try := 0; try < 5; try++ {
					var r kiosksync.Result
					r, err = k.syncer.Round(ctx)
					res.Accepted += r.Accepted
					if checkin.ErrorCode(err) != checkin.EOFFLINE || ctx.Err() != nil {
						break
					}
					time.Sleep(time.Second << try)
				}
				mu.Lock()
				rep.EventsDrained += int64(res.Accepted)
				if err != nil && first == nil {
					first = fmt.Errorf("final sync of kiosk %s: %w", k.id, err)
				}
				mu.Unlock()
			}
		}()
	}
	for _, k := range kiosks {
		next <- k
	}
	close(next)
	wg.Wait()
	return first
}

// verify compares, kiosk by kiosk, the events the center stored with the
// kiosk's own log: every one of them stored, once.
func verify(ctx context.Context, center *centralstore.DB, kiosks []*kiosk, rep *Report) error {
	st, err := center.Status(ctx)
	if err != nil {
		return err
	}
	stored := map[string]int64{}
	for _, s := range st.Kiosks {
		stored[s.ID] = s.Events
	}
	for _, k := range kiosks {
		var n, last int64
		if err := k.db.SQL().QueryRowContext(ctx, `SELECT count(*), coalesce(max(seq), 0) FROM scans`).Scan(&n, &last); err != nil {
			return fmt.Errorf("kiosk %s: %w", k.id, err)
		}
		waiting, err := k.db.Waiting(ctx)
		if err != nil {
			return err
		}
		rep.EventsLogged += n
		rep.EventsStored += stored[k.id]
		if stored[k.id] != n || n != last || waiting != 0 {
			rep.Mismatches = append(rep.Mismatches, Mismatch{Kiosk: k.id, Logged: n, Stored: stored[k.id], Waiting: waiting})
		}
	}
	return nil
}
