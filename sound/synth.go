package sound

import (
	"encoding/binary"
	"math"
	"time"
)

// peak is the full-volume amplitude as a fraction of full scale. The
// headroom keeps the device's resampler and any output gain from
// clipping.
const peak = 0.9

// ramp is the attack and release of every note. A note that starts or
// stops at a non-zero sample clicks audibly; 5 ms is too short to hear as
// a fade but long enough to remove the click.
const ramp = 5 * time.Millisecond

// buzzHarmonics is the highest odd harmonic in Deny's buzz. Odd
// harmonics falling as 1/k make a square wave; stopping at the 19th
// (4.2 kHz for 220 Hz) keeps every partial far below the Nyquist
// frequency, so the buzz is harsh without aliasing into stray pitches.
const buzzHarmonics = 19

// buzzGain scales the band-limited square so its peak matches the sine
// tones' peak: the partial sum of a square's series overshoots below 1.
var buzzGain = 1 / maxAbs(square, 20000)

// PCM renders the tone as 16-bit signed little-endian mono samples at
// Rate. volume is clamped to 0..1 and scales the amplitude linearly;
// volume 0 gives silence of the tone's full length.
func (t Tone) PCM(volume float64) []byte {
	volume = clamp(volume)
	notes := t.Notes()
	wave := math.Sin
	if t == Deny {
		wave = func(x float64) float64 { return buzzGain * square(x) }
	}
	// Note boundaries are rounded from cumulative time, not note by note,
	// so the total length is Duration within half a sample however many
	// notes there are.
	out := make([]byte, 2*samples(t.Duration()))
	var elapsed time.Duration
	for _, n := range notes {
		start := samples(elapsed)
		elapsed += n.Dur
		end := samples(elapsed)
		if n.Hz == 0 || volume == 0 {
			continue // already zero
		}
		renderNote(out[2*start:2*end], n.Hz, peak*volume, wave)
	}
	return out
}

// renderNote writes one note into buf, which holds exactly its samples,
// with a raised-cosine attack and release so the first and last samples
// are zero.
func renderNote(buf []byte, hz, amp float64, wave func(float64) float64) {
	n := len(buf) / 2
	r := samples(ramp)
	if r > n/2 {
		r = n / 2
	}
	for i := range n {
		env := 1.0
		if d := min(i, n-1-i); d < r {
			env = 0.5 - 0.5*math.Cos(math.Pi*float64(d)/float64(r))
		}
		v := amp * env * wave(2*math.Pi*hz*float64(i)/Rate)
		binary.LittleEndian.PutUint16(buf[2*i:], uint16(int16(math.Round(v*math.MaxInt16))))
	}
}

// square is a band-limited square wave of period 2π: its Fourier series
// up to buzzHarmonics.
func square(x float64) float64 {
	var s float64
	for k := 1; k <= buzzHarmonics; k += 2 {
		s += math.Sin(float64(k)*x) / float64(k)
	}
	return s
}

// maxAbs samples f over one period of 2π at n points and returns the
// largest magnitude.
func maxAbs(f func(float64) float64, n int) float64 {
	var m float64
	for i := range n {
		m = max(m, math.Abs(f(2*math.Pi*float64(i)/float64(n))))
	}
	return m
}

// samples converts a duration to a whole number of samples at Rate.
func samples(d time.Duration) int {
	return int(math.Round(d.Seconds() * Rate))
}

// clamp limits a volume to 0..1; NaN counts as 0, muted rather than loud.
func clamp(v float64) float64 {
	if !(v > 0) {
		return 0
	}
	return min(v, 1)
}
