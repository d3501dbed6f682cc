package gateway

import "github.com/lordgame/lordgame/internal/session"

// EachSession calls f for every session connected to this gateway (a
// service fanning one encoded push out to many). f must not block.
func (g *Gateway) EachSession(f func(*session.Session)) { g.reg.each(f) }
