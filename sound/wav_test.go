package sound_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"usher/sound"
)

func TestWAVHeaderOfKnownSamples(t *testing.T) {
	pcm := []byte{0x00, 0x00, 0xff, 0x7f, 0x01, 0x80} // 0, max, min
	var buf bytes.Buffer
	if err := sound.WAV(&buf, pcm); err != nil {
		t.Fatal(err)
	}
	want := "RIFF\x2a\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00" +
		"\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00data\x06\x00\x00\x00" + string(pcm)
	if got := buf.String(); got != want {
		t.Errorf("WAV =\n%q\nwant\n%q", got, want)
	}
}

func TestWAVErrors(t *testing.T) {
	t.Run("OddLength", func(t *testing.T) {
		err := sound.WAV(&bytes.Buffer{}, make([]byte, 3))
		if err == nil || !strings.Contains(err.Error(), "3 bytes") {
			t.Errorf("WAV of 3 bytes: err = %v, want one naming the length", err)
		}
	})
	t.Run("WriterFails", func(t *testing.T) {
		full := errors.New("disk full")
		err := sound.WAV(failingWriter{full}, make([]byte, 2))
		if !errors.Is(err, full) {
			t.Errorf("err = %v, want it to wrap %v", err, full)
		}
	})
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// sox reads the files as an independent decoder: if our header or our
// pitch were wrong in a way our own parser shares, it would disagree.
func TestSoxAgrees(t *testing.T) {
	sox, err := exec.LookPath("sox")
	if err != nil {
		t.Skip("sox is not installed, so there is no independent reader to cross-check with")
	}
	for _, tone := range []sound.Tone{sound.Exit, sound.Warn} {
		t.Run(tone.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tone.String()+".wav")
			if err := os.WriteFile(path, MustRenderWAV(t, tone), 0o644); err != nil {
				t.Fatal(err)
			}
			// stat prints its report on stderr.
			out, err := exec.Command(sox, path, "-n", "stat").CombinedOutput()
			if err != nil {
				t.Fatalf("sox %s -n stat: %v\n%s", path, err, out)
			}
			length := soxField(t, out, "Length (seconds)")
			if want := tone.Duration().Seconds(); math.Abs(length-want) > 1.0/sound.Rate {
				t.Errorf("sox says %v s long, want %v s", length, want)
			}
			// Exit and Warn each sound one pitch, so sox's whole-file
			// estimate is that pitch.
			hz := soxField(t, out, "Rough   frequency")
			if want := tone.Notes()[0].Hz; math.Abs(hz-want) > 0.02*want {
				t.Errorf("sox hears %v Hz, want %v Hz within 2%%", hz, want)
			}
		})
	}
}

// soxField returns the number after "name:" in sox stat's report.
func soxField(tb testing.TB, report []byte, name string) float64 {
	tb.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `:\s*(\S+)`).FindSubmatch(report)
	if m == nil {
		tb.Fatalf("sox stat has no %q line:\n%s", name, report)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		tb.Fatalf("sox stat %q = %q: %v", name, m[1], err)
	}
	return v
}
