// Package sound gives each check-in decision a sound the door staff can
// tell apart without looking at the screen: a bright rising chirp for an
// admission, a soft note for an exit, a double beep for a warning and a
// long harsh buzz for a denial, which has to carry over a noisy hall.
//
// The tones are synthesized here rather than shipped as asset files, so
// their pitch and length are code that tests can check against the
// specification, and WAV can write them out for anyone who wants to
// listen. Player is the only part that touches the audio device (through
// oto and ALSA); a kiosk without one holds a nil *Player and stays silent.
package sound
