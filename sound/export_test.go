package sound

// Hooks for the external tests: the player's goroutine-free core, so tests
// drive it step by step instead of waiting on the audio device.

type Voice = voice

func NewTestPlayer(voices map[Tone]Voice) *Player { return newPlayer(voices) }

func (p *Player) Step()  { p.step() }
func (p *Player) Start() { go p.run() }

const (
	OpenTimeout = openTimeout
	Ramp        = ramp
)
