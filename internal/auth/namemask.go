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

// OnNameChange sets a function told of every display name set (the user
// and the name as stored), after it is stored: the chat layer refreshes
// the name it puts on pushes. nil removes it.
func (s *Service) OnNameChange(f func(userID int64, name string)) {
	if f == nil {
		s.onName.Store(nil)
		return
	}
	s.onName.Store(&f)
}

func (s *Service) nameChanged(userID int64, name string) {
	if f := s.onName.Load(); f != nil {
		(*f)(userID, name)
	}
}
