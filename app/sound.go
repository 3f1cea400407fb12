package app

import (
	"fmt"
	"strconv"
)

// Sound is one of the door's tones; Speaker plays it.
type Sound int

const (
	SoundAdmit Sound = iota + 1 // a short rising chime
	SoundDeny                   // a harsh low buzz, unmistakable in a noisy hall
	SoundExit                   // one soft note
	SoundWarn                   // two even beeps: look at the screen
)

func (s Sound) String() string {
	switch s {
	case SoundAdmit:
		return "admit"
	case SoundDeny:
		return "deny"
	case SoundExit:
		return "exit"
	case SoundWarn:
		return "warn"
	}
	return "sound(" + strconv.Itoa(int(s)) + ")"
}

// Speaker plays the door's tones (the sound package through the
// machine's audio device). Play must not block: it is called on the UI
// goroutine, once per decision.
type Speaker interface {
	Play(Sound)
	SetVolume(percent int) // 0: silent
}

// settingVolume is the volume staff chose at this door, in percent ("0":
// muted); unset, the event file's [kiosk] sound and volume.
const settingVolume = "sound_volume"

// volumeSteps are the volumes staff step through (V in staff mode),
// loudest first, then off.
var volumeSteps = []int{100, 80, 60, 40, 20, 0}

// soundOf is the tone of what the panel shows: staff hear an admission,
// a refusal, an exit or a warning without looking at the screen. Every
// red panel (a denial, a full room, the alarm) buzzes; a grey one (ready,
// a badge being printed) is silent (0).
func soundOf(t tone) Sound {
	switch t.bg {
	case toneAdmit.bg:
		return SoundAdmit
	case toneExit.bg:
		return SoundExit
	case toneWarn.bg:
		return SoundWarn
	case toneDeny.bg:
		return SoundDeny
	}
	return 0
}

// play sounds t at the current volume, if this kiosk has a speaker.
func (k *Kiosk) play(t tone) {
	if s := soundOf(t); s != 0 && k.opts.Speaker != nil && k.volume > 0 {
		k.opts.Speaker.Play(s)
	}
}

// restoreVolume starts at the volume staff chose here, else the event
// file's.
func (k *Kiosk) restoreVolume() error {
	k.volume = k.ev.Kiosk.SoundVolume()
	saved, err := k.b.Setting(k.ctx, settingVolume)
	if err != nil {
		return err
	}
	if v, err := strconv.Atoi(saved); err == nil && v >= 0 && v <= 100 {
		k.volume = v
	}
	if k.opts.Speaker != nil {
		k.opts.Speaker.SetVolume(k.volume)
	}
	return nil
}

// nextVolume steps to the next quieter volume (after off: the loudest),
// keeps it for this door, and plays the admission tone at it.
func (k *Kiosk) nextVolume() {
	next := volumeSteps[0]
	for _, v := range volumeSteps {
		if v < k.volume {
			next = v
			break
		}
	}
	k.volume = next
	k.save(settingVolume, strconv.Itoa(next))
	if k.opts.Speaker != nil {
		k.opts.Speaker.SetVolume(next)
	}
	k.play(toneAdmit)
	k.staff.open()
}

// volumeLabel is the staff menu's sound item.
func (k *Kiosk) volumeLabel() string {
	switch {
	case k.opts.Speaker == nil && k.opts.NoSound != "":
		return "Sound: " + short(k.opts.NoSound, 20)
	case k.opts.Speaker == nil:
		return "Sound: none"
	case k.volume == 0:
		return "Sound: muted"
	}
	return fmt.Sprintf("Sound: %d %%", k.volume)
}
