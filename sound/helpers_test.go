package sound_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
	"time"

	"usher/sound"
)

// wavFile is a parsed canonical WAVE file.
type wavFile struct {
	channels, bitsPerSample, format uint16
	rate, byteRate                  uint32
	riffSize, dataSize              uint32
	samples                         []float64 // in -1..1
}

// MustParseWAV parses a canonical 44-byte-header WAVE file, failing tb on
// any deviation from that layout.
func MustParseWAV(tb testing.TB, b []byte) wavFile {
	tb.Helper()
	if len(b) < 44 {
		tb.Fatalf("wav is %d bytes, shorter than its 44-byte header", len(b))
	}
	for _, tag := range []struct {
		at   int
		want string
	}{{0, "RIFF"}, {8, "WAVE"}, {12, "fmt "}, {36, "data"}} {
		if got := string(b[tag.at : tag.at+4]); got != tag.want {
			tb.Fatalf("bytes %d..%d = %q, want %q", tag.at, tag.at+4, got, tag.want)
		}
	}
	le := binary.LittleEndian
	if n := le.Uint32(b[16:]); n != 16 {
		tb.Fatalf("fmt chunk size %d, want 16", n)
	}
	f := wavFile{
		riffSize:      le.Uint32(b[4:]),
		format:        le.Uint16(b[20:]),
		channels:      le.Uint16(b[22:]),
		rate:          le.Uint32(b[24:]),
		byteRate:      le.Uint32(b[28:]),
		bitsPerSample: le.Uint16(b[34:]),
		dataSize:      le.Uint32(b[40:]),
	}
	if int(f.dataSize) != len(b)-44 {
		tb.Fatalf("data chunk says %d bytes, file holds %d", f.dataSize, len(b)-44)
	}
	f.samples = decode(b[44:])
	return f
}

// decode turns 16-bit little-endian PCM into samples in -1..1.
func decode(pcm []byte) []float64 {
	s := make([]float64, len(pcm)/2)
	for i := range s {
		s[i] = float64(int16(binary.LittleEndian.Uint16(pcm[2*i:]))) / math.MaxInt16
	}
	return s
}

// MustRenderWAV renders t at full volume through sound.WAV.
func MustRenderWAV(tb testing.TB, t sound.Tone) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := sound.WAV(&buf, t.PCM(1)); err != nil {
		tb.Fatalf("WAV(%v): %v", t, err)
	}
	return buf.Bytes()
}

// segment is the samples of one note of a rendered tone.
type segment struct {
	note    sound.Note
	samples []float64
}

// segments splits a rendered tone into its notes, placing each boundary at
// its time from the start of the tone.
func segments(t sound.Tone, samples []float64) []segment {
	var out []segment
	var at time.Duration
	for _, n := range t.Notes() {
		start := index(at)
		at += n.Dur
		out = append(out, segment{n, samples[start:min(index(at), len(samples))]})
	}
	return out
}

func index(d time.Duration) int { return int(math.Round(d.Seconds() * sound.Rate)) }

// middle returns the middle half of s, clear of the attack and release.
func middle(s []float64) []float64 { return s[len(s)/4 : len(s)-len(s)/4] }

// zeroCrossingHz estimates the fundamental of s from its upward zero
// crossings, interpolated between samples. It measures the pitch without
// being told what to look for.
func zeroCrossingHz(s []float64) float64 {
	first, last, n := 0.0, 0.0, 0
	for i := 1; i < len(s); i++ {
		if s[i-1] < 0 && s[i] >= 0 {
			at := float64(i-1) + s[i-1]/(s[i-1]-s[i])
			if n == 0 {
				first = at
			}
			last = at
			n++
		}
	}
	if n < 2 {
		return 0
	}
	return float64(n-1) / (last - first) * sound.Rate
}

// goertzel returns the amplitude of the hz component of s.
func goertzel(s []float64, hz float64) float64 {
	w := 2 * math.Pi * hz / sound.Rate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range s {
		s1, s2 = x+c*s1-s2, s1
	}
	power := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(max(power, 0)) / float64(len(s))
}

func peakAbs(s []float64) float64 {
	var m float64
	for _, x := range s {
		m = max(m, math.Abs(x))
	}
	return m
}
