package state

import "github.com/workshop-login/workshop-login/auth"

// The session across restarts: the keyring is asked after the first code,
// and told of each new session.

// maybeRestore asks the keyring for a kept session once the first engine
// event has been handled (the first code, or why there is none), or two
// ticks after the start when none came: the keyring (a D-Bus service,
// seconds when it is slow) must not hold the first code up, nor compete
// with it for the processor, and a person restored a moment later than
// the code was shown loses nothing.
func (m *Machine) maybeRestore(tick bool) {
	if m.restore == nil {
		return
	}
	if tick {
		if m.ticksBefore++; m.ticksBefore < 2 {
			return
		}
	}
	restore := m.restore
	m.restore = nil
	restore()
}

// keep saves a new session in the keyring; the screen says when it cannot.
// A chain authorisation is never kept: it works once.
func (m *Machine) keep(s *auth.Session) {
	if s.Identity.Role == auth.RoleRSSE || m.choice() {
		return
	}
	m.onKeyring(func(store Sessions) Msg { return Saved{Session: s, Err: store.Save(s)} })
}
