package doudizhu

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
)

// Seed determines every random choice of a game: the shuffles of each deal
// and, when asked for, the first bidder. Record it to audit or replay a
// hand (spec §2.3), but keep it secret until the hand is over: the seed
// reveals every hand and the bottom cards.
type Seed [32]byte

// NewSeed returns a seed from crypto/rand.
func NewSeed() Seed {
	var s Seed
	rand.Read(s[:]) // never returns an error; it crashes the program instead
	return s
}

// SeedFromUint64 expands a small number into a seed, for tools and tests
// that want short reproducible seeds.
func SeedFromUint64(v uint64) Seed {
	var s Seed
	binary.LittleEndian.PutUint64(s[:], v)
	return s
}

// String returns s in hexadecimal.
func (s Seed) String() string { return hex.EncodeToString(s[:]) }

// MarshalText encodes s in hexadecimal.
func (s Seed) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes the hexadecimal form.
func (s *Seed) UnmarshalText(b []byte) error {
	v, err := ParseSeed(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeed reads a seed in the 64-digit hexadecimal form of Seed.String.
func ParseSeed(h string) (Seed, error) {
	var s Seed
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != len(s) {
		return s, fmt.Errorf("doudizhu: seed must be %d hex digits", 2*len(s))
	}
	copy(s[:], b)
	return s, nil
}

// rng returns the deterministic generator behind a seed: ChaCha8, so the
// stream is unpredictable without the seed and unbiased.
func (s Seed) rng() *mrand.Rand { return mrand.New(mrand.NewChaCha8(s)) }

// shuffle deals a fresh deck: Fisher–Yates with unbiased bounded draws.
func shuffle(rng *mrand.Rand) (hands [3]Cards, bottom Cards, faces [3]Faces, bottomFaces Faces) {
	faces, bottomFaces = shuffleFaces(rng)
	for s := range hands {
		hands[s] = faces[s].Ranks()
	}
	return hands, bottomFaces.Ranks(), faces, bottomFaces
}

// DealFrom returns the deals a game with this seed would make, in order:
// deal n (from 1) is the n-th shuffle. Games with a random first bidder
// draw it before the first shuffle, so pass randomFirst to match them.
// It lets an auditor see the hands of a logged game.
func DealFrom(seed Seed, randomFirst bool, n int) (hands [3]Cards, bottom Cards) {
	rng := seed.rng()
	if randomFirst {
		rng.IntN(3)
	}
	for range n {
		hands, bottom, _, _ = shuffle(rng)
	}
	return hands, bottom
}

// DealFacesFrom is DealFrom with the physical cards.
func DealFacesFrom(seed Seed, randomFirst bool, n int) (hands [3]Faces, bottom Faces) {
	rng := seed.rng()
	if randomFirst {
		rng.IntN(3)
	}
	for range n {
		_, _, hands, bottom = shuffle(rng)
	}
	return hands, bottom
}
