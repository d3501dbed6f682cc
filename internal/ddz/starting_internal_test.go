package ddz

import (
	"testing"

	"github.com/lordgame/lordgame/internal/match"
)

// TestStartingSnapshot: a table asked for its state before the first
// deal answers phase "starting" with nobody to act (protocol-ddz.md).
func TestStartingSnapshot(t *testing.T) {
	tb := &table{svc: &Service{cfg: DefaultConfig()}, gid: "7", mode: match.Mode{Name: "classic", Stake: 1}}
	s := tb.snapshot(nil, 1)
	if s.Phase != "starting" || s.Turn != -1 || s.Landlord != -1 || s.Seat != 1 || len(s.Hand) != 0 {
		t.Errorf("snapshot before the deal = %v", s)
	}
}
