package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lordgame/lordgame/internal/status"
)

// Field limits (docs/api.md, "Fields").
const (
	MinUsername    = 3
	MaxUsername    = 20
	MinPassword    = 8
	MaxPassword    = 128
	MinDisplayName = 2
	MaxDisplayName = 24
	MinDeviceID    = 8
	MaxDeviceID    = 128
	MaxBanReason   = 200
)

func fieldErr(field, format string, args ...any) error {
	return status.Errorf(status.BadRequest, field+": "+format, args...)
}

// checkUsername enforces the username charset: 3-20 ASCII letters, digits
// and underscores, starting with a letter. Uniqueness ignores case.
func checkUsername(u string) error {
	if len(u) < MinUsername || len(u) > MaxUsername {
		return fieldErr("username", "must be %d to %d characters", MinUsername, MaxUsername)
	}
	for i, r := range u {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '_')
		if !ok {
			return fieldErr("username", "use letters, digits and _ only, starting with a letter")
		}
	}
	return nil
}

func checkPasswordField(field, p string) error {
	if len(p) < MinPassword || len(p) > MaxPassword {
		return fieldErr(field, "must be %d to %d bytes", MinPassword, MaxPassword)
	}
	if !utf8.ValidString(p) {
		return fieldErr(field, "must be valid UTF-8")
	}
	return nil
}

func checkDeviceID(d string) error {
	if len(d) < MinDeviceID || len(d) > MaxDeviceID {
		return fieldErr("device_id", "must be %d to %d characters", MinDeviceID, MaxDeviceID)
	}
	for _, r := range d {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)
		if !ok {
			return fieldErr("device_id", "use letters, digits and - _ . : only")
		}
	}
	return nil
}

// checkDisplayName allows 2-24 letters (any script), digits, spaces, _ and
// -, with no leading, trailing or doubled spaces and no blocked word.
func checkDisplayName(name string, blocked []string) error {
	n := utf8.RuneCountInString(name)
	if !utf8.ValidString(name) || n < MinDisplayName || n > MaxDisplayName {
		return fieldErr("display_name", "must be %d to %d characters", MinDisplayName, MaxDisplayName)
	}
	if strings.TrimSpace(name) != name || strings.Contains(name, "  ") {
		return fieldErr("display_name", "must not start or end with a space or contain two in a row")
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' && r != '_' && r != '-' {
			return fieldErr("display_name", "use letters, digits, spaces, _ and - only")
		}
	}
	lower := strings.ToLower(name)
	squashed := strings.NewReplacer(" ", "", "_", "", "-", "").Replace(lower)
	for _, w := range blocked {
		w = strings.ToLower(strings.TrimSpace(w))
		if w != "" && (strings.Contains(lower, w) || strings.Contains(squashed, w)) {
			return fieldErr("display_name", "contains a blocked word")
		}
	}
	return nil
}
