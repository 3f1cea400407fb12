// Package benchfix holds what the benchmarks of several packages share:
// the roster size they run at, the demo roster made once per process,
// the scan pattern they replay, the floor that bulk-inserts a roster into
// a kiosk database, and a CPU clock. `make bench` runs them at
// DefaultPeople; USHER_BENCH_PEOPLE runs them at another size, for quick
// runs while working on them.
package benchfix

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"usher/checkin"
	"usher/demo"
	"usher/roster"
)

// DefaultPeople is the roster size the performance goals are set at.
const DefaultPeople = 500_000

// People returns the roster size to benchmark at: USHER_BENCH_PEOPLE
// when set, else DefaultPeople. It panics on a value that is not a
// whole number from 2,000 up, the least the scan pattern needs.
func People() int {
	s := os.Getenv("USHER_BENCH_PEOPLE")
	if s == "" {
		return DefaultPeople
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil || n < 2000 {
		panic(fmt.Sprintf("USHER_BENCH_PEOPLE=%q: want a whole number of people from 2000 up", s))
	}
	return n
}

var (
	rosterOnce sync.Once
	people     []checkin.Person
	csv        []byte
	tags       []string
)

func makeRoster() {
	rosterOnce.Do(func() {
		people = demo.Roster(People())
		var b bytes.Buffer
		if err := roster.Write(&b, people); err != nil {
			panic(err)
		}
		csv = b.Bytes()
		tags = make([]string, len(people))
		for i, p := range people {
			tags[i] = strings.Join(p.Tags, ";")
		}
	})
}

// Roster returns the demo roster of People() people, made once per
// process. Callers must not change it.
func Roster() []checkin.Person {
	makeRoster()
	return people
}

// RosterCSV returns Roster as a generic roster CSV.
func RosterCSV() []byte {
	makeRoster()
	return csv
}

// ScanAt returns step s of an entry/exit pattern at door over the people
// from base on, keeping inside of them in: even steps admit the next
// person, odd steps let out the person admitted inside entries earlier.
// The even steps from -2*inside to -2 admit the first inside people, and
// the pattern goes on from step 0. Every scan of the pattern is an
// admission or an exit that moves someone, as long as the door's spaces
// hold inside people.
func ScanAt(people []checkin.Person, door string, inside, base, s int) checkin.Scan {
	n := len(people)
	if s%2 == 0 {
		return checkin.Scan{Code: people[(base+inside+s/2)%n].Code, Door: door, Direction: checkin.Entry}
	}
	return checkin.Scan{Code: people[(base+s/2)%n].Code, Door: door, Direction: checkin.Exit}
}

// BulkInsert is the least loading a roster into a kiosk database can do:
// every person and code of Roster()[:n] inserted with prepared
// statements in one transaction. sdb is a kiosk database (store.DSN)
// with the schema and no people.
func BulkInsert(ctx context.Context, sdb *sql.DB, n int) error {
	makeRoster()
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	insPerson, err := tx.PrepareContext(ctx, `INSERT INTO people (id, name, company, email, category, tags, removed) VALUES (?, ?, ?, ?, ?, ?, 0)`)
	if err != nil {
		return err
	}
	defer insPerson.Close()
	insCode, err := tx.PrepareContext(ctx, `INSERT INTO codes (code, person_id, revoked) VALUES (?, ?, 0)`)
	if err != nil {
		return err
	}
	defer insCode.Close()
	for i, p := range people[:n] {
		if _, err := insPerson.ExecContext(ctx, p.ID, p.Name, p.Company, p.Email, p.Category, tags[i]); err != nil {
			return err
		}
		if _, err := insCode.ExecContext(ctx, p.Code, p.ID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// CopyDB copies the SQLite database at src, with its write-ahead log if
// it has one, to dst; the copy opens as src would. src must not be
// written meanwhile.
func CopyDB(src, dst string) error {
	if err := copyFile(src, dst); err != nil {
		return err
	}
	err := copyFile(src+"-wal", dst+"-wal")
	if os.IsNotExist(err) {
		err = os.Remove(dst + "-wal")
	}
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.Remove(dst + "-shm"); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// RemoveDB removes a SQLite database file and its companions.
func RemoveDB(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// ScratchDir returns a new folder for databases that fixtures build and
// the benchmarks only copy: in memory (/dev/shm) where there is one, so
// building them does not wait for the disk, else in the temp folder.
// The caller removes it.
func ScratchDir() (string, error) {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "usher-bench-"); err == nil {
			return dir, nil
		}
	}
	return os.MkdirTemp("", "usher-bench-")
}

// CPUClock measures the process's CPU time (user + system) between Start
// and Stop. The disk's fsync latency on a shared machine drifts by 3×
// within a minute, which swamps ns/op; the CPU an operation burns does
// not drift, so cpu-ns/op compares where the wall clock cannot.
type CPUClock struct {
	B            *testing.B
	total, start time.Duration
}

func (c *CPUClock) Start() { c.start = cpuTime(c.B) }
func (c *CPUClock) Stop()  { c.total += cpuTime(c.B) - c.start }

// Report reports the CPU time per operation as cpu-ns/op.
func (c *CPUClock) Report() {
	c.B.ReportMetric(float64(c.total)/float64(c.B.N), "cpu-ns/op")
}

func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
