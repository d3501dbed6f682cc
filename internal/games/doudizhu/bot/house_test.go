package bot_test

import (
	"reflect"
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/games/doudizhu/bot"
)

// autoPlayer plays the auto-play policy.
type autoPlayer struct{}

func (autoPlayer) Act(v *ddz.View) ddz.Event { return bot.AutoPlay(v) }

// TestBotsHouseRules: every level and auto-play take the doubling and
// show-hand decisions, by hand strength; games end, replay, and both
// choices occur.
func TestBotsHouseRules(t *testing.T) {
	opts := ddz.DefaultOptions()
	opts.Doubling, opts.ShowHand, opts.CardCounter = true, true, true
	var doubled, declined, shown int
	for i := range 150 {
		players := [3]bot.Player{bot.NewNormal(), bot.NewEasy(), autoPlayer{}}
		players[0], players[i%3] = players[i%3], players[0]
		g, err := ddz.New(opts, ddz.SeedFromUint64(uint64(i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := bot.Run(g, players); err != nil {
			t.Fatalf("game %d: %v", i, err)
		}
		r, _ := g.Result()
		if r.Cancelled {
			continue
		}
		if r.Scores[0]+r.Scores[1]+r.Scores[2] != 0 {
			t.Fatalf("game %d: scores %v", i, r.Scores)
		}
		for _, d := range r.Doubles {
			switch d {
			case 2:
				doubled++
			case 1:
				declined++
			default:
				t.Fatalf("game %d: doubles %v: a seat did not choose", i, r.Doubles)
			}
		}
		if r.Shown {
			shown++
		}
		re, err := ddz.Replay(opts, g.Seed(), g.Events())
		if err != nil {
			t.Fatalf("game %d: replay: %v", i, err)
		}
		if rr, _ := re.Result(); !reflect.DeepEqual(rr, r) {
			t.Fatalf("game %d: replayed %+v, want %+v", i, rr, r)
		}
	}
	if doubled == 0 || declined == 0 || shown == 0 {
		t.Fatalf("doubled %d, declined %d, shown %d: every decision should occur", doubled, declined, shown)
	}
	t.Logf("doubled %d, declined %d, shown %d", doubled, declined, shown)
}

// TestHouseDecisionByStrength: a strong hand doubles and shows, a weak
// one does neither.
func TestHouseDecisionByStrength(t *testing.T) {
	strong := ddz.MustParse("BJ RJ 2 2 2 2 A A A K K Q Q J J 10 10 9 9 8")
	weak := ddz.MustParse("3 3 4 4 5 5 6 7 8 9 10 J Q K 6 7 8")
	tests := []struct {
		name string
		v    ddz.View
		want ddz.Event
		ok   bool
	}{
		{"strong farmer doubles", ddz.View{Seat: 1, Landlord: 0, Expect: ddz.KindDouble, Hand: strong}, ddz.Double(1, true), true},
		{"weak farmer does not", ddz.View{Seat: 1, Landlord: 0, Expect: ddz.KindDouble, Hand: weak}, ddz.Double(1, false), true},
		{"strong landlord doubles", ddz.View{Seat: 0, Landlord: 0, Expect: ddz.KindDouble, Hand: strong}, ddz.Double(0, true), true},
		{"strong landlord shows", ddz.View{Seat: 0, Landlord: 0, Expect: ddz.KindPlay, CanShow: true, Hand: strong}, ddz.Show(0), true},
		{"weak landlord plays", ddz.View{Seat: 0, Landlord: 0, Expect: ddz.KindPlay, CanShow: true, Hand: weak}, ddz.Event{}, false},
		{"no show without the rule", ddz.View{Seat: 0, Landlord: 0, Expect: ddz.KindPlay, Hand: strong}, ddz.Event{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := bot.House(&tt.v)
			if ok != tt.ok || !reflect.DeepEqual(e, tt.want) {
				t.Errorf("House = %+v, %v; want %+v, %v", e, ok, tt.want, tt.ok)
			}
		})
	}
}
