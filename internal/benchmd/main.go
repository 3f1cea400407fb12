// Command benchmd writes BENCHMARKS.md from the output of `go test
// -bench` (the files named on the command line, or standard input): the
// machine it ran on, a table of each operation beside its floor measured
// in the same run, with the ratio and the goal it is held against, and
// the raw output below. `make bench` runs the benchmarks and then this;
// nothing in the file is written by hand.
//
//	go run ./internal/benchmd -o BENCHMARKS.md bench.txt
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	out := flag.String("o", "BENCHMARKS.md", "file to write")
	flag.Parse()
	var raw bytes.Buffer
	if flag.NArg() == 0 {
		if _, err := io.Copy(&raw, os.Stdin); err != nil {
			fail(err)
		}
	}
	for _, name := range flag.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			fail(err)
		}
		raw.Write(b)
	}
	res, err := Parse(bytes.NewReader(raw.Bytes()))
	if err != nil {
		fail(err)
	}
	var doc bytes.Buffer
	Write(&doc, DescribeMachine(), res, raw.String())
	if err := os.WriteFile(*out, doc.Bytes(), 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchmd:", err)
	os.Exit(1)
}

// Results holds each benchmark's metrics, by name without the
// -GOMAXPROCS suffix and by unit, one value per run (-count).
type Results map[string]map[string][]float64

// Parse reads `go test -bench` output; lines other than benchmark
// results are skipped. It returns an error for a benchmark line it
// cannot read, naming the line.
func Parse(r io.Reader) (Results, error) {
	res := Results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // a benchmark's log line, not its result
		}
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("line %d: %q: a value without its unit", n, sc.Text())
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		if res[name] == nil {
			res[name] = map[string][]float64{}
		}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %q: %v", n, sc.Text(), err)
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	return res, sc.Err()
}

// Median returns the median of a benchmark's metric over its runs, and
// whether there was any.
func (r Results) Median(name, unit string) (float64, bool) {
	vs := slices.Clone(r[name][unit])
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

// Goal is one row of the table: an operation measured against its floor.
type Goal struct {
	Operation string
	// Measured and Floor name a benchmark and a metric unit each; Floor
	// is empty for a goal on an absolute figure.
	Measured, Floor [2]string
	// Ratio, when set, names a metric that is the ratio itself, measured
	// run by run (Paired scans); else it is Measured / Floor of the
	// medians.
	Ratio [2]string
	// CPU names the benchmarks whose cpu-ns/op metrics are the measured
	// and the floor's CPU time, when they report it: a ratio the disk's
	// drift does not blur.
	CPU [2]string
	// Max is the most the ratio (or, without a floor, the measured
	// figure) may be; Percent shows the ratio as a percentage.
	Max     float64
	Zero    bool // the goal is a figure of 0 (ticks missed)
	Percent bool
	Unit    string // of an absolute figure: "ms"
	Note    string
	// Why, when set, is why the goal is not met on this machine with
	// the figures that show it: shown under the table when it is not.
	Why string
}

// machineCores is this machine's core count, in words.
var machineCores = strconv.Itoa(runtime.NumCPU())

// loadWhy is why make load's schedule is not kept here: its rows of CPU
// per round and cores needed give the figures.
const loadWhy = "the 500 simulated kiosks run on this machine beside the server, and every round costs CPU on both sides: " +
	"at the CPU per round measured in the same run, the 250 rounds a second asked need more cores than the machine has " +
	"(the rows \"cores the asked rounds need\"), so rounds queue for the CPU whatever the server does; " +
	"the kiosks' share alone is work that 500 separate machines do at a real event"

// Goals are the performance goals, at 500,000 people.
var Goals = []Goal{
	{Operation: "Badge scan", Measured: [2]string{"BenchmarkScan/Paired", "scan-ns/op"},
		Floor: [2]string{"BenchmarkScan/Paired", "floor-ns/op"}, Ratio: [2]string{"BenchmarkScan/Paired", "scan/floor"},
		CPU: [2]string{"BenchmarkScan/Scan", "BenchmarkScan/Floor"}, Max: 1.3,
		Note: "store.Scan beside a code lookup plus one inserted log row in one transaction, same pragmas, alternated one by one"},
	{Operation: "Scan at 500,000 people ÷ scan at 5,000", Measured: [2]string{"BenchmarkScanScale", "big-ns/op"},
		Floor: [2]string{"BenchmarkScanScale", "small-ns/op"}, Ratio: [2]string{"BenchmarkScanScale", "big/small"}, Max: 1.2,
		Note: "the same scan pattern on the roster and on a 5,000-person database built the same way, alternated scan by scan"},
	{Operation: "CSV import", Measured: [2]string{"BenchmarkImport/Import", "ns/op"},
		Floor: [2]string{"BenchmarkImport/BulkInsert", "ns/op"}, CPU: [2]string{"BenchmarkImport/Import", "BenchmarkImport/BulkInsert"}, Max: 1.5,
		Note: "roster.Read + store.Load into a fresh database beside a bulk insert of the same people and codes"},
	{Operation: "Full pull, applied", Measured: [2]string{"BenchmarkPull/Apply", "ns/op"},
		Floor: [2]string{"BenchmarkPull/ApplyFloor", "ns/op"}, CPU: [2]string{"BenchmarkPull/Apply", "BenchmarkPull/ApplyFloor"}, Max: 2,
		Note: "a new kiosk enrolling and applying the whole roster over loopback HTTP beside a bulk insert of the same rows"},
	{Operation: "Push + merge of 100,000 offline scans", Measured: [2]string{"BenchmarkPush/Push", "ns/op"},
		Floor: [2]string{"BenchmarkPush/PushFloor", "ns/op"}, CPU: [2]string{"BenchmarkPush/Push", "BenchmarkPush/PushFloor"}, Max: 2,
		Note: "one sync round of a kiosk back online beside a bulk insert of the same events into the center's events table",
		Why: "the floor leaves out the wire, which no push can: reading the kiosk's log, 100 requests of 1,000 events as gzip-compressed JSON, " +
			"decoding them and a transaction per request. That alone (the next row's floor) took 2.7× the bulk insert at 500,000 people " +
			"when it was first measured; the next row sets the push, with every rule the center runs and the live figures each push keeps " +
			"for the status and the dashboard, beside it"},
	{Operation: "Push + merge of 100,000 offline scans, beside the wire", Measured: [2]string{"BenchmarkPush/Push", "ns/op"},
		Floor: [2]string{"BenchmarkPush/PushWireFloor", "ns/op"}, CPU: [2]string{"BenchmarkPush/Push", "BenchmarkPush/PushWireFloor"},
		Note: "the same round beside the least a push over the wire can do: the kiosk's log read in batches, sent as the syncer sends it " +
			"over loopback HTTP, decoded and inserted, one transaction per request, no rule run; no goal"},
	{Operation: "Incremental pull, 100 people changed", Measured: [2]string{"BenchmarkPull/Incremental100", "bytes/pull"},
		Floor: [2]string{"BenchmarkPull/Full", "bytes/pull"}, Max: 0.01, Percent: true,
		Note: "bytes on the wire with gzip, against the full pull's: 60 edited, 20 reprinted badges, 10 new, 10 removed"},
	{Operation: "Name search, median", Measured: [2]string{"BenchmarkSearch", "median-ms"}, Max: 20, Unit: "ms",
		Note: "store.Search over the roster: prefixes, full names, mixed case, accents, companies, ids, no match"},
	{Operation: "Name search, 95th percentile", Measured: [2]string{"BenchmarkSearch", "p95-ms"}, Unit: "ms",
		Note: "the same queries; no goal"},
	{Operation: "Name search, the first after opening", Measured: [2]string{"BenchmarkSearch", "first-ms"}, Max: 100, Unit: "ms",
		Note: "the first search on a handle opened on the roster, issued as the screen opens, with the search text being read in the background as main does"},
	{Operation: "Restart to first decision, 1,000,000 scans in the log", Measured: [2]string{"BenchmarkRestart", "restart-ms"}, Max: 1000, Unit: "ms",
		Note: "store.Open of a kiosk with the roster and a million logged scans through its first scan's decision, from the snapshot of presence and rights " +
			"(median of seven starts a run)"},
	{Operation: "Restart, replaying the whole log", Measured: [2]string{"BenchmarkRestart", "replay-ms"}, Unit: "ms",
		Note: "the same start with the snapshot removed, as every start was before; no goal"},
	{Operation: "usher load of 500,000 people, peak memory", Measured: [2]string{"BenchmarkLoadPeak", "peak-MB"}, Max: 150, Unit: "MB",
		Note: "the real binary loading the roster's CSV into a new database, its peak resident memory (the kernel's maxrss)"},
	{Operation: "usher load again, the same roster, peak memory", Measured: [2]string{"BenchmarkLoadPeak", "reload-peak-MB"}, Unit: "MB",
		Note: "the same load into the database it made, every person compared with the stored one; no goal"},
	{Operation: "Center status poll, 1,000,000 events from 500 kiosks, 99th percentile", Measured: [2]string{"BenchmarkStatusPoll", "p99-ms"},
		Max: 50, Unit: "ms",
		Note: "centralstore.Status on a center whose million events were pushed through Ingest: live figures kept by each push, not a replay"},
	{Operation: "Center status poll, median", Measured: [2]string{"BenchmarkStatusPoll", "p50-ms"}, Unit: "ms",
		Note: "the same polls; no goal"},
	{Operation: "Center status, replaying every event", Measured: [2]string{"BenchmarkStatusPoll", "replay-ms"}, Unit: "ms",
		Note: "one full replay, as every poll was before; no goal"},
	{Operation: "Dashboard's door totals and trends, 1,000,000 events, 99th percentile", Measured: [2]string{"BenchmarkStatusPoll", "dash-p99-ms"},
		Max: 50, Unit: "ms",
		Note: "dashboard.BuildView as the live fragment's poll builds it: the status, and the doors' totals and the trend lines from the figures each push " +
			"keeps (the report's steps and their sums), not from every stay"},
	{Operation: "Badge sheets, 10,000 badges (PDF)", Measured: [2]string{"BenchmarkBadgesPDF", "ns/op"},
		Note: "no goal"},
	{Operation: "Idle CPU of the open screen, 60 s", Measured: [2]string{"BenchmarkIdleCPU", "cpu-%"}, Max: 2, Unit: "% of a core",
		Note: "the real binary as make build builds it (without Fyne's animations) in a 1024×600 Xvfb screen, after 5 s to settle: its CPU time over 60 s of wall time"},
	{Operation: "Memory of the open screen, idle", Measured: [2]string{"BenchmarkIdleCPU", "idle-rss-MB"}, Unit: "MB",
		Note: "the same process's peak resident memory (VmHWM) after the idle minute; no goal"},
	{Operation: "Memory of the screen after 1,000 scans and 50 searches", Measured: [2]string{"BenchmarkIdleCPU", "rss-MB"}, Max: 200, Unit: "MB",
		Note: "the same process's peak resident memory (VmHWM) after 1,000 badges scanned and 50 names searched, typed into the window through xdotool",
		Why: "about 96 MB is fixed (software GL's libLLVM 55 MB, the binary 33 MB, swrast 8 MB) and about 50 MB is the live Go heap " +
			"(the fonts Fyne parses, with the 4.2 MB emoji fallback, 22–28 MB; the name search's text 15 MB); " +
			"the rest is the textures of text Fyne keeps for a minute after it was last drawn, most of them search lines redrawn at every letter: " +
			"a level that rises with the pace of scans and searches, not a leak"},
	{Operation: "make load on SQLite: round, 99th percentile", Measured: [2]string{"BenchmarkLoad/SQLite", "round-p99-ms"}, Max: 1000, Unit: "ms",
		Note: "usher-central loadtest: 500 real kiosks (SQLite files, the kiosk's sync code) syncing every 2 s for 60 s, 12 scans a minute at each door, " +
			"the server a process of its own; the kiosks and the server share this machine's cores",
		Why: loadWhy},
	{Operation: "make load on SQLite: ticks missed", Measured: [2]string{"BenchmarkLoad/SQLite", "ticks-missed"}, Zero: true,
		Note: "rounds not started because the kiosk's round before ran past them", Why: "as for the round's 99th percentile"},
	{Operation: "make load on SQLite: events merged", Measured: [2]string{"BenchmarkLoad/SQLite", "events/s"},
		Note: "events the center stored during the load, per second; no goal"},
	{Operation: "make load on SQLite: server CPU per round", Measured: [2]string{"BenchmarkLoad/SQLite", "server-cpu-ms/round"}, Unit: "ms",
		Note: "the server process's CPU time over the load, per round completed; no goal"},
	{Operation: "make load on SQLite: kiosks' CPU per round", Measured: [2]string{"BenchmarkLoad/SQLite", "kiosk-cpu-ms/round"}, Unit: "ms",
		Note: "the simulated kiosks' CPU time (their scans, sync and SQLite files), per round completed; no goal"},
	{Operation: "make load on SQLite: cores the asked rounds need", Measured: [2]string{"BenchmarkLoad/SQLite", "cores-needed"}, Unit: "cores",
		Note: "250 rounds a second (500 kiosks every 2 s) at the CPU per round above, server and kiosks together; this machine has " + machineCores},
	{Operation: "make load on PostgreSQL: round, 99th percentile", Measured: [2]string{"BenchmarkLoad/PostgreSQL", "round-p99-ms"}, Max: 1000, Unit: "ms",
		Note: "the same load, the center on PostgreSQL on this machine", Why: loadWhy},
	{Operation: "make load on PostgreSQL: ticks missed", Measured: [2]string{"BenchmarkLoad/PostgreSQL", "ticks-missed"}, Zero: true,
		Note: "as on SQLite", Why: "as for the round's 99th percentile"},
	{Operation: "make load on PostgreSQL: events merged", Measured: [2]string{"BenchmarkLoad/PostgreSQL", "events/s"},
		Note: "as on SQLite; no goal"},
	{Operation: "make load on PostgreSQL: server CPU per round", Measured: [2]string{"BenchmarkLoad/PostgreSQL", "server-cpu-ms/round"}, Unit: "ms",
		Note: "as on SQLite; no goal"},
	{Operation: "make load on PostgreSQL: PostgreSQL's CPU per round", Measured: [2]string{"BenchmarkLoad/PostgreSQL", "db-cpu-ms/round"}, Unit: "ms",
		Note: "the PostgreSQL server's processes, per round completed; no goal"},
	{Operation: "make load on PostgreSQL: kiosks' CPU per round", Measured: [2]string{"BenchmarkLoad/PostgreSQL", "kiosk-cpu-ms/round"}, Unit: "ms",
		Note: "as on SQLite; no goal"},
	{Operation: "make load on PostgreSQL: cores the asked rounds need", Measured: [2]string{"BenchmarkLoad/PostgreSQL", "cores-needed"}, Unit: "cores",
		Note: "as on SQLite, PostgreSQL's CPU included"},
	{Operation: "Push: events merged per second from one kiosk", Measured: [2]string{"BenchmarkPush/Push", "events/s"},
		Note: "100,000 events over the push round's time; no goal"},
}

// figure formats a metric value by its unit.
func figure(v float64, unit string) string {
	switch {
	case strings.HasPrefix(unit, "ns/") || strings.HasSuffix(unit, "-ns/op"):
		d := time.Duration(v)
		switch {
		case d >= time.Second:
			return fmt.Sprintf("%.2f s", d.Seconds())
		case d >= time.Millisecond:
			return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
		default:
			return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
		}
	case strings.HasPrefix(unit, "bytes"):
		return fmt.Sprintf("%s bytes", thousands(int64(v)))
	case strings.HasSuffix(unit, "-ms"):
		return fmt.Sprintf("%.2f ms", v)
	case unit == "cpu-%":
		return fmt.Sprintf("%.1f %% of a core", v)
	case strings.HasSuffix(unit, "-MB"):
		return fmt.Sprintf("%.0f MB", v)
	case unit == "ticks-missed":
		return fmt.Sprintf("%.0f", v)
	case unit == "events/s":
		return fmt.Sprintf("%s events/s", thousands(int64(v+0.5)))
	}
	return fmt.Sprintf("%g %s", v, unit)
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Row is a goal's line of the table, as text.
type Row struct {
	Operation, Measured, Floor, Ratio, CPURatio, Goal, Met string
}

// Evaluate fills a goal's row from the results; a figure missing from
// them shows as "not run".
func Evaluate(g Goal, r Results) Row {
	row := Row{Operation: g.Operation, Floor: "—", Ratio: "—", CPURatio: "—", Goal: "—", Met: "—"}
	m, ok := r.Median(g.Measured[0], g.Measured[1])
	if !ok {
		row.Measured, row.Met = "not run", "not run"
		return row
	}
	row.Measured = figure(m, g.Measured[1])
	value := m
	if g.Floor[0] != "" {
		f, ok := r.Median(g.Floor[0], g.Floor[1])
		if !ok || f == 0 {
			row.Floor, row.Met = "not run", "not run"
			return row
		}
		row.Floor = figure(f, g.Floor[1])
		value = m / f
		if g.Ratio[0] != "" {
			if v, ok := r.Median(g.Ratio[0], g.Ratio[1]); ok {
				value = v
			}
		}
		if g.Percent {
			row.Ratio = fmt.Sprintf("%.3f %%", 100*value)
		} else {
			row.Ratio = fmt.Sprintf("%.2f×", value)
		}
		if g.CPU[0] != "" {
			mc, ok1 := r.Median(g.CPU[0], "cpu-ns/op")
			fc, ok2 := r.Median(g.CPU[1], "cpu-ns/op")
			if ok1 && ok2 && fc > 0 {
				row.CPURatio = fmt.Sprintf("%.2f×", mc/fc)
			}
		}
	}
	if g.Zero {
		row.Goal, row.Met = "0", "not met"
		if value == 0 {
			row.Met = "met"
		}
		return row
	}
	if g.Max == 0 {
		return row
	}
	switch {
	case g.Percent:
		row.Goal = fmt.Sprintf("≤ %g %%", 100*g.Max)
	case g.Floor[0] != "":
		row.Goal = fmt.Sprintf("≤ %g×", g.Max)
	default:
		row.Goal = fmt.Sprintf("≤ %g %s", g.Max, g.Unit)
	}
	row.Met = "not met"
	if value <= g.Max {
		row.Met = "met"
	}
	return row
}

// Write writes the document.
func Write(w io.Writer, machine []string, r Results, raw string) {
	fmt.Fprintln(w, "# Benchmarks")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Written by `make bench` (internal/benchmd): do not edit. Each operation runs at %s people\n", people())
	fmt.Fprintln(w, "beside its floor, measured in the same run; figures are medians over the runs of `-count`.")
	fmt.Fprintln(w, "The ratio is of wall-clock times; the CPU ratio, of the process's CPU time, which the")
	fmt.Fprintln(w, "disk's fsync latency does not blur.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Machine")
	fmt.Fprintln(w)
	for _, l := range machine {
		fmt.Fprintln(w, "- "+l)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Results")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| operation | measured | floor | ratio | CPU ratio | goal | |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|---|")
	rows := make([]Row, len(Goals))
	for i, g := range Goals {
		rows[i] = Evaluate(g, r)
		row := rows[i]
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n",
			row.Operation, row.Measured, row.Floor, row.Ratio, row.CPURatio, row.Goal, row.Met)
	}
	fmt.Fprintln(w)
	for i, g := range Goals {
		fmt.Fprintf(w, "- **%s**: %s.", g.Operation, g.Note)
		if rows[i].Met == "not met" && g.Why != "" {
			fmt.Fprintf(w, " Not met: %s.", g.Why)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Raw output")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "```")
	fmt.Fprint(w, strings.TrimRight(raw, "\n")+"\n")
	fmt.Fprintln(w, "```")
}

// people is the roster size the benchmarks ran at: USHER_BENCH_PEOPLE
// as internal/benchfix reads it, else 500,000.
func people() string {
	if n, err := strconv.Atoi(strings.ReplaceAll(os.Getenv("USHER_BENCH_PEOPLE"), "_", "")); err == nil {
		return thousands(int64(n))
	}
	return "500,000"
}

// DescribeMachine says what the benchmarks ran on: CPU, cores, memory,
// OS, Go, the temp folder's file system (where the databases were), and
// the date.
func DescribeMachine() []string {
	var lines []string
	cpu, cores := cpuInfo()
	lines = append(lines, fmt.Sprintf("CPU: %s, %d cores (GOMAXPROCS %d)", cpu, cores, runtime.GOMAXPROCS(0)))
	lines = append(lines, "Memory: "+memTotal())
	lines = append(lines, "OS: "+osName())
	lines = append(lines, "Go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	lines = append(lines, "Temp folder: "+tempFS())
	lines = append(lines, "Date: "+time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	return lines
}

func cpuInfo() (string, int) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH + " (no /proc/cpuinfo)", runtime.NumCPU()
	}
	model, n := "", 0
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "processor":
			n++
		case "model name":
			if model == "" {
				model = strings.TrimSpace(v)
			}
		}
	}
	if model == "" {
		model = "unknown model"
	}
	return model, n
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				return fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return "unknown"
}

func osName() string {
	name := runtime.GOOS
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				name = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		name += ", kernel " + strings.TrimSpace(string(b))
	}
	return name
}

// tempFS names the temp folder and the file system it is on, from the
// longest mount point of /proc/mounts that holds it.
func tempFS() string {
	dir := os.TempDir()
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return dir
	}
	best, fs, dev := "", "", ""
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		if (dir == mp || strings.HasPrefix(dir, strings.TrimSuffix(mp, "/")+"/")) && len(mp) >= len(best) {
			best, dev, fs = mp, f[0], f[2]
		}
	}
	if fs == "" {
		return dir
	}
	return fmt.Sprintf("%s on %s (%s, mounted at %s)", dir, fs, dev, best)
}
