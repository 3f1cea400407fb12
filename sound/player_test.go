package sound_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"usher/sound"
)

// fakeVoice records what the player asks of a voice into a shared log.
type fakeVoice struct {
	name string
	log  *eventLog
	// entered, if set, receives once Play is called; release, if set,
	// must be closed before Play returns: a stuck device.
	entered chan struct{}
	release chan struct{}
}

type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.events
	l.events = nil
	return e
}

func (v *fakeVoice) Pause() { v.log.add(v.name + " pause") }
func (v *fakeVoice) Play() {
	v.log.add(v.name + " play")
	if v.entered != nil {
		v.entered <- struct{}{}
	}
	if v.release != nil {
		<-v.release
	}
}
func (v *fakeVoice) SetVolume(x float64) { v.log.add(fmt.Sprintf("%s volume %.2f", v.name, x)) }
func (v *fakeVoice) Seek(off int64, whence int) (int64, error) {
	if whence != io.SeekStart {
		v.log.add(fmt.Sprintf("%s seek %d from %d", v.name, off, whence))
		return 0, nil
	}
	v.log.add(fmt.Sprintf("%s seek %d", v.name, off))
	return off, nil
}

// newFakePlayer returns a player over fake voices and the log they write.
func newFakePlayer() (*sound.Player, *eventLog, map[sound.Tone]*fakeVoice) {
	log := &eventLog{}
	fakes := map[sound.Tone]*fakeVoice{}
	voices := map[sound.Tone]sound.Voice{}
	for _, t := range sound.Tones() {
		fakes[t] = &fakeVoice{name: t.String(), log: log}
		voices[t] = fakes[t]
	}
	return sound.NewTestPlayer(voices), log, fakes
}

func equal(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

func TestNilPlayerIsSilent(t *testing.T) {
	var p *sound.Player
	p.Play(sound.Deny)
	p.SetVolume(0.5)
	if v := p.Volume(); v != 0 {
		t.Errorf("nil Volume() = %v, want 0", v)
	}
}

func TestPlayerVolume(t *testing.T) {
	p, _, _ := newFakePlayer()
	if v := p.Volume(); v != 1 {
		t.Errorf("new player's volume = %v, want 1", v)
	}
	for _, c := range []struct{ set, want float64 }{{0.3, 0.3}, {-2, 0}, {7, 1}, {math.NaN(), 0}, {0, 0}} {
		p.SetVolume(c.set)
		if got := p.Volume(); got != c.want {
			t.Errorf("SetVolume(%v): Volume() = %v, want %v", c.set, got, c.want)
		}
	}
}

func TestPlayerStartsTheToneAtTheVolume(t *testing.T) {
	p, log, _ := newFakePlayer()
	p.SetVolume(0.5)
	p.Play(sound.Admit)
	p.Step()
	if got, want := log.take(), []string{"admit seek 0", "admit volume 0.50", "admit play"}; !equal(got, want) {
		t.Errorf("Play(Admit) did %q, want %q", got, want)
	}
}

// Door scans come faster than tones end: the new tone replaces the old.
func TestPlayerCutsOffThePreviousTone(t *testing.T) {
	p, log, _ := newFakePlayer()
	p.Play(sound.Admit)
	p.Step()
	log.take()
	p.Play(sound.Deny)
	p.Step()
	if got, want := log.take(), []string{"admit pause", "deny seek 0", "deny volume 1.00", "deny play"}; !equal(got, want) {
		t.Errorf("Deny after Admit did %q, want %q", got, want)
	}
	// The same tone twice restarts it from the beginning.
	p.Play(sound.Deny)
	p.Step()
	if got, want := log.take(), []string{"deny pause", "deny seek 0", "deny volume 1.00", "deny play"}; !equal(got, want) {
		t.Errorf("Deny after Deny did %q, want %q", got, want)
	}
}

func TestPlayerMutedOrUnknownDoesNothing(t *testing.T) {
	p, log, _ := newFakePlayer()
	p.Play(sound.Tone(99))
	p.SetVolume(0)
	p.Play(sound.Admit)
	p.Step()
	if got := log.take(); len(got) != 0 {
		t.Errorf("muted player did %q, want nothing", got)
	}
}

// Calls made before the player's goroutine gets to them collapse into the
// last: only the latest scan is heard.
func TestPlayerPlaysOnlyTheLatestOfABurst(t *testing.T) {
	p, log, _ := newFakePlayer()
	for _, tone := range []sound.Tone{sound.Admit, sound.Warn, sound.Admit, sound.Exit} {
		p.Play(tone)
	}
	p.Step()
	p.Step() // nothing left
	if got, want := log.take(), []string{"exit seek 0", "exit volume 1.00", "exit play"}; !equal(got, want) {
		t.Errorf("burst did %q, want %q", got, want)
	}
}

// Play runs on the UI thread: a device that hangs must not hang it.
func TestPlayNeverBlocksOnTheDevice(t *testing.T) {
	p, _, fakes := newFakePlayer()
	stuck := fakes[sound.Admit]
	stuck.entered = make(chan struct{}, 1)
	stuck.release = make(chan struct{})
	t.Cleanup(func() { close(stuck.release) })
	p.Start()

	p.Play(sound.Admit)
	<-stuck.entered // the player's goroutine is now stuck in the device

	done := make(chan struct{})
	go func() {
		for range 1000 {
			p.Play(sound.Deny)
			p.Play(sound.Warn)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Play blocked while the device was stuck")
	}
}

// This machine may or may not have a sound card. Either way Open answers
// within its timeout, with a player or with an error saying there is no
// audio device, and answers the same the second time.
func TestOpen(t *testing.T) {
	type result struct {
		p   *sound.Player
		err error
	}
	open := func() result {
		t.Helper()
		ch := make(chan result, 1)
		go func() {
			p, err := sound.Open()
			ch <- result{p, err}
		}()
		select {
		case r := <-ch:
			return r
		case <-time.After(sound.OpenTimeout + 3*time.Second):
			t.Fatalf("Open did not return within %v", sound.OpenTimeout+3*time.Second)
			return result{}
		}
	}
	first := open()
	if first.err != nil {
		t.Logf("Open: %v", first.err)
		if first.p != nil {
			t.Errorf("Open returned a player and the error %v", first.err)
		}
		if !errors.Is(first.err, sound.ErrNoDevice) || !strings.Contains(first.err.Error(), "no audio device: ") {
			t.Errorf("Open error %q does not say there is no audio device", first.err)
		}
	} else {
		if first.p == nil {
			t.Fatal("Open returned neither a player nor an error")
		}
		first.p.SetVolume(0.2)
		first.p.Play(sound.Admit)
	}
	second := open()
	if second.p != first.p || second.err != first.err {
		t.Errorf("second Open = (%p, %v), want the first's (%p, %v)", second.p, second.err, first.p, first.err)
	}
}
