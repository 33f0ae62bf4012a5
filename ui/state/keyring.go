package state

import (
	"fmt"

	"github.com/workshop-login/workshop-login/auth"
)

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

// keep saves the person's sessions in the keyring, each naming its
// manufacturer, whenever one is added; the screen says when it cannot. A
// chain authorisation is never kept: it works once.
func (m *Machine) keep() {
	first := m.session
	if first == nil || first.Identity.Role == auth.RoleRSSE {
		return
	}
	all := []*auth.Session{first}
	for _, s := range m.sessions {
		if s != nil && s != first {
			all = append(all, s)
		}
	}
	m.onKeyring(func(store Sessions) Msg { return Saved{Session: first, Err: store.Save(all...)} })
}

// takeOver signs in again the sessions kept before a restart, each with
// the manufacturer it names. The first one decides: when its manufacturer
// is no longer configured, nothing is taken over. Another person's
// session never was kept (approvedAnother).
func (m *Machine) takeOver(kept []*auth.Session) {
	for n, s := range kept {
		i := m.manufacturerOf(s)
		if i < 0 || n > 0 && m.sessions[i] != nil {
			if n == 0 {
				m.w.LogError("restoring the session from the keyring",
					fmt.Errorf("it is of %q, which this kiosk no longer signs in to", s.Manufacturer))
				return
			}
			continue
		}
		if n == 0 {
			m.endAttempt() // no code is needed now
			m.attempt++
			m.session, m.cur = s, i
			m.lastInput = m.opts.Now()
		}
		s.Manufacturer = m.vms[i].Name
		m.sessions[i] = s
		m.audit(AuditSignIn, s, "restored after a restart")
	}
	m.mark(Everything)
}

// manufacturerOf is the index of the manufacturer a kept session names,
// or -1: another's tokens and relay session are never taken for its. A
// kiosk of one also takes a session that names none (kept by a kiosk of
// one, or by a release before sessions named their manufacturer).
func (m *Machine) manufacturerOf(s *auth.Session) int {
	if !m.choice() && s.Manufacturer == "" {
		return 0
	}
	for i, vm := range m.vms {
		if vm.Name == s.Manufacturer {
			return i
		}
	}
	return -1
}
