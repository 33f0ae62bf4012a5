package state

import (
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// Several manufacturers on one kiosk. At rest the person picks one (a
// tile, or its number key) and gets that manufacturer's code; with one
// there is no choice step. Signed in, they may also sign in to another:
// its code, one more approval on the phone, accepted only from the same
// person. Sign-out, idle sign-out and the crash rule end all of them.

// signIn is the sign-in of the manufacturer whose code is asked for.
func (m *Machine) signIn() auth.SignIn { return m.vms[m.cur].SignIn }

// choice says whether the person picks a manufacturer first.
func (m *Machine) choice() bool { return len(m.vms) > 1 }

// restable says whether the kiosk rests when nobody is there: codes on
// demand, or a choice of manufacturer to make first.
func (m *Machine) restable() bool { return m.onDemand() != nil || m.choice() }

// Choose shows manufacturer i's code; signed in, it is AlsoSignIn.
func (m *Machine) Choose(i int) {
	if i < 0 || i >= len(m.vms) || m.web {
		return
	}
	if m.session != nil {
		m.AlsoSignIn(i)
		return
	}
	m.lastInput = m.opts.Now()
	if i == m.cur {
		if m.resting {
			// The attempt still runs (a code shown before the rest is
			// still polled): only wake it.
			m.resting = false
			m.code, m.message = auth.QRCode{}, ""
			if od := m.onDemand(); od != nil {
				od.Wake()
			}
			m.mark(Everything)
		}
		return
	}
	m.cur, m.resting = i, false
	m.startAttempt()
}

// BackToChoice takes the code off the screen and shows the tiles again.
func (m *Machine) BackToChoice() {
	if !m.choice() || m.session != nil || m.resting || m.web {
		return
	}
	m.lastInput = m.opts.Now()
	m.rest()
}

// AlsoSignIn shows manufacturer i's code to the person signed in. Not to
// a remote specialist: the chain authorisation works for one login only.
func (m *Machine) AlsoSignIn(i int) {
	if m.session == nil || m.adding || i < 0 || i >= len(m.vms) || m.sessions[i] != nil ||
		m.session.Identity.Role == auth.RoleRSSE || m.vms[i].SignIn == nil {
		return
	}
	m.Input()
	ctx := m.newAttempt()
	m.cur, m.adding, m.addNote, m.handoffErr = i, true, Text{}, Text{}
	m.code, m.message, m.signingIn, m.retryUntil = auth.QRCode{}, "", false, time.Time{}
	if od := m.onDemand(); od != nil {
		od.Wake()
	}
	m.mark(Everything)
	m.forward(ctx, m.attempt, m.signIn().Start(ctx))
}

// CancelAdd gives up the second sign-in and goes back to the signed-in
// screen.
func (m *Machine) CancelAdd() {
	if !m.adding {
		return
	}
	m.Input()
	m.stopAdding()
}

func (m *Machine) stopAdding() {
	m.endAttempt()
	m.attempt++ // drop what the attempt still had on its way
	m.adding, m.code, m.message, m.signingIn, m.retryUntil = false, auth.QRCode{}, "", false, time.Time{}
	m.mark(Everything)
}

// approvedAnother takes a second manufacturer's session only from the
// person signed in: the same authorisation UID, never the same sub, which
// a Trust Centre may give each client differently (pairwise subjects).
// Anyone else is refused, and the first session stays.
func (m *Machine) approvedAnother(s *auth.Session) {
	i := m.cur
	m.stopAdding()
	if samePerson(m.session.Identity, s.Identity) {
		m.sessions[i] = s
		m.audit(AuditSignIn, s, "also signed in")
		m.keep()
		return
	}
	m.audit(AuditRefused, s, "another person approved the sign-in to "+m.vms[i].Name+"; "+
		m.session.Identity.AuthorisationUID()+" stays signed in")
	m.addNote = key("ui.other_person_refused", map[string]any{"Name": m.vms[i].Name})
}

// samePerson: the same technician, by the authorisation UID (the last
// IOEUID segment, which re-authorisation by another CAB does not change).
func samePerson(a, b auth.Identity) bool {
	return a.Role == auth.RoleIOE && b.Role == auth.RoleIOE &&
		a.AuthorisationUID() != "" && a.AuthorisationUID() == b.AuthorisationUID()
}

// expireOthers ends a second manufacturer's session that has expired, and
// its tools; the first one's expiry ends all (tick).
func (m *Machine) expireOthers(now time.Time) {
	for i, s := range m.sessions {
		if s == nil || s == m.session || s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt) {
			continue
		}
		m.audit(AuditSignOut, s, "session expired")
		m.sessions[i] = nil
		if h := m.vms[i].Handoff; h != nil {
			go h.EndSession()
		}
		m.mark(Everything)
	}
}

// endAll audits the end of every session, and ends
// what each manufacturer's hand-off must not let outlive them.
func (m *Machine) endAll(event, why string) {
	if !m.isCurrent(m.session) {
		m.audit(event, m.session, why)
	}
	for _, s := range m.sessions {
		if s != nil {
			m.audit(event, s, why)
		}
	}
	for _, vm := range m.vms {
		if vm.Handoff != nil {
			go vm.Handoff.EndSession()
		}
	}
}

// SignedVM is a manufacturer signed in, on the signed-in screen.
type SignedVM struct {
	Index  int
	Name   string
	Tools  []string
	Portal bool
}

// Choice is a manufacturer to pick: a tile, or "Also sign in to …".
type Choice struct {
	Index int
	Name  string
}

func (m *Machine) choices() []Choice {
	c := make([]Choice, len(m.vms))
	for i, vm := range m.vms {
		c[i] = Choice{Index: i, Name: vm.Name}
	}
	return c
}

// viewManufacturers fills the signed-in screen's hand-offs: the portal of
// the one manufacturer, or with several each one's tools and portal, and
// the others to sign in to as well.
func (m *Machine) viewManufacturers(v *View) {
	if !m.choice() {
		h := m.vms[0].Handoff
		v.Portal = h != nil && h.HasPortal()
		return
	}
	rsse := m.session.Identity.Role == auth.RoleRSSE
	for i, vm := range m.vms {
		switch {
		case m.sessions[i] != nil:
			sv := SignedVM{Index: i, Name: vm.Name}
			if vm.Handoff != nil {
				sv.Tools, sv.Portal = vm.Handoff.Tools(), vm.Handoff.HasPortal()
			}
			v.Signed = append(v.Signed, sv)
		case !rsse:
			v.Also = append(v.Also, Choice{Index: i, Name: vm.Name})
		}
	}
	if rsse {
		v.NoSecond = key("ui.rsse_one_manufacturer", nil)
	}
	v.AddNote = m.addNote
}
