// Package strset is a set of strings, each with a number (the line it
// was first seen on), kept in a few bytes beyond the string's own length:
// what checking the ids and codes of a half-million-person roster for
// repeats needs while the roster is read row by row. A map[string]int
// costs some 40 bytes more per string, and keeps alive whatever a string
// points into (a whole CSV record); a set of hashes alone could not tell
// two strings apart whose hashes collide, and would refuse a good roster.
package strset

import (
	"encoding/binary"
	"hash/maphash"
)

// blockSize is the size of the blocks keys are copied into: appending to
// one growing slice would hold the old and the new copy at once.
const blockSize = 1 << 20

// maxBlocks keeps a key's reference (block<<20 | offset, plus one) in
// 32 bits.
const maxBlocks = 1<<12 - 1

// Set is a set of strings with a uint32 each. The zero value is an empty
// set comparing strings exactly.
type Set struct {
	// FoldASCII makes strings that differ only by the case of their
	// ASCII letters the same key; the first one added is kept as it was.
	FoldASCII bool

	seed   maphash.Seed
	blocks [][]byte // each entry: value (4 bytes), uvarint length, bytes
	slots  []uint32 // reference+1 of an entry, 0 when empty; len a power of two
	n      int
}

// Len returns the number of strings in the set.
func (s *Set) Len() int { return s.n }

// Add adds key with value v, unless the set holds it already: then it
// returns the key as first added (which differs from key by case only
// with FoldASCII) and its value, and dup is true.
func (s *Set) Add(key string, v uint32) (prev string, prevV uint32, dup bool) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	i, found := s.find(key)
	if found {
		k, v := s.entry(s.slots[i] - 1)
		return string(k), v, true
	}
	s.slots[i] = s.store(key, v) + 1
	s.n++
	return "", 0, false
}

// Get returns key's value, and whether the set holds key.
func (s *Set) Get(key string) (uint32, bool) {
	if s.n == 0 {
		return 0, false
	}
	i, found := s.find(key)
	if !found {
		return 0, false
	}
	_, v := s.entry(s.slots[i] - 1)
	return v, true
}

// find returns the slot holding key, or the empty slot where it goes.
// There is always an empty slot: grow keeps a quarter of them empty.
func (s *Set) find(key string) (int, bool) {
	mask := len(s.slots) - 1
	for i := int(s.hash(key)) & mask; ; i = (i + 1) & mask {
		ref := s.slots[i]
		if ref == 0 {
			return i, false
		}
		if k, _ := s.entry(ref - 1); s.equal(k, key) {
			return i, true
		}
	}
}

func (s *Set) grow() {
	if s.seed == (maphash.Seed{}) {
		s.seed = maphash.MakeSeed()
	}
	slots := make([]uint32, max(1024, 2*len(s.slots)))
	mask := len(slots) - 1
	for _, ref := range s.slots {
		if ref == 0 {
			continue
		}
		k, _ := s.entry(ref - 1)
		i := int(s.hashBytes(k)) & mask
		for slots[i] != 0 {
			i = (i + 1) & mask
		}
		slots[i] = ref
	}
	s.slots = slots
}

// store copies key and v into the blocks and returns their reference.
func (s *Set) store(key string, v uint32) uint32 {
	size := 4 + binary.MaxVarintLen64 + len(key)
	if len(s.blocks) == 0 || cap(s.blocks[len(s.blocks)-1])-len(s.blocks[len(s.blocks)-1]) < size {
		if len(s.blocks) == maxBlocks {
			panic("strset: more keys than 4 GiB holds")
		}
		s.blocks = append(s.blocks, make([]byte, 0, max(blockSize, size)))
	}
	b := len(s.blocks) - 1
	block := s.blocks[b]
	off := len(block)
	block = binary.LittleEndian.AppendUint32(block, v)
	block = binary.AppendUvarint(block, uint64(len(key)))
	s.blocks[b] = append(block, key...)
	// A block larger than blockSize holds one key, at offset 0.
	return uint32(b)<<20 | uint32(off)
}

// entry returns the key and value at ref; the key is the set's own
// bytes, not to be kept.
func (s *Set) entry(ref uint32) ([]byte, uint32) {
	block := s.blocks[ref>>20]
	off := int(ref & (blockSize - 1))
	v := binary.LittleEndian.Uint32(block[off:])
	n, w := binary.Uvarint(block[off+4:])
	start := off + 4 + w
	return block[start : start+int(n)], v
}

func (s *Set) hash(key string) uint64 {
	if !s.FoldASCII {
		return maphash.String(s.seed, key)
	}
	var h maphash.Hash
	h.SetSeed(s.seed)
	for i := 0; i < len(key); i++ {
		h.WriteByte(lower(key[i]))
	}
	return h.Sum64()
}

// hashBytes is hash of a key the set holds.
func (s *Set) hashBytes(key []byte) uint64 {
	if !s.FoldASCII {
		return maphash.Bytes(s.seed, key)
	}
	var h maphash.Hash
	h.SetSeed(s.seed)
	for _, c := range key {
		h.WriteByte(lower(c))
	}
	return h.Sum64()
}

// equal compares a key the set holds with key.
func (s *Set) equal(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if !s.FoldASCII {
		return string(a) == b
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
