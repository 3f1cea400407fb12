// Package gzpool keeps gzip writers for reuse. A new writer allocates
// and clears about 800 KB of compressor state; a kiosk's round sends and
// receives a few small bodies, and with hundreds of kiosks syncing every
// two seconds that allocation was a tenth of the center's CPU and of
// the kiosks'.
package gzpool

import (
	"compress/gzip"
	"fmt"
	"io"
	"sync"
)

// pools holds one pool per compression level, from HuffmanOnly (-2) to
// BestCompression (9).
var pools [gzip.BestCompression - gzip.HuffmanOnly + 1]sync.Pool

// Writer is a gzip writer from the pool.
type Writer struct {
	*gzip.Writer
	level int
}

// Get returns a writer compressing at level into w, as gzip.NewWriterLevel
// does; it panics on a level gzip does not have (a programming error).
func Get(w io.Writer, level int) *Writer {
	if level < gzip.HuffmanOnly || level > gzip.BestCompression {
		panic(fmt.Sprintf("gzpool: compression level %d", level))
	}
	if z, ok := pools[level-gzip.HuffmanOnly].Get().(*Writer); ok {
		z.Reset(w)
		return z
	}
	zw, _ := gzip.NewWriterLevel(w, level) // the level is checked above
	return &Writer{Writer: zw, level: level}
}

// Release returns the writer to the pool; call it after Close, and use
// the writer no more.
func (z *Writer) Release() {
	z.Reset(io.Discard) // drop the reference to the last destination
	pools[z.level-gzip.HuffmanOnly].Put(z)
}
