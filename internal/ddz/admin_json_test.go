package ddz

import (
	"encoding/json"
	"testing"
)

// TestUserIDsJSON: a table's user ids travel as strings (64-bit ids) and
// are read back from strings or numbers; anything else is an error.
func TestUserIDsJSON(t *testing.T) {
	b, err := json.Marshal(TableInfo{Users: UserIDs{9007199254740993, 0, -2}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if got, _ := json.Marshal(m["users"]); string(got) != `["9007199254740993","0","-2"]` {
		t.Fatalf("users in JSON: %s", got)
	}
	for _, c := range []struct {
		in   string
		want UserIDs
		ok   bool
	}{
		{`["9007199254740993","0","-2"]`, UserIDs{9007199254740993, 0, -2}, true},
		{`[1,2,3]`, UserIDs{1, 2, 3}, true},
		{`["1","2"]`, UserIDs{}, false},
		{`["1","2","x"]`, UserIDs{}, false},
		{`{"a":1}`, UserIDs{}, false},
		{`["1","2","3","4"]`, UserIDs{}, false},
	} {
		var u UserIDs
		err := json.Unmarshal([]byte(c.in), &u)
		if (err == nil) != c.ok || (c.ok && u != c.want) {
			t.Errorf("%s: %v %v, want %v ok=%v", c.in, u, err, c.want, c.ok)
		}
	}
}
