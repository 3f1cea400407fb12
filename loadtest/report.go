package loadtest

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Report is what a load test measured. Durations are in milliseconds,
// sizes in bytes.
type Report struct {
	Database    string         `json:"database"` // sqlite or postgres
	Server      string         `json:"server"`
	Kiosks      int            `json:"kiosks"`
	Doors       map[string]int `json:"doors"` // kiosks per door
	Every       string         `json:"every"`
	Duration    string         `json:"duration"`
	ScansPerMin float64        `json:"scans_per_min"`
	Elapsed     float64        `json:"elapsed_s"` // the load's wall time, seconds

	RoundsStarted int     `json:"rounds_started"`
	Rounds        int     `json:"rounds"`        // sync rounds completed
	RoundsFailed  int     `json:"rounds_failed"` // rounds that ended in an error
	TicksMissed   int     `json:"ticks_missed"`  // rounds not started because the one before ran past them
	RoundsPerSec  float64 `json:"rounds_per_s"`
	// RoundLatency is a whole round as the kiosk runs it: its own
	// database work and every request.
	RoundLatency Latency `json:"round_latency"`
	// Requests are the kiosks' requests by kind (push, rights, pull),
	// each timed from sending it to the end of the answer.
	Requests map[string]Latency `json:"requests"`
	// Errors are failed requests by kind and cause ("push: HTTP 500",
	// "pull: network") and failed rounds by error code ("round: offline").
	Errors map[string]int `json:"errors"`

	Scans     int            `json:"scans"`
	Decisions map[string]int `json:"decisions"` // scans by reason

	EventsPushed   int64 `json:"events_pushed"`   // during the load, resent ones included
	EventsAccepted int64 `json:"events_accepted"` // of which the center said it stored then (not those whose answer was lost)
	EventsDrained  int64 `json:"events_drained"`  // stored by the final sync after the load
	EventsLogged   int64 `json:"events_logged"`   // in the kiosks' logs at the end
	EventsStored   int64 `json:"events_stored"`   // the center's, of these kiosks
	// Mismatches are the kiosks whose log the center does not hold
	// exactly, each event once.
	Mismatches []Mismatch `json:"mismatches"`

	ServerCPUSeconds     float64 `json:"server_cpu_s"`
	ServerCPUPercent     float64 `json:"server_cpu_pct"` // of one core, over the load
	ServerRSS            int64   `json:"server_rss"`     // at the end of the load
	ServerRSSPeakSampled int64   `json:"server_rss_peak_sampled"`
	ServerRSSHWM         int64   `json:"server_rss_hwm"` // VmHWM: the peak over the server's life
	// The PostgreSQL server's CPU time, all its processes (and so any
	// other database's work on it too), when it runs on this machine.
	DatabaseCPUSeconds float64  `json:"database_cpu_s,omitempty"`
	DatabaseCPUPercent float64  `json:"database_cpu_pct,omitempty"`
	ClientCPUSeconds   float64  `json:"client_cpu_s"` // this process: the simulated kiosks
	ClientCPUPercent   float64  `json:"client_cpu_pct"`
	DatabaseBytes      int64    `json:"database_bytes"`
	ServerLogLines     int      `json:"server_log_lines"`
	ServerLog          []string `json:"server_log,omitempty"` // its last lines
	// ServerLogKinds counts the server's log lines by message, with
	// times, kiosk ids, addresses and numbers masked.
	ServerLogKinds map[string]int `json:"server_log_kinds,omitempty"`
}

// Latency sums up a set of durations, in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Mismatch is a kiosk whose log and the center's copy differ.
type Mismatch struct {
	Kiosk   string `json:"kiosk"`
	Logged  int64  `json:"logged"`  // events in the kiosk's log
	Stored  int64  `json:"stored"`  // of this kiosk at the center
	Waiting int    `json:"waiting"` // scans the kiosk still counts as unsent
}

// summarize returns the count, nearest-rank percentiles and maximum of d.
func summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	d = slices.Clone(d)
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	at := func(p float64) float64 {
		i := int(p*float64(len(d))+0.999999) - 1
		return ms(d[min(max(i, 0), len(d)-1)])
	}
	return Latency{Count: len(d), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ms(d[len(d)-1])}
}

// fill adds up the kiosks' rounds and the meter's requests.
func (r *Report) fill(kiosks []*kiosk, lat map[string][]time.Duration, errs map[string]int) {
	var rounds []time.Duration
	r.Decisions = map[string]int{}
	r.Errors = errs
	for _, k := range kiosks {
		r.RoundsStarted += k.started
		r.Rounds += k.rounds
		r.RoundsFailed += k.failed
		r.TicksMissed += k.missed
		rounds = append(rounds, k.latencies...)
		r.EventsPushed += int64(k.pushed)
		r.EventsAccepted += int64(k.accepted)
		for reason, n := range k.decisions {
			r.Decisions[reason] += n
			r.Scans += n
		}
		for code, n := range k.roundErrs {
			r.Errors["round: "+code] += n
		}
		if k.scanErrs > 0 {
			r.Errors["scan"] += k.scanErrs
		}
	}
	r.RoundLatency = summarize(rounds)
	if r.Elapsed > 0 {
		r.RoundsPerSec = float64(r.Rounds) / r.Elapsed
	}
	r.Requests = map[string]Latency{}
	for kind, d := range lat {
		r.Requests[kind] = summarize(d)
	}
}

// addServerLog takes the server's log into r: how many lines it wrote,
// its last lines (each cut at 240 bytes) and its lines by message. It
// fails if the server exited during the test.
func (r *Report) addServerLog(srv *serverProcess) error {
	r.ServerLogLines, r.ServerLog = srv.Log()
	r.ServerLogKinds = srv.Kinds()
	for i, l := range r.ServerLog {
		if len(l) > 240 {
			r.ServerLog[i] = l[:240] + "…"
		}
	}
	if srv.Exited() {
		return errors.New("the server exited during the test")
	}
	return nil
}

// addCPU adds the CPU time this process, the server process (srv; nil:
// not measured) and the PostgreSQL server (pg; "": not measured) spent
// since start, over the elapsed time of the load, and the server's
// memory at its end.
func (r *Report) addCPU(start cpuTimes, elapsed time.Duration, srv *serverProcess, pg string) error {
	self, err := cpuTime("self")
	if err != nil {
		return err
	}
	r.Elapsed = elapsed.Seconds()
	r.ClientCPUSeconds = (self - start.self).Seconds()
	r.ClientCPUPercent = 100 * r.ClientCPUSeconds / r.Elapsed
	if pg != "" {
		database, err := treeCPU(pg)
		if err != nil {
			return fmt.Errorf("PostgreSQL server process: %w", err)
		}
		r.DatabaseCPUSeconds = (database - start.database).Seconds()
		r.DatabaseCPUPercent = 100 * r.DatabaseCPUSeconds / r.Elapsed
	}
	if srv != nil {
		server, err := cpuTime(srv.pid)
		if err != nil {
			return fmt.Errorf("server process: %w", err)
		}
		r.ServerCPUSeconds = (server - start.server).Seconds()
		r.ServerCPUPercent = 100 * r.ServerCPUSeconds / r.Elapsed
		if r.ServerRSS, r.ServerRSSHWM, err = memory(srv.pid); err != nil {
			return fmt.Errorf("server process: %w", err)
		}
	}
	return nil
}

// ErrorCount is the number of failed requests, rounds and scans.
func (r *Report) ErrorCount() int {
	n := 0
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// WriteTable writes r for people to read.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "Load test: %d kiosks syncing every %s for %s, %g scans a minute at each door, %s at %s\n\n",
		r.Kiosks, r.Every, r.Duration, r.ScansPerMin, r.Database, r.Server)
	r.writeRounds(w)
	r.writeOutcome(w)
	r.writeCost(w)
	r.writeServerLog(w)
}

// field writes one line of the table: its label, then the text.
func field(w io.Writer, label, format string, args ...any) {
	fmt.Fprintf(w, "%-18s %s\n", label, fmt.Sprintf(format, args...))
}

// writeRounds writes the kiosks by door, the rounds and their latencies,
// whole and by request.
func (r *Report) writeRounds(w io.Writer) {
	var doors []string
	for _, d := range slices.Sorted(maps.Keys(r.Doors)) {
		doors = append(doors, fmt.Sprintf("%s %d", d, r.Doors[d]))
	}
	field(w, "kiosks", "%d (%s)", r.Kiosks, strings.Join(doors, ", "))
	field(w, "rounds", "%d started, %d completed, %d failed, %d ticks missed; %.1f rounds/s over %.1f s",
		r.RoundsStarted, r.Rounds, r.RoundsFailed, r.TicksMissed, r.RoundsPerSec, r.Elapsed)
	fmt.Fprintf(w, "%-18s %8s %9s %9s %9s %9s\n", "latency (ms)", "count", "p50", "p90", "p99", "max")
	row := func(name string, l Latency) {
		fmt.Fprintf(w, "  %-16s %8d %9.1f %9.1f %9.1f %9.1f\n", name, l.Count, l.P50, l.P90, l.P99, l.Max)
	}
	row("round", r.RoundLatency)
	for _, kind := range slices.Sorted(maps.Keys(r.Requests)) {
		row(kind, r.Requests[kind])
	}
}

// writeOutcome writes the errors, the scans by reason, the events pushed
// and stored, and the check of the center's events against the kiosks'
// logs.
func (r *Report) writeOutcome(w io.Writer) {
	if len(r.Errors) == 0 {
		field(w, "errors", "none")
	} else {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, r.Errors[k]))
		}
		field(w, "errors", "%s", strings.Join(parts, "; "))
	}
	var reasons []string
	for _, k := range slices.Sorted(maps.Keys(r.Decisions)) {
		reasons = append(reasons, fmt.Sprintf("%s %d", k, r.Decisions[k]))
	}
	field(w, "scans", "%d (%s)", r.Scans, strings.Join(reasons, ", "))
	field(w, "events", "%d pushed during the load (%d stored then), %d more by the final sync", r.EventsPushed, r.EventsAccepted, r.EventsDrained)
	check := "each kiosk's log stored exactly once"
	if len(r.Mismatches) > 0 {
		check = fmt.Sprintf("MISMATCH at %d kiosks, e.g. %+v", len(r.Mismatches), r.Mismatches[0])
	}
	field(w, "", "%d in the kiosks' logs, %d at the center: %s", r.EventsLogged, r.EventsStored, check)
	if n := r.EventsStored - r.EventsAccepted - r.EventsDrained; n != 0 {
		// A push the center stored whose answer never reached the kiosk
		// (it timed out) is sent again and counted a duplicate then.
		field(w, "", "%d stored by pushes whose answer was lost", n)
	}
}

// writeCost writes what the load cost: the server's CPU and memory,
// PostgreSQL's CPU, the kiosks' CPU, the CPU per round and the
// database's size.
func (r *Report) writeCost(w io.Writer) {
	if r.ServerRSSHWM > 0 {
		field(w, "server CPU", "%.1f s = %.0f%% of one core", r.ServerCPUSeconds, r.ServerCPUPercent)
		field(w, "server memory", "RSS %s at the end, %s peak sampled during the load, %s peak (VmHWM, enrollment included)",
			mib(r.ServerRSS), mib(r.ServerRSSPeakSampled), mib(r.ServerRSSHWM))
	} else {
		field(w, "server", "not measured (--server: another process)")
	}
	switch {
	case r.DatabaseCPUSeconds > 0:
		field(w, "PostgreSQL CPU", "%.1f s = %.0f%% of one core (the whole PostgreSQL server, other databases' work included)",
			r.DatabaseCPUSeconds, r.DatabaseCPUPercent)
	case r.Database == "postgres":
		field(w, "PostgreSQL CPU", "not measured (not a server on this machine whose processes are readable here)")
	}
	field(w, "kiosks' CPU", "%.1f s = %.0f%% of one core (this process: the simulated kiosks)", r.ClientCPUSeconds, r.ClientCPUPercent)
	if server, kiosks, database := r.CPUPerRound(); r.Rounds > 0 {
		field(w, "CPU per round", "server %.1f ms, kiosks %.1f ms, PostgreSQL %.1f ms: the %d kiosks every %s need %.1f cores",
			server, kiosks, database, r.Kiosks, r.Every, r.CoresNeeded())
	}
	field(w, "database", "%s", mib(r.DatabaseBytes))
}

// writeServerLog writes how many lines the server logged and its eight
// most frequent messages; nothing when it logged none.
func (r *Report) writeServerLog(w io.Writer) {
	if r.ServerLogLines <= 0 {
		return
	}
	field(w, "server log", "%d lines; by message:", r.ServerLogLines)
	kinds := slices.SortedFunc(maps.Keys(r.ServerLogKinds), func(a, b string) int {
		return cmp.Or(cmp.Compare(r.ServerLogKinds[b], r.ServerLogKinds[a]), cmp.Compare(a, b))
	})
	// Every warning and error, however rare: the one failed request
	// among thousands is what a reader looks for. Of the rest, the
	// commonest.
	loud := slices.DeleteFunc(slices.Clone(kinds), func(k string) bool { return !loudKind(k) })
	quiet := slices.DeleteFunc(kinds, loudKind)
	for _, k := range loud {
		field(w, "", "%6d× %s", r.ServerLogKinds[k], k)
	}
	for i, k := range quiet {
		if i == commonKinds {
			field(w, "", "… and %d other messages", len(quiet)-i)
			break
		}
		field(w, "", "%6d× %s", r.ServerLogKinds[k], k)
	}
}

// commonKinds is how many of the server's messages that are neither a
// warning nor an error the report lists.
const commonKinds = 8

// loudKind reports whether a message of the server's log is a warning
// or an error.
func loudKind(k string) bool {
	return strings.Contains(k, "level=ERROR") || strings.Contains(k, "level=WARN")
}

// CPUPerRound is the CPU time a completed round cost, in milliseconds:
// the server's, the simulated kiosks' (their scans included) and the
// PostgreSQL server's (0 when not measured); all 0 without rounds.
func (r *Report) CPUPerRound() (server, kiosks, database float64) {
	if r.Rounds == 0 {
		return 0, 0, 0
	}
	per := func(s float64) float64 { return 1000 * s / float64(r.Rounds) }
	return per(r.ServerCPUSeconds), per(r.ClientCPUSeconds), per(r.DatabaseCPUSeconds)
}

// CoresNeeded is how many cores the rounds asked for (every kiosk once
// per Every) would keep busy at the CPU a round cost in this run, the
// server's, the kiosks' and the database's together: on a machine with
// fewer, the load cannot keep its schedule however the work is ordered.
// 0 when the run completed no round or its Every does not parse.
func (r *Report) CoresNeeded() float64 {
	every, err := time.ParseDuration(r.Every)
	if err != nil || every <= 0 {
		return 0
	}
	server, kiosks, database := r.CPUPerRound()
	asked := float64(r.Kiosks) / every.Seconds()
	return (server + kiosks + database) / 1000 * asked
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// BenchLine is the report as one line of `go test -bench` output, named
// BenchmarkLoad/name, for internal/benchmd to put in BENCHMARKS.md: the
// round's latency, the ticks missed, the rounds that failed, the rounds
// and events merged per second, the server's CPU, the CPU per round of
// each side and the cores the asked rounds need (CoresNeeded).
func (r *Report) BenchLine(name string) string {
	perSec := func(n int64) float64 {
		if r.Elapsed <= 0 {
			return 0
		}
		return float64(n) / r.Elapsed
	}
	server, kiosks, database := r.CPUPerRound()
	return fmt.Sprintf("BenchmarkLoad/%s 1 %.0f ns/op %.1f round-p50-ms %.1f round-p99-ms %d ticks-missed %d rounds-failed "+
		"%.1f rounds/s %.1f events/s %d mismatches %.1f server-cpu-%% %.2f server-cpu-ms/round %.2f kiosk-cpu-ms/round "+
		"%.2f db-cpu-ms/round %.2f cores-needed",
		name, r.Elapsed*1e9, r.RoundLatency.P50, r.RoundLatency.P99, r.TicksMissed, r.RoundsFailed,
		r.RoundsPerSec, perSec(r.EventsAccepted), len(r.Mismatches), r.ServerCPUPercent, server, kiosks, database, r.CoresNeeded())
}
