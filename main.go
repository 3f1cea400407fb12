// Command usher is the door kiosk. With no subcommand it opens the scan
// screen; `usher load` builds its database from an event file and a
// roster, `usher scan` decides badge codes read from standard input, one
// JSON decision per line, `usher enroll` joins a central server, `usher
// sync` runs one push-and-pull round with it and `usher export` writes
// the headcount reports of the kiosk's scans.
package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	_ "early/locale" // before Fyne initialises: see its doc
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"usher/app"
	"usher/assets"
	"usher/badge"
	"usher/checkin"
	"usher/doorprint"
	"usher/kiosk"
	"usher/sound"
	"usher/store"
	"usher/sync/kiosksync"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && slices.Contains(kiosk.Commands, os.Args[1]) {
		os.Exit(kiosk.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	m := NewMain()
	m.ParseFlags(os.Args[1:])
	if err := m.Run(ctx); err != nil {
		m.Close()
		fmt.Fprintf(os.Stderr, "usher: %s\n", checkin.ErrorMessage(err))
		if checkin.ErrorCode(err) == checkin.EINTERNAL {
			fmt.Fprintf(os.Stderr, "  (%v)\n", err)
		}
		os.Exit(1)
	}
	m.Wait()
	// The window is closed and every scan was committed as it was made:
	// a database that fails to close now has lost nothing.
	m.Close()
}

// Main is the program that opens the kiosk screen: its flags, and the
// parts Run opens and Close closes.
type Main struct {
	// From the flags.
	DBPath     string // --db
	Door       string // --door
	Exit       bool   // --exit: the door scans people out
	FullScreen bool   // --fullscreen
	KeyPath    string // --signing-key

	db     *store.DB
	ui     fyne.App
	window fyne.Window
	cancel context.CancelFunc // ends Run's context: the screen's loop, the sync, an enrollment
	// client is the sync's and a staff-mode enrollment's: a pull page of
	// a large roster takes seconds, a dead link should not take minutes.
	client *http.Client
	syncer *kiosksync.Syncer
	// syncing is set once the syncer runs: from then on every scan
	// notifies it. Scans read it on the UI goroutine; Run sets it on
	// main's while the screen already runs.
	syncing atomic.Bool
	screen  *app.Kiosk
}

// NewMain returns a Main with the flags' defaults.
func NewMain() *Main {
	return &Main{DBPath: defaultDB(), client: &http.Client{Timeout: time.Minute}}
}

// ParseFlags sets m's flags from args, the command line after the
// program's name. Bad usage prints the usage and exits 2, -h exits 0.
func (m *Main) ParseFlags(args []string) {
	fs := flag.NewFlagSet("usher", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: usher [--db K.db] [--door DOOR] [--exit] [--fullscreen] [--signing-key FILE]   open the kiosk screen
       usher load --db K.db --event event.toml [--roster roster.csv]
       usher scan --db K.db [--door DOOR] [--exit]
       usher enroll --db K.db CODE
       usher sync --db K.db
       usher export --db K.db --format csv|xlsx|png|svg --out PATH [--force]
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&m.DBPath, "db", m.DBPath, "kiosk database `file`")
	fs.StringVar(&m.Door, "door", m.Door, "door id (default: the last one chosen in staff mode, else the one enrolled for)")
	fs.BoolVar(&m.Exit, "exit", m.Exit, "scan in the EXIT direction")
	fs.BoolVar(&m.FullScreen, "fullscreen", m.FullScreen, "open full screen")
	fs.StringVar(&m.KeyPath, "signing-key", m.KeyPath, "the event's badge signing key `file`, to print badges at this door (staff mode P, the PRINT mode)")
	fs.Parse(args)
	if fs.NArg() > 0 {
		fs.Usage()
		os.Exit(2)
	}
}

// Run opens the kiosk's database and its badge signing key, builds the
// window and the screen on them, and starts the screen's loop and, on
// an enrolled kiosk, the sync, all under ctx; Wait then shows the
// window. Close closes what Run opened, also when Run fails.
func (m *Main) Run(ctx context.Context) (err error) {
	tightenGC()
	if m.db, err = kiosk.Open(m.DBPath); err != nil {
		return err
	}
	key, err := m.loadKey()
	if err != nil {
		return err
	}
	m.openWindow()
	opts := m.screenOptions()
	id, err := m.db.Identity(ctx)
	if err != nil {
		return err
	}
	if id.Enrolled() {
		opts.DefaultDoor = id.Door
	}

	// The sync: scans notify it, the badge desk asks the center through
	// it for a reprint's serial, and an enrollment QR scanned in staff
	// mode (re)starts it.
	ctx, m.cancel = context.WithCancel(ctx)
	m.syncer = kiosksync.New(m.db, m.client)
	opts.Printer = &doorprint.Desk{Store: m.db, Key: key, Do: fyne.Do, Center: doorprint.Syncer(m.syncer)}
	opts.OnScan = m.notifySync
	opts.Enroll = func(code string, done func(error)) { m.enroll(ctx, code, done) }

	if m.screen, err = app.New(m.window, m.db, opts); err != nil {
		return fmt.Errorf("%s: %w", m.DBPath, err)
	}
	go m.warmSearch(ctx)
	m.window.SetFullScreen(m.FullScreen)
	go m.screen.Run(ctx)
	if id.Enrolled() {
		m.startSync(ctx)
	}
	go m.quitWhenDone(ctx)
	return nil
}

// Wait shows the window and returns once it is closed, or once Run's
// context ends. Fyne's loop runs on the calling goroutine, which must be
// main's.
func (m *Main) Wait() {
	m.window.ShowAndRun()
}

// Close stops and closes, in reverse order, what Run started and
// opened: the sync, the screen's loop (by ending its context), the
// database.
func (m *Main) Close() error {
	if m.syncer != nil {
		m.syncer.Stop()
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.db != nil {
		return m.db.Close()
	}
	return nil
}

// loadKey reads the badge signing key --signing-key names and checks it
// signs for the database's event; nil without the flag.
func (m *Main) loadKey() (ed25519.PrivateKey, error) {
	if m.KeyPath == "" {
		return nil, nil
	}
	key, err := badge.LoadKey(m.KeyPath)
	if err != nil {
		return nil, err
	}
	if err := badge.CheckKey(m.db.Event(), key); err != nil {
		return nil, fmt.Errorf("--signing-key %s: %w", m.KeyPath, err)
	}
	return key, nil
}

// openWindow makes the Fyne app and its window, titled with the event's
// name.
func (m *Main) openWindow() {
	m.ui = fyneapp.NewWithID("io.usher.kiosk")
	m.ui.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	if m.ui.Settings().ShowAnimations() {
		// The text cursor's fade repaints the window 60 times a second.
		fmt.Fprintln(os.Stderr, "usher: this build animates the text cursor, about 15 % of a core on a machine without a GPU; make build builds without (go build -tags no_animations)")
	}
	m.window = m.ui.NewWindow("Usher — " + m.db.Event().Name)
	m.window.Resize(fyne.NewSize(1024, 600))
}

// screenOptions are the screen's options from the flags and the
// machine: the door and the direction, the app's quit and theme, and the
// speaker or why there is none.
func (m *Main) screenOptions() app.Options {
	opts := app.Options{Door: m.Door, Quit: m.ui.Quit, SetTheme: m.ui.Settings().SetTheme}
	if player, err := sound.Open(); err != nil {
		// Said once, here and in staff mode; the door works without.
		fmt.Fprintf(os.Stderr, "usher: sound off: %v\n", err)
		opts.NoSound = "no audio device"
	} else {
		opts.Speaker = speaker{player}
	}
	if m.Exit {
		opts.Direction = checkin.Exit
	}
	return opts
}

// notifySync tells the sync, once it runs, that a scan was recorded.
func (m *Main) notifySync() {
	if m.syncing.Load() {
		m.syncer.Notify()
	}
}

// startSync starts the sync loop, its state shown on the screen, and
// lets scans notify it.
func (m *Main) startSync(ctx context.Context) {
	m.syncer.OnStatus = func(st kiosksync.Status) {
		fyne.Do(func() { m.screen.SetConnection(st.String()) })
	}
	m.syncer.Start(ctx)
	m.syncing.Store(true)
}

// enroll handles an enrollment QR scanned in staff mode: it enrolls in
// the background, then syncs under the new identity (a loop the
// center's revocation stopped runs again; one still running is
// restarted) and calls done, on the UI goroutine.
func (m *Main) enroll(ctx context.Context, code string, done func(error)) {
	go func() {
		err := kiosksync.Enroll(ctx, m.db, code, m.client)
		fyne.Do(func() {
			if err == nil {
				m.syncer.Stop()
				m.startSync(ctx)
			}
			done(err)
		})
	}()
}

// warmSearch fills the name search's memory before staff first need it.
func (m *Main) warmSearch(ctx context.Context) {
	if err := m.db.WarmSearch(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "usher: name search: %v\n", err)
	}
}

// quitWhenDone quits the app when ctx ends (a signal, or Close), so that
// Wait returns.
func (m *Main) quitWhenDone(ctx context.Context) {
	<-ctx.Done()
	fyne.Do(m.ui.Quit)
}

// screenGC is the GOGC the screen runs at, unless GOGC says otherwise.
// Its live heap is some 60 MB at 500,000 people (the name search's text,
// the fonts Fyne parsed) and stays there, while every scan and every
// letter typed into the search makes garbage (text drawn, results): at
// Go's default of 100 the heap grew to twice the live size between
// collections, about 60 MB of resident memory that held nothing. At 50
// it grows by half: collections come twice as often while people are
// scanned and typed for, and not at all while the screen is idle.
const screenGC = 50

// tightenGC sets the screen's GOGC.
func tightenGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(screenGC)
	}
}

// defaultDB is where a kiosk keeps its database when --db is not given.
func defaultDB() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "usher.db"
	}
	return filepath.Join(dir, "usher", "kiosk.db")
}
