package ddzclient

import (
	"errors"
	"testing"

	"github.com/lordgame/lordgame/client"
)

func TestIgnoreRace(t *testing.T) {
	other := errors.New("connection closed")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"nil", nil, nil},
		{"auto-play acted first", &client.Error{Code: "conflict", Rule: "not_your_turn"}, nil},
		{"table paused by the database", &client.Error{Code: "unavailable", Rule: "game_stalled"}, nil},
		{"restored table waits", &client.Error{Code: "conflict", Rule: "game_paused"}, nil},
		{"illegal play", &client.Error{Code: "bad_request", Rule: "does_not_beat"}, &client.Error{Code: "bad_request", Rule: "does_not_beat"}},
		{"plain unavailable", &client.Error{Code: "unavailable"}, &client.Error{Code: "unavailable"}},
		{"transport", other, other},
	}
	for _, tc := range tests {
		got := ignoreRace(tc.err)
		if (got == nil) != (tc.want == nil) || (got != nil && got.Error() != tc.want.Error()) {
			t.Errorf("%s: ignoreRace = %v, want %v", tc.name, got, tc.want)
		}
	}
}
