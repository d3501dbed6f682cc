package session

// Queued is the number of frames waiting in the send queue (not yet taken
// by the writer). Services that send state at a fixed rate use it to see a
// connection falling behind and coalesce what they would send instead of
// queueing more.
func (s *Session) Queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}
