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
	"usher/sync/kiosksync"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && slices.Contains(kiosk.Commands, os.Args[1]) {
		os.Exit(kiosk.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if err := screen(ctx, os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "usher: %s\n", checkin.ErrorMessage(err))
		if checkin.ErrorCode(err) == checkin.EINTERNAL {
			fmt.Fprintf(os.Stderr, "  (%v)\n", err)
		}
		os.Exit(1)
	}
}

func screen(ctx context.Context, args []string) error {
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
	dbPath := fs.String("db", defaultDB(), "kiosk database `file`")
	door := fs.String("door", "", "door id (default: the last one chosen in staff mode, else the one enrolled for)")
	exit := fs.Bool("exit", false, "scan in the EXIT direction")
	full := fs.Bool("fullscreen", false, "open full screen")
	keyPath := fs.String("signing-key", "", "the event's badge signing key `file`, to print badges at this door (staff mode P, the PRINT mode)")
	fs.Parse(args)
	if fs.NArg() > 0 {
		fs.Usage()
		os.Exit(2)
	}

	tightenGC()
	db, err := kiosk.Open(*dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	ev := db.Event()
	var key ed25519.PrivateKey
	if *keyPath != "" {
		if key, err = badge.LoadKey(*keyPath); err != nil {
			return err
		}
		if err := badge.CheckKey(ev, key); err != nil {
			return fmt.Errorf("--signing-key %s: %w", *keyPath, err)
		}
	}

	a := fyneapp.NewWithID("io.usher.kiosk")
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	if a.Settings().ShowAnimations() {
		// The text cursor's fade repaints the window 60 times a second.
		fmt.Fprintln(os.Stderr, "usher: this build animates the text cursor, about 15 % of a core on a machine without a GPU; make build builds without (go build -tags no_animations)")
	}
	w := a.NewWindow("Usher — " + ev.Name)
	w.Resize(fyne.NewSize(1024, 600))
	opts := app.Options{Door: *door, Quit: a.Quit, SetTheme: a.Settings().SetTheme}
	if player, err := sound.Open(); err != nil {
		// Said once, here and in staff mode; the door works without.
		fmt.Fprintf(os.Stderr, "usher: sound off: %v\n", err)
		opts.NoSound = "no audio device"
	} else {
		opts.Speaker = speaker{player}
	}
	if *exit {
		opts.Direction = checkin.Exit
	}
	id, err := db.Identity(ctx)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: time.Minute}
	syncer := kiosksync.New(db, client)
	opts.Printer = &doorprint.Desk{Store: db, Key: key, Do: fyne.Do, Center: doorprint.Syncer(syncer)}
	var notify atomic.Bool // set once the kiosk is enrolled and syncing
	opts.OnScan = func() {
		if notify.Load() {
			syncer.Notify()
		}
	}
	if id.Enrolled() {
		opts.DefaultDoor = id.Door
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var k *app.Kiosk
	startSync := func() {
		syncer.OnStatus = func(st kiosksync.Status) {
			fyne.Do(func() { k.SetConnection(st.String()) })
		}
		syncer.Start(ctx)
		notify.Store(true)
	}
	// An enrollment QR scanned in staff mode: enroll in the background,
	// then sync under the new identity. A loop the center's revocation
	// stopped runs again; one still running is restarted.
	opts.Enroll = func(code string, done func(error)) {
		go func() {
			err := kiosksync.Enroll(ctx, db, code, client)
			fyne.Do(func() {
				if err == nil {
					syncer.Stop()
					startSync()
				}
				done(err)
			})
		}()
	}
	k, err = app.New(w, db, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", *dbPath, err)
	}
	go func() {
		// The name search's memory, filled before staff first need it.
		if err := db.WarmSearch(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "usher: name search: %v\n", err)
		}
	}()
	w.SetFullScreen(*full)
	go k.Run(ctx)
	if id.Enrolled() {
		startSync()
	}
	defer syncer.Stop()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return nil
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

// speaker plays the screen's tones through the machine's audio device.
type speaker struct{ p *sound.Player }

var tones = map[app.Sound]sound.Tone{
	app.SoundAdmit: sound.Admit, app.SoundDeny: sound.Deny, app.SoundExit: sound.Exit, app.SoundWarn: sound.Warn,
}

func (s speaker) Play(t app.Sound) {
	if tone, ok := tones[t]; ok {
		s.p.Play(tone)
	}
}

func (s speaker) SetVolume(percent int) { s.p.SetVolume(float64(percent) / 100) }
