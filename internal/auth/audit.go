package auth

import "context"

// AuditFunc records one admin action of the account API (ban, unban, key
// rotation): the admin, the action, its target and reason, and the state
// before and after (JSON-marshalable, nil for none). An error fails the
// request after the change, so the caller hears the change is unrecorded.
type AuditFunc func(ctx context.Context, admin Identity, action, target, reason string, before, after any) error

type auditBox struct{ f AuditFunc }

// SetAudit makes the account API's admin endpoints record their actions
// with f. Call it before serving.
func (s *Service) SetAudit(f AuditFunc) { s.audit.Store(&auditBox{f}) }

func (s *Service) record(ctx context.Context, admin Identity, action, target, reason string, before, after any) error {
	b := s.audit.Load()
	if b == nil {
		return nil
	}
	return b.f(ctx, admin, action, target, reason, before, after)
}

// banState is an account's ban as the audit log keeps it.
func (s *Service) banState(ctx context.Context, userID int64) map[string]any {
	a, err := s.st.Account(ctx, userID)
	if err != nil {
		return nil
	}
	out := map[string]any{"banned": a.Banned(s.now())}
	if a.Banned(s.now()) {
		out["ban_reason"], out["banned_until"] = a.BanReason, a.BannedUntil.UTC()
	}
	return out
}
