package gzpool

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// A writer used, released and taken again writes a whole, separate
// stream each time: nothing of the last one leaks into the next.
func TestReuseWritesWholeStreams(t *testing.T) {
	for _, level := range []int{gzip.HuffmanOnly, gzip.BestSpeed, gzip.DefaultCompression, gzip.BestCompression} {
		for i, text := range []string{strings.Repeat("first stream ", 500), "second", ""} {
			var b bytes.Buffer
			z := Get(&b, level)
			if _, err := io.WriteString(z, text); err != nil {
				t.Fatal(err)
			}
			if err := z.Close(); err != nil {
				t.Fatal(err)
			}
			z.Release()
			zr, err := gzip.NewReader(&b)
			if err != nil {
				t.Fatalf("level %d, stream %d: %v", level, i, err)
			}
			got, err := io.ReadAll(zr)
			if err != nil || string(got) != text {
				t.Fatalf("level %d, stream %d: read back %d bytes (%v), want %d", level, i, len(got), err, len(text))
			}
		}
	}
}

func TestGetRefusesAnUnknownLevel(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("level 10 was taken")
		}
	}()
	Get(io.Discard, 10)
}

// BenchmarkReply is one small answer compressed as the center sends it:
// Pooled from the pool, New with a new writer each time, as before.
func BenchmarkReply(b *testing.B) {
	body := []byte(`{"grants":[{"space":"hall","n":3}],"free":{"hall":120,"room":4}}` + "\n")
	b.Run("Pooled", func(b *testing.B) {
		for b.Loop() {
			z := Get(io.Discard, gzip.DefaultCompression)
			z.Write(body)
			z.Close()
			z.Release()
		}
	})
	b.Run("New", func(b *testing.B) {
		for b.Loop() {
			z := gzip.NewWriter(io.Discard)
			z.Write(body)
			z.Close()
		}
	})
}
