package central

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"usher/loadtest"
)

// loadtestCmd: usher-central loadtest [--kiosks N] [--every D]
// [--duration D] [--scans-per-min N] [--people N] [--db D | --server URL
// --db D] [--kiosk-dir DIR] [--json] [--bench NAME] [--keep]
func loadtestCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central loadtest", flag.ContinueOnError)
	var cfg loadtest.Config
	fs.IntVar(&cfg.Kiosks, "kiosks", 500, "kiosks syncing at once")
	fs.DurationVar(&cfg.Every, "every", 2*time.Second, "each kiosk syncs this often")
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "how long the load lasts")
	fs.Float64Var(&cfg.ScansPerMin, "scans-per-min", 12, "scans a minute at each kiosk's door")
	fs.IntVar(&cfg.People, "people", 1000, "roster size of the demo event the test sets up (every kiosk pulls it all when it enrolls)")
	fs.StringVar(&cfg.DB, "db", "", "the center's database: a new SQLite `file` (default: a temporary one), or a "+
		"postgres:// URL of a server to make a fresh database on; with --server, that server's database")
	fs.StringVar(&cfg.Server, "server", "", "`URL` of a running server to load instead of starting one")
	fs.StringVar(&cfg.KioskDir, "kiosk-dir", defaultKioskDir(), "`folder` for the kiosks' database files: each kiosk has a disk "+
		"of its own, so by default they are kept in memory (/dev/shm), away from the server's disk")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	bench := fs.String("bench", "", "also print the report as a `go test -bench` line named BenchmarkLoad/`NAME`, for make bench")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the kiosk files and the database the test made")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: usher-central loadtest [--kiosks 500] [--every 2s] [--duration 60s] [--scans-per-min N] [--people N] [--db D | --server URL --db D] [--kiosk-dir DIR] [--json] [--bench NAME] [--keep]")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program to start the server with: %w", err)
	}
	cfg.ServerCmd = []string{exe, "serve"}
	cfg.Log = stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := loadtest.Run(ctx, cfg)
	if rep != nil {
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
		} else {
			rep.WriteTable(stdout)
		}
		if *bench != "" {
			fmt.Fprintln(stdout, rep.BenchLine(*bench))
		}
	}
	return err
}

// defaultKioskDir is /dev/shm where it is a folder (Linux's shared memory
// file system), else the system's temporary folder.
func defaultKioskDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return ""
}
