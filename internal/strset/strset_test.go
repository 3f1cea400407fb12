package strset_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"usher/internal/strset"
)

func TestSet(t *testing.T) {
	t.Run("Exact", func(t *testing.T) {
		var s strset.Set
		if _, _, dup := s.Add("P1", 2); dup {
			t.Fatal("first add is a repeat")
		}
		if _, _, dup := s.Add("p1", 3); dup {
			t.Fatal("p1 taken for P1 without FoldASCII")
		}
		prev, v, dup := s.Add("P1", 9)
		if !dup || prev != "P1" || v != 2 {
			t.Fatalf("Add(P1) again = %q, %d, %v; want P1, 2, true", prev, v, dup)
		}
		if v, ok := s.Get("p1"); !ok || v != 3 {
			t.Fatalf("Get(p1) = %d, %v", v, ok)
		}
		if _, ok := s.Get("P2"); ok {
			t.Fatal("Get(P2) found a key never added")
		}
		if s.Len() != 2 {
			t.Fatalf("Len = %d, want 2", s.Len())
		}
	})
	t.Run("FoldASCII", func(t *testing.T) {
		s := strset.Set{FoldASCII: true}
		s.Add("U-AbC", 7)
		prev, v, dup := s.Add("u-abc", 8)
		if !dup || prev != "U-AbC" || v != 7 {
			t.Fatalf("Add(u-abc) = %q, %d, %v; want U-AbC, 7, true", prev, v, dup)
		}
		// Only ASCII letters fold, as roster.FoldCode does.
		if _, _, dup := s.Add("É", 1); dup {
			t.Fatal("É repeats nothing")
		}
		if _, _, dup := s.Add("é", 1); dup {
			t.Fatal("é folded to É")
		}
	})
	t.Run("Empty", func(t *testing.T) {
		var s strset.Set
		if _, ok := s.Get(""); ok {
			t.Fatal("empty set holds the empty string")
		}
		s.Add("", 1)
		if v, ok := s.Get(""); !ok || v != 1 {
			t.Fatalf("Get(\"\") = %d, %v", v, ok)
		}
	})
	t.Run("LongKey", func(t *testing.T) {
		var s strset.Set
		long := strings.Repeat("x", 3<<20)
		s.Add("a", 1)
		s.Add(long, 2)
		s.Add("b", 3)
		for k, want := range map[string]uint32{"a": 1, long: 2, "b": 3} {
			if v, ok := s.Get(k); !ok || v != want {
				t.Fatalf("Get(%.10q) = %d, %v; want %d", k, v, ok, want)
			}
		}
	})
}

// TestSetAgainstMap adds random keys, many repeated and many differing
// by case only, to a Set and to a map, and compares every answer.
func TestSetAgainstMap(t *testing.T) {
	for _, fold := range []bool{false, true} {
		t.Run(fmt.Sprintf("fold=%v", fold), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			s := strset.Set{FoldASCII: fold}
			ref := map[string]struct {
				key string
				v   uint32
			}{}
			norm := func(k string) string {
				if fold {
					return strings.ToLower(k) // keys are ASCII
				}
				return k
			}
			for i := range 200_000 {
				k := fmt.Sprintf("%c%d", "aAbB"[r.IntN(4)], r.IntN(100_000))
				prev, v, dup := s.Add(k, uint32(i))
				want, seen := ref[norm(k)]
				if dup != seen || seen && (prev != want.key || v != want.v) {
					t.Fatalf("Add(%q) = %q, %d, %v; want %q, %d, %v", k, prev, v, dup, want.key, want.v, seen)
				}
				if !seen {
					ref[norm(k)] = struct {
						key string
						v   uint32
					}{k, uint32(i)}
				}
			}
			if s.Len() != len(ref) {
				t.Fatalf("Len = %d, want %d", s.Len(), len(ref))
			}
		})
	}
}

// TestSetSize holds the set to its purpose: 500,000 ids of 7 bytes in
// less than a third of what a map[string]int of them takes.
func TestSetSize(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 500,000 keys")
	}
	const n = 500_000
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap()
	var s strset.Set
	for i := range n {
		s.Add(fmt.Sprintf("P%06d", i), uint32(i))
	}
	set := heap() - base
	runtime.KeepAlive(&s)
	base = heap()
	m := map[string]int{}
	for i := range n {
		m[fmt.Sprintf("P%06d", i)] = i
	}
	inMap := heap() - base
	runtime.KeepAlive(m)
	t.Logf("set %.1f MB, map %.1f MB", float64(set)/1e6, float64(inMap)/1e6)
	if set*3 > inMap {
		t.Fatalf("set takes %d bytes, a map %d: not a third", set, inMap)
	}
}
