package roster_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"usher/checkin"
	"usher/demo"
	"usher/roster"
)

// MustDemoCSV returns the demo roster of n people as a generic CSV.
func MustDemoCSV(tb testing.TB, n int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := roster.Write(&b, demo.Roster(n)); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestStreamReadsAsItGoes: after the check of its encoding, a stream
// reads a CSV file as the rows are asked for. Once the first person is
// read from a file of 8 MB, the file has been read no further than the
// first MiB (where the separator is sniffed from) and a few rows.
func TestStreamReadsAsItGoes(t *testing.T) {
	data := MustDemoCSV(t, 100_000)
	if len(data) < 7<<20 {
		t.Fatalf("the roster is only %d bytes", len(data))
	}
	r := bytes.NewReader(data)
	s, err := roster.NewStream(r, fileName, demo.Event(), roster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	if at, _ := r.Seek(0, io.SeekCurrent); at > 1<<20+64<<10 {
		t.Errorf("after the first person the file is read to byte %d of %d", at, len(data))
	}
}

// TestStreamBadRowNearEnd: a stream yields the people before a bad row
// near the end of the file, then the error Parse returns for the file.
func TestStreamBadRowNearEnd(t *testing.T) {
	ev := demo.Event()
	lines := strings.Split(strings.TrimSuffix(string(MustDemoCSV(t, 3000)), "\n"), "\n")
	lines[2990] = strings.Replace(lines[2990], ",attendee,", ",wizard,", 1)
	lines[2995] = lines[10] // a repeat of line 11's id and code
	data := []byte(strings.Join(lines, "\n") + "\n")
	_, parseErr := roster.Parse(bytes.NewReader(data), fileName, ev, roster.Options{})
	if parseErr == nil {
		t.Fatal("Parse read the bad roster")
	}
	for _, want := range []string{"roster.csv:2991, column 3 (category)", "roster.csv:2996, column 1 (id)", "already used on line 11"} {
		if !strings.Contains(parseErr.Error(), want) {
			t.Errorf("Parse's error does not say %q: %v", want, parseErr)
		}
	}
	s, err := roster.NewStream(bytes.NewReader(data), fileName, ev, roster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	for {
		_, err = s.Next()
		if err != nil {
			break
		}
		n++
	}
	if n != 2989 {
		t.Errorf("yielded %d people, want the 2989 before the bad row", n)
	}
	if checkin.ErrorCode(err) != checkin.EINVALID || err.Error() != parseErr.Error() {
		t.Errorf("the stream ends with %v\nwant Parse's %v", err, parseErr)
	}
	if _, again := s.Next(); again != err {
		t.Errorf("Next after the error: %v", again)
	}
	if s.Check() == nil {
		t.Error("Check after the error found no problem")
	}
}

// TestStreamYielded: Yielded says which ids a stream gave, not those of
// rows set aside or of rows after a problem.
func TestStreamYielded(t *testing.T) {
	ev := demo.Event()
	csv := "id,name,category,code\n" +
		"P1,Ada,attendee,U-AAAA1111\n" +
		"P2,Bob,wizard,U-BBBB2222\n" + // set aside, or the problem
		"P3,Cy,attendee,U-CCCC3333\n"
	cases := map[bool]map[string]bool{
		true:  {"P1": true, "P2": false, "P3": true, "P4": false},
		false: {"P1": true, "P2": false, "P3": false, "P4": false},
	}
	for setAside, want := range cases {
		s, err := roster.NewStream(strings.NewReader(csv), fileName, ev, roster.Options{SetAside: setAside})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Check(); (err == nil) != setAside {
			t.Errorf("SetAside %v: Check: %v", setAside, err)
		}
		for id, w := range want {
			if got := s.Yielded(id); got != w {
				t.Errorf("SetAside %v: Yielded(%s) = %v, want %v", setAside, id, got, w)
			}
		}
		s.Close()
	}
}
