package sound

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebitengine/oto/v3"
)

// ErrNoDevice is wrapped by Open's error when no audio output can be used.
var ErrNoDevice = errors.New("no audio device")

// openTimeout bounds how long Open waits for the audio driver. ALSA
// normally answers in milliseconds, with or without a device; the bound is
// for a sound server that never answers, so that a kiosk starts silent
// rather than not at all.
const openTimeout = 2 * time.Second

// oto allows one context per process, for good: a failed attempt cannot
// be retried. Open therefore runs once and every caller shares its result.
var (
	openOnce   sync.Once
	openPlayer *Player
	openErr    error
)

// Player plays tones on the audio device. A nil *Player is valid and
// silent, so a kiosk without a device needs no special case. Its methods
// are safe for concurrent use.
type Player struct {
	voices map[Tone]voice
	volume atomic.Uint64 // math.Float64bits of a volume in 0..1

	mu      sync.Mutex
	pending *request      // the latest Play not yet started; guarded by mu
	wake    chan struct{} // capacity 1: "pending has changed"

	current voice // the voice started last; used only by step
}

// voice is the part of an oto player that Player uses: one per tone,
// restarted from the beginning on every Play.
type voice interface {
	Pause()
	Play()
	Seek(offset int64, whence int) (int64, error)
	SetVolume(volume float64)
}

// request is one call to Play, with the volume in force at the time.
type request struct {
	tone   Tone
	volume float64
}

// Open opens the default audio device and returns the process's Player.
// Every call returns the same Player, or the same error: the device is
// opened only once.
//
// The error wraps ErrNoDevice, with the driver's reason, when there is no
// usable device or the driver does not become ready within openTimeout.
func Open() (*Player, error) {
	openOnce.Do(func() { openPlayer, openErr = open() })
	return openPlayer, openErr
}

func open() (*Player, error) {
	if why := noSoundServer(); why != "" {
		return nil, fmt.Errorf("%w: %s", ErrNoDevice, why)
	}
	ctx, ready, err := oto.NewContext(&oto.NewContextOptions{
		SampleRate:   Rate,
		ChannelCount: 1,
		Format:       oto.FormatSignedInt16LE,
		// Short enough that a tone starts promptly after a scan.
		BufferSize: 50 * time.Millisecond,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDevice, err)
	}
	select {
	case <-ready:
	case <-time.After(openTimeout):
		return nil, fmt.Errorf("%w: the audio driver did not answer within %v", ErrNoDevice, openTimeout)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDevice, err)
	}
	voices := make(map[Tone]voice)
	for _, t := range Tones() {
		// Each voice reads the full-volume samples; oto scales them by the
		// voice's volume while mixing, so Play allocates nothing.
		voices[t] = ctx.NewPlayer(bytes.NewReader(t.PCM(1)))
	}
	p := newPlayer(voices)
	go p.run() // lives as long as the process, like the oto context
	return p, nil
}

// noSoundServer says why ALSA cannot reach any sound card: the machine
// has none (no /dev/snd) and no PulseAudio or PipeWire server to play
// through. ALSA would try its devices one by one and print a line of its
// own for each; a kiosk without sound says so once. "" when a device may
// exist.
func noSoundServer() string {
	if runtime.GOOS != "linux" {
		return ""
	}
	if _, err := os.Stat("/dev/snd"); err == nil {
		return ""
	}
	if os.Getenv("PULSE_SERVER") != "" {
		return ""
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		for _, sock := range []string{"pulse/native", "pipewire-0"} {
			if _, err := os.Stat(filepath.Join(dir, sock)); err == nil {
				return ""
			}
		}
	}
	return "this machine has no sound card (/dev/snd) and no sound server"
}

// newPlayer returns a Player over the given voices at full volume, with
// no goroutine started: open starts run, and tests call step.
func newPlayer(voices map[Tone]voice) *Player {
	p := &Player{voices: voices, wake: make(chan struct{}, 1)}
	p.volume.Store(math.Float64bits(1))
	return p
}

// Play starts t at the current volume, cutting off the tone still
// playing: at a busy door the latest scan is the one that matters. Play
// never blocks: it hands the tone to the player's goroutine, and if
// several calls come before that goroutine gets to them only the last is
// played. Play does nothing on a nil Player, at volume 0, or for an
// unknown tone.
func (p *Player) Play(t Tone) {
	if p == nil {
		return
	}
	v := p.Volume()
	if v == 0 || p.voices[t] == nil {
		return
	}
	p.mu.Lock()
	p.pending = &request{tone: t, volume: v}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default: // a wake-up is already queued; it will see this request
	}
}

// SetVolume sets the volume for tones started afterwards, clamped to
// 0..1; 0 mutes. It does nothing on a nil Player.
func (p *Player) SetVolume(v float64) {
	if p == nil {
		return
	}
	p.volume.Store(math.Float64bits(clamp(v)))
}

// Volume returns the volume in 0..1. A nil Player is silent: 0.
func (p *Player) Volume() float64 {
	if p == nil {
		return 0
	}
	return math.Float64frombits(p.volume.Load())
}

// run starts requests as Play hands them over. oto's player calls take
// locks shared with its mixer, which is why they happen here and not on
// the caller's goroutine.
func (p *Player) run() {
	for range p.wake {
		p.step()
	}
}

// step starts the pending request, if any: it silences the voice started
// last and restarts the requested one from its beginning.
func (p *Player) step() {
	p.mu.Lock()
	r := p.pending
	p.pending = nil
	p.mu.Unlock()
	if r == nil {
		return
	}
	if p.current != nil {
		p.current.Pause()
	}
	v := p.voices[r.tone]
	// Seeking a bytes.Reader to its start cannot fail.
	_, _ = v.Seek(0, io.SeekStart)
	v.SetVolume(r.volume)
	v.Play()
	p.current = v
}
