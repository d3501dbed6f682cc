package auth

// SetNameMasker sets a filter applied to display names once they are
// valid (the chat word filter: each character of a listed word becomes
// '*'). nil removes it.
func (s *Service) SetNameMasker(f func(string) string) {
	if f == nil {
		s.nameMask.Store(nil)
		return
	}
	s.nameMask.Store(&f)
}

func (s *Service) maskName(name string) string {
	if f := s.nameMask.Load(); f != nil {
		return (*f)(name)
	}
	return name
}
