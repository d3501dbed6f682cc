package ddz

import (
	"testing"

	"google.golang.org/protobuf/proto"

	engine "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// FuzzViewOf: a snapshot from the wire, house-rule fields included, never
// panics ViewOf; an accepted one has a counter of 15 ranks only with a
// counter, and shown cards only when they parse.
func FuzzViewOf(f *testing.F) {
	for _, s := range []*pb.DdzSnapshot{
		{Phase: "doubling", Doubles: []uint32{0, 2, 1}, HouseRules: []string{"doubling"}},
		{Phase: "playing", Shown: true, ShownFaces: []string{"3S", "4H"}, Counter: make([]uint32, 15)},
		{Phase: "playing", Counter: []uint32{9, 9, 9}},
		{Phase: "bidding", Hand: []string{"3", "3"}, HandFaces: []string{"3S", "3H"}},
	} {
		b, _ := proto.Marshal(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &pb.DdzSnapshot{}
		if proto.Unmarshal(b, s) != nil {
			return
		}
		v, err := ViewOf(s)
		if err != nil {
			return
		}
		if v.HasCounter != (len(s.Counter) > 0) || (v.HasCounter && len(s.Counter) != engine.NumRanks) {
			t.Fatalf("counter %v from %v", v.Counter, s.Counter)
		}
		for _, n := range v.Counter {
			if n > 4 {
				t.Fatalf("counter %v has more than 4 of a rank", v.Counter)
			}
		}
		if len(v.ShownFaces) != len(s.ShownFaces) {
			t.Fatalf("shown %v from %v", v.ShownFaces, s.ShownFaces)
		}
	})
}
