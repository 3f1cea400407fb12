package sound

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// wavHeaderSize is the size of the canonical RIFF/WAVE header: the RIFF
// chunk header, a 16-byte PCM fmt chunk and the data chunk header.
const wavHeaderSize = 44

// WAV writes pcm, as returned by Tone.PCM (16-bit signed little-endian
// mono at Rate), as a WAVE file with the canonical 44-byte header. The
// format is small and fixed, so it is written here rather than through a
// dependency.
//
// WAV returns an error if pcm is not a whole number of samples, if it is
// too long for a WAVE file (4 GiB), or if w fails.
func WAV(w io.Writer, pcm []byte) error {
	if len(pcm)%2 != 0 {
		return fmt.Errorf("wav: pcm is %d bytes, not a whole number of 16-bit samples", len(pcm))
	}
	if len(pcm) > math.MaxUint32-(wavHeaderSize-8) {
		return fmt.Errorf("wav: pcm is %d bytes, more than a WAVE file can hold", len(pcm))
	}
	const (
		channels      = 1
		bitsPerSample = 16
		blockAlign    = channels * bitsPerSample / 8
	)
	h := make([]byte, 0, wavHeaderSize)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(wavHeaderSize-8+len(pcm)))
	h = append(h, "WAVE"...)
	h = append(h, "fmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16) // fmt chunk size for PCM
	h = binary.LittleEndian.AppendUint16(h, 1)  // format 1: integer PCM
	h = binary.LittleEndian.AppendUint16(h, channels)
	h = binary.LittleEndian.AppendUint32(h, Rate)
	h = binary.LittleEndian.AppendUint32(h, Rate*blockAlign) // bytes per second
	h = binary.LittleEndian.AppendUint16(h, blockAlign)
	h = binary.LittleEndian.AppendUint16(h, bitsPerSample)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(pcm)))
	if _, err := w.Write(h); err != nil {
		return fmt.Errorf("wav: write header: %w", err)
	}
	if _, err := w.Write(pcm); err != nil {
		return fmt.Errorf("wav: write %d bytes of samples: %w", len(pcm), err)
	}
	return nil
}
