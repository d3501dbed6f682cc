package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func runLines(t *testing.T, cmd, in string) []string {
	t.Helper()
	var out bytes.Buffer
	if err := run([]string{cmd}, strings.NewReader(in), &out); err != nil {
		t.Fatalf("run %s: %v", cmd, err)
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
}

func TestCommands(t *testing.T) {
	tests := []struct {
		cmd, in, want string
	}{
		{"classify", `{"cards":["3","3","3","4"]}`, `{"type":"trio_single","rank":"3","len":1}`},
		{"classify", `{"cards":["4","3","3","3"]}`, `{"type":"trio_single","rank":"3","len":1}`},
		{"classify", `{"cards":["BJ","RJ"]}`, `{"type":"rocket","rank":"","len":1}`},
		{"classify", `{"cards":["BJ","BJ"]}`, `{"type":"invalid"}`},
		{"classify", `{"cards":["3","3","3","3","3"]}`, `{"type":"invalid"}`},
		{"classify", `{"cards":[]}`, `{"type":"invalid"}`},
		{"classify", `{"cards":["10","J","Q","K","A"]}`, `{"type":"straight","rank":"10","len":5}`},
		{"classify", `{"cards":["Q","Q","Q","K","K","K","A","A","A","2","2","2"]}`, `{"type":"airplane_single","rank":"Q","len":3}`},
		{"classify", `{"cards":["T"]}`, `{"error":"cards: unknown card \"T\""}`},
		{"classify", `{}`, `{"error":"missing \"cards\""}`},
		{"classify", ``, `{"error":"empty line"}`},
		{"moves", `{"hand":["3","3","4"]}`, `{"moves":[["3"],["4"],["3","3"]]}`},
		{"moves", `{"hand":["3","3","4"],"prev":[]}`, `{"moves":[["3"],["4"],["3","3"]]}`},
		{"moves", `{"hand":["3","3","4","BJ","RJ"],"prev":["3"]}`, `{"moves":[[],["4"],["BJ"],["RJ"],["BJ","RJ"]]}`},
		{"moves", `{"hand":["2","2","2","2"],"prev":["BJ","RJ"]}`, `{"moves":[[]]}`},
		{"moves", `{"hand":["3","3","3","4","4"],"prev":["2"]}`, `{"moves":[[]]}`},
		{"moves", `{"hand":["3"],"prev":["3","4"]}`, `{"error":"prev: not a legal play"}`},
		{"moves", `{"hand":["BJ","BJ"]}`, `{"error":"hand: more copies of a card than the deck holds"}`},
		{"moves", `{"prev":["3"]}`, `{"error":"missing \"hand\""}`},
		{"beats", `{"a":["BJ","RJ"],"b":["2","2","2","2"]}`, `{"beats":true}`},
		{"beats", `{"a":["3","3","3","3"],"b":["10","J","Q","K","A"]}`, `{"beats":true}`},
		{"beats", `{"a":["3","4","5","6","7"],"b":["3","4","5","6","7"]}`, `{"beats":false}`},
		{"beats", `{"a":["4","5","6","7","8","9"],"b":["3","4","5","6","7"]}`, `{"beats":false}`},
		{"beats", `{"a":["3","4"],"b":["3"]}`, `{"beats":false}`},
		{"beats", `{"a":["4","4","4","5","5","5","6","6","6","7","8","9"],"b":["3","3","3","4","4","4","5","5","5","K","K","K"]}`, `{"beats":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.cmd+" "+tt.in, func(t *testing.T) {
			got := runLines(t, tt.cmd, tt.in+"\n")
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("%s %s = %q, want %q", tt.cmd, tt.in, got, tt.want)
			}
		})
	}
}

// Every input line gets one output line in order, errors included.
func TestLinesKeepOrder(t *testing.T) {
	in := "{\"cards\":[\"7\"]}\nnot json\n{\"cards\":[\"9\",\"9\"]}" // no final newline
	got := runLines(t, "classify", in)
	if len(got) != 3 || !strings.HasPrefix(got[1], `{"error":`) || got[2] != `{"type":"pair","rank":"9","len":1}` {
		t.Errorf("got %q", got)
	}
}

func TestMovesSorted(t *testing.T) {
	got := runLines(t, "moves", `{"hand":["3","4","5","6","7","7","7","BJ"]}`+"\n")
	var resp struct{ Moves [][]string }
	if err := json.Unmarshal([]byte(got[0]), &resp); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"3"}, {"4"}, {"5"}, {"6"}, {"7"}, {"BJ"}, {"7", "7"}, {"7", "7", "7"},
		{"3", "7", "7", "7"}, {"4", "7", "7", "7"}, {"5", "7", "7", "7"}, {"6", "7", "7", "7"}, {"7", "7", "7", "BJ"},
		{"3", "4", "5", "6", "7"}}
	if b, _ := json.Marshal(want); string(b) != string(mustJSON(resp.Moves)) {
		t.Errorf("moves = %s\nwant    %s", mustJSON(resp.Moves), b)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestSim(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"sim", "-games", "200", "-seed", "3", "-bots", "normal,easy,easy", "-rotate"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	var rep simReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("decode %s: %v", out.Bytes(), err)
	}
	if rep.Games != 200 || rep.Levels["normal"] == nil || rep.Levels["easy"] == nil {
		t.Fatalf("report %s", out.Bytes())
	}
	total := 0
	for _, s := range rep.Seats {
		total += s.Score
	}
	if total != 0 {
		t.Errorf("scores sum to %d", total)
	}
	// The same seed gives the same games.
	var again bytes.Buffer
	_ = run([]string{"sim", "-games", "200", "-seed", "3", "-bots", "normal,easy,easy", "-rotate"}, nil, &again)
	var rep2 simReport
	_ = json.Unmarshal(again.Bytes(), &rep2)
	if rep2.Seats != rep.Seats {
		t.Errorf("same seed, different results: %+v vs %+v", rep.Seats, rep2.Seats)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"sim", "-bots", "easy"}, {"sim", "-bots", "easy,easy,hard"}, {"sim", "-games", "0"}} {
		if err := run(args, strings.NewReader(""), &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded, want a usage error", args)
		}
	}
}
