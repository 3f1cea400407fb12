package sound_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"usher/sound"
)

// A tone added without a name or notes fails here, not on a door.
func TestEveryToneIsDefined(t *testing.T) {
	seen := map[string]bool{}
	for _, tone := range sound.Tones() {
		name := tone.String()
		if strings.HasPrefix(name, "Tone(") || seen[name] {
			t.Errorf("tone %d has no name of its own: %q", int(tone), name)
		}
		seen[name] = true
		if len(tone.Notes()) == 0 || tone.Duration() <= 0 {
			t.Errorf("%v has no notes", tone)
		}
	}
	want := map[sound.Tone]string{sound.Admit: "admit", sound.Deny: "deny", sound.Exit: "exit", sound.Warn: "warn"}
	for tone, name := range want {
		if got := tone.String(); got != name {
			t.Errorf("%d.String() = %q, want %q", int(tone), got, name)
		}
	}
	if len(want) != len(sound.Tones()) {
		t.Errorf("Tones() has %d tones, this test names %d", len(sound.Tones()), len(want))
	}
	if got := sound.Tone(99).PCM(1); len(got) != 0 {
		t.Errorf("unknown tone renders %d bytes, want none", len(got))
	}
}

// The shapes the door staff learn: checked on Notes, which the rendering
// tests then hold the samples to.
func TestNotesMatchTheSpecification(t *testing.T) {
	t.Run("Admit", func(t *testing.T) {
		n := sound.Admit.Notes()
		if len(n) != 2 || !(n[0].Hz > 0 && n[1].Hz > n[0].Hz) {
			t.Errorf("Admit = %v, want two rising notes", n)
		}
	})
	t.Run("Exit", func(t *testing.T) {
		n := sound.Exit.Notes()
		if len(n) != 1 || !(n[0].Hz > 0 && n[0].Hz < sound.Admit.Notes()[0].Hz) {
			t.Errorf("Exit = %v, want one note lower than Admit's first", n)
		}
	})
	t.Run("Warn", func(t *testing.T) {
		n := sound.Warn.Notes()
		if len(n) != 3 || n[0] != n[2] || n[0].Hz == 0 || n[1].Hz != 0 {
			t.Errorf("Warn = %v, want two identical beeps around a silence", n)
		}
	})
	t.Run("Deny", func(t *testing.T) {
		n := sound.Deny.Notes()
		pulses := 0
		for i, note := range n {
			if note.Hz == 0 {
				continue
			}
			pulses++
			if note.Hz > 300 || note.Dur < 100*time.Millisecond || note.Dur > 160*time.Millisecond {
				t.Errorf("Deny note %d = %v, want a pulse of ~130 ms under 300 Hz", i, note)
			}
		}
		if pulses != 3 {
			t.Errorf("Deny has %d pulses, want 3", pulses)
		}
	})
	for _, tone := range sound.Tones() {
		d := tone.Duration()
		switch tone {
		case sound.Deny:
			if d < 400*time.Millisecond || d > 700*time.Millisecond {
				t.Errorf("Deny lasts %v, want 400–700 ms", d)
			}
		default:
			if d >= 300*time.Millisecond {
				t.Errorf("%v lasts %v, want under 300 ms", tone, d)
			}
			if d >= sound.Deny.Duration() {
				t.Errorf("%v (%v) is not shorter than Deny (%v)", tone, d, sound.Deny.Duration())
			}
		}
	}
}

// Each tone written through WAV reads back as 44.1 kHz 16-bit mono, as
// long as Duration says.
func TestWAVOfEveryTone(t *testing.T) {
	for _, tone := range sound.Tones() {
		t.Run(tone.String(), func(t *testing.T) {
			b := MustRenderWAV(t, tone)
			f := MustParseWAV(t, b)
			if f.format != 1 || f.channels != 1 || f.bitsPerSample != 16 || f.rate != 44100 {
				t.Errorf("format %d, %d channels, %d bits, %d Hz; want PCM (1), 1, 16, 44100",
					f.format, f.channels, f.bitsPerSample, f.rate)
			}
			if f.byteRate != 44100*2 {
				t.Errorf("byte rate %d, want %d", f.byteRate, 44100*2)
			}
			if int(f.riffSize) != len(b)-8 {
				t.Errorf("RIFF size %d, want %d", f.riffSize, len(b)-8)
			}
			want := tone.Duration().Seconds() * 44100
			if got := float64(len(f.samples)); math.Abs(got-want) > 1 {
				t.Errorf("%v samples, want %v (%v) within one", got, want, tone.Duration())
			}
		})
	}
}

// Every note sounds at the pitch Notes gives it, measured from the samples
// by counting zero crossings; every rest is silent.
func TestEachNoteHasItsPitch(t *testing.T) {
	for _, tone := range sound.Tones() {
		f := MustParseWAV(t, MustRenderWAV(t, tone))
		for i, seg := range segments(tone, f.samples) {
			if seg.note.Hz == 0 {
				if p := peakAbs(seg.samples); p > 1e-3 {
					t.Errorf("%v note %d: rest peaks at %.4f, want silence", tone, i, p)
				}
				continue
			}
			got := zeroCrossingHz(middle(seg.samples))
			if math.Abs(got-seg.note.Hz) > 0.02*seg.note.Hz {
				t.Errorf("%v note %d: measured %.1f Hz, want %v Hz within 2%%", tone, i, got, seg.note.Hz)
			}
		}
	}
}

// The denial must not be mistaken for anything else: it is the lowest
// tone and a buzz, not a beep.
func TestDenyIsLowAndHarsh(t *testing.T) {
	lowest := func(tone sound.Tone) float64 {
		f := MustParseWAV(t, MustRenderWAV(t, tone))
		low := math.Inf(1)
		for _, seg := range segments(tone, f.samples) {
			if seg.note.Hz > 0 {
				low = min(low, zeroCrossingHz(middle(seg.samples)))
			}
		}
		return low
	}
	deny := lowest(sound.Deny)
	for _, tone := range sound.Tones() {
		if tone != sound.Deny && lowest(tone) <= deny*1.5 {
			t.Errorf("%v reaches %.0f Hz, not clearly above Deny's %.0f Hz", tone, lowest(tone), deny)
		}
	}

	// A sine has nothing at three times its pitch; a square has a third
	// of the fundamental's amplitude there.
	thirdRatio := func(tone sound.Tone) float64 {
		seg := segments(tone, MustParseWAV(t, MustRenderWAV(t, tone)).samples)[0]
		s := middle(seg.samples)
		return goertzel(s, 3*seg.note.Hz) / goertzel(s, seg.note.Hz)
	}
	if r := thirdRatio(sound.Deny); r < 0.2 {
		t.Errorf("Deny's third harmonic is %.3f of its fundamental, want at least 0.2 (a buzz)", r)
	}
	if r := thirdRatio(sound.Exit); r > 0.01 {
		t.Errorf("Exit's third harmonic is %.3f of its fundamental, want a clean sine", r)
	}
}

// A note that starts or ends away from zero clicks in the speaker.
func TestNotesStartAndEndAtZero(t *testing.T) {
	for _, tone := range sound.Tones() {
		samples := MustParseWAV(t, MustRenderWAV(t, tone)).samples
		for i, seg := range segments(tone, samples) {
			s := seg.samples
			if seg.note.Hz == 0 {
				continue
			}
			if a, b := math.Abs(s[0]), math.Abs(s[len(s)-1]); a > 0.01 || b > 0.01 {
				t.Errorf("%v note %d starts at %.3f and ends at %.3f, want both near 0", tone, i, s[0], s[len(s)-1])
			}
			// And the ramp is short: the note is at full strength 10 ms in.
			in := int(0.010 * sound.Rate)
			if p := peakAbs(s[in : in+int(sound.Rate/seg.note.Hz)+1]); p < 0.8 {
				t.Errorf("%v note %d peaks at %.2f 10 ms in, want full strength", tone, i, p)
			}
		}
	}
}

func TestVolume(t *testing.T) {
	for _, tone := range sound.Tones() {
		t.Run(tone.String(), func(t *testing.T) {
			full, half := decode(tone.PCM(1)), decode(tone.PCM(0.5))
			if len(half) != len(full) {
				t.Fatalf("PCM(0.5) has %d samples, PCM(1) %d", len(half), len(full))
			}
			if r := peakAbs(half) / peakAbs(full); math.Abs(r-0.5) > 0.01 {
				t.Errorf("PCM(0.5) peaks at %.3f of PCM(1)'s, want 0.5", r)
			}
			if p := peakAbs(full); p < 0.8 || p > 0.99 {
				t.Errorf("PCM(1) peaks at %.3f of full scale, want loud without clipping", p)
			}
			for _, v := range []float64{0, -1, math.NaN()} {
				silent := tone.PCM(v)
				if len(silent) != 2*len(full) {
					t.Errorf("PCM(%v) is %d bytes, want %d like PCM(1)", v, len(silent), 2*len(full))
				}
				if p := peakAbs(decode(silent)); p != 0 {
					t.Errorf("PCM(%v) peaks at %v, want silence", v, p)
				}
			}
			if string(tone.PCM(2)) != string(tone.PCM(1)) {
				t.Error("PCM(2) differs from PCM(1), want it clamped to 1")
			}
		})
	}
}
