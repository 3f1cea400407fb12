package main

import (
	"usher/app"
	"usher/sound"
)

// speaker plays the screen's tones through the machine's audio device.
type speaker struct{ p *sound.Player }

var tones = map[app.Sound]sound.Tone{
	app.SoundAdmit: sound.Admit, app.SoundDeny: sound.Deny, app.SoundExit: sound.Exit, app.SoundWarn: sound.Warn,
}

func (s speaker) Play(t app.Sound) {
	if tone, ok := tones[t]; ok {
		s.p.Play(tone)
	}
}

func (s speaker) SetVolume(percent int) { s.p.SetVolume(float64(percent) / 100) }
