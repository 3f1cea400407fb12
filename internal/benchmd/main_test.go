package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: usher/store
cpu: AMD EPYC
BenchmarkScan/Scan-2         	    3000	   1000000 ns/op	    200000 cpu-ns/op	         1.000 moves/op
BenchmarkScan/Floor-2        	    3000	    900000 ns/op	    100000 cpu-ns/op
BenchmarkScan/Paired-2       	    3000	   2000000 ns/op	   1100000 scan-ns/op	    900000 floor-ns/op	         1.20 scan/floor
BenchmarkScan/Paired-2       	    3000	   2000000 ns/op	   1100000 scan-ns/op	    900000 floor-ns/op	         1.40 scan/floor
BenchmarkScan/Paired-2       	    3000	   2000000 ns/op	   1100000 scan-ns/op	    900000 floor-ns/op	         1.25 scan/floor
BenchmarkImport/Import-2     	       1	4000000000 ns/op
BenchmarkImport/BulkInsert-2 	       1	2000000000 ns/op
BenchmarkPull/Full-2         	       1	 349136726 ns/op	  10000000 bytes/pull
BenchmarkPull/Incremental100-2	       1	   7251326 ns/op	         0.02 %of-full	      2000 bytes/pull
BenchmarkSearch-2   	       1	92216775742 ns/op	      1925 max-ms	       21.5 median-ms	  0 missed/op
    bench_test.go:12: BenchmarkSearch 3 a log line
ok  	usher/store	105.972s
`

func TestEvaluate(t *testing.T) {
	r, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Row{
		// The median of the run-by-run ratios, not of the times.
		"Badge scan": {Measured: "1.1 ms", Floor: "900 µs", Ratio: "1.25×", CPURatio: "2.00×", Goal: "≤ 1.3×", Met: "met"},
		"CSV import": {Measured: "4.00 s", Floor: "2.00 s", Ratio: "2.00×", CPURatio: "—", Goal: "≤ 1.5×", Met: "not met"},
		"Incremental pull, 100 people changed": {Measured: "2,000 bytes", Floor: "10,000,000 bytes", Ratio: "0.020 %",
			CPURatio: "—", Goal: "≤ 1 %", Met: "met"},
		"Name search, median":          {Measured: "21.50 ms", Floor: "—", Ratio: "—", CPURatio: "—", Goal: "≤ 20 ms", Met: "not met"},
		"Full pull, applied":           {Measured: "not run", Floor: "—", Ratio: "—", CPURatio: "—", Goal: "—", Met: "not run"},
		"Name search, 95th percentile": {Measured: "not run", Floor: "—", Ratio: "—", CPURatio: "—", Goal: "—", Met: "not run"},
	}
	for _, g := range Goals {
		w, ok := want[g.Operation]
		if !ok {
			continue
		}
		w.Operation = g.Operation
		if got := Evaluate(g, r); got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", g.Operation, got, w)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"BenchmarkX-2 1 100 ns/op 5\n",
		"BenchmarkX-2 1 abc ns/op\n",
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("Parse(%q) = %v, want an error naming line 1", in, err)
		}
	}
}

func TestWrite(t *testing.T) {
	r, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	Write(&b, []string{"CPU: test"}, r, sample)
	doc := b.String()
	for _, s := range []string{"- CPU: test", "| Badge scan | 1.1 ms | 900 µs | 1.25× | 2.00× | ≤ 1.3× | met |",
		"BenchmarkImport/BulkInsert-2 \t       1\t2000000000 ns/op"} {
		if !strings.Contains(doc, s) {
			t.Errorf("the document lacks %q:\n%s", s, doc)
		}
	}
}

// A goal's reason for not being met shows under the table when it is
// not met, and only then.
func TestWhy(t *testing.T) {
	r, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	saved := Goals
	t.Cleanup(func() { Goals = saved })
	Goals = []Goal{
		{Operation: "Import", Measured: [2]string{"BenchmarkImport/Import", "ns/op"}, Floor: [2]string{"BenchmarkImport/BulkInsert", "ns/op"},
			Max: 1.5, Note: "slow", Why: "the floor is too low"},
		{Operation: "Scan", Measured: [2]string{"BenchmarkScan/Paired", "scan-ns/op"}, Floor: [2]string{"BenchmarkScan/Paired", "floor-ns/op"},
			Max: 1.3, Note: "fast", Why: "never shown"},
	}
	var b bytes.Buffer
	Write(&b, nil, r, sample)
	doc := b.String()
	if !strings.Contains(doc, "- **Import**: slow. Not met: the floor is too low.\n") {
		t.Errorf("the reason of a goal not met is missing:\n%s", doc)
	}
	if strings.Contains(doc, "never shown") || !strings.Contains(doc, "- **Scan**: fast.\n") {
		t.Errorf("a goal met shows a reason:\n%s", doc)
	}
}

// A goal of zero is met by zero only.
func TestZeroGoal(t *testing.T) {
	r, err := Parse(strings.NewReader("BenchmarkLoad/SQLite 1 30000000000 ns/op 0 ticks-missed 120.5 events/s\n" +
		"BenchmarkLoad/PostgreSQL 1 30000000000 ns/op 3 ticks-missed 99.4 events/s\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Row{
		"BenchmarkLoad/SQLite":     {Measured: "0", Goal: "0", Met: "met"},
		"BenchmarkLoad/PostgreSQL": {Measured: "3", Goal: "0", Met: "not met"},
	} {
		got := Evaluate(Goal{Operation: "ticks", Measured: [2]string{name, "ticks-missed"}, Zero: true}, r)
		if got.Measured != want.Measured || got.Goal != want.Goal || got.Met != want.Met {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	if got := Evaluate(Goal{Operation: "rate", Measured: [2]string{"BenchmarkLoad/SQLite", "events/s"}}, r); got.Measured != "121 events/s" {
		t.Errorf("events/s shown as %q", got.Measured)
	}
}
