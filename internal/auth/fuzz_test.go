package auth

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lordgame/lordgame/internal/status"
)

// FuzzAPIBody sends arbitrary bodies to every unauthenticated endpoint:
// the answer is always JSON, and an error always has a code from the
// closed list with its HTTP status.
func FuzzAPIBody(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"username":"alice","password":"correct horse"}`, `{"device_id":"device-0001"}`,
		`{"refresh_token":"rt_x"}`, `{"username":5}`, `[1,2]`, `{"a":`, `null`, `"str"`, `{"username":"ab\u0000c"}`,
	} {
		f.Add(s)
	}
	fx := newFixture(f, nil)
	paths := []string{"/v1/auth/register", "/v1/auth/login", "/v1/auth/guest", "/v1/auth/refresh", "/v1/auth/logout"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			req := httptest.NewRequest("POST", p, strings.NewReader(body))
			w := httptest.NewRecorder()
			fx.h.ServeHTTP(w, req)
			if w.Code == 204 {
				continue
			}
			var e struct{ Code, Message string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Fatalf("%s %q: answer %d is not JSON: %q", p, body, w.Code, w.Body.String())
			}
			if w.Code >= 400 && (!status.Code(e.Code).Valid() || status.Code(e.Code).HTTPStatus() != w.Code || e.Message == "") {
				t.Fatalf("%s %q: bad error answer %d %q", p, body, w.Code, w.Body.String())
			}
		}
	})
}

// FuzzFields checks the validators never panic and accept only what the
// documented charsets allow.
func FuzzFields(f *testing.F) {
	for _, s := range []string{"alice", "Al_1", "1abc", "a b", "斗地主", "  x", "ab\x00", strings.Repeat("z", 30)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkUsername(s) == nil {
			if len(s) < MinUsername || len(s) > MaxUsername || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
				t.Errorf("username %q accepted", s)
			}
		}
		if checkDisplayName(s, []string{"bad"}) == nil && (strings.Contains(strings.ToLower(s), "bad") || strings.TrimSpace(s) != s) {
			t.Errorf("display name %q accepted", s)
		}
		_ = checkDeviceID(s)
		_ = checkPasswordField("password", s)
	})
}
