package state

import (
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// The people signed in: the idle sign-out, and signing out.

// checkIdle warns, then signs the person out, when nobody has used the
// machine for the configured time: the window's own input or, where the
// system can tell, input to any program (the diagnostic tool, say).
func (m *Machine) checkIdle(sample IdleSample) {
	after, warning := m.opts.Settings.IdleSignOut, m.opts.Settings.IdleWarning
	if m.session == nil || after <= 0 {
		return
	}
	idle := m.opts.Now().Sub(m.lastInput)
	if sample.OK && sample.Idle < idle {
		idle = sample.Idle
	}
	left := after - idle
	switch {
	case left <= 0:
		m.endSession(AuditIdle, "no input for "+after.String())
	case left <= warning:
		// Whole seconds, rounded up: the warning never shows 0:00.
		m.idleLeft = (left + time.Second - 1).Truncate(time.Second)
		m.mark(Countdowns)
	case m.idleLeft > 0:
		m.idleLeft = 0
		m.mark(Everything)
	}
}

// endSession signs the person out (why: empty when they chose to), ends
// what must not outlive them, and shows a fresh code.
func (m *Machine) endSession(event, why string) {
	if m.session != nil {
		// After every sign-out, rest: the next person touches the kiosk.
		m.resting, m.idleAt = m.restable(), time.Time{}
		m.endAll(event, why)
		if m.keyring != nil {
			// Durable before visible: the next person's code appears only
			// once the keyring no longer holds this session, so a crash
			// right after sign-out cannot bring it back on restart.
			m.code, m.message, m.session, m.handoffErr, m.sessionNotSaved, m.idleLeft = auth.QRCode{}, "", nil, Text{}, false, 0
			clear(m.sessions)
			m.adding, m.addNote = false, Text{}
			m.signingOut++
			m.mark(Everything)
			m.onKeyring(func(s Sessions) Msg { return Deleted{Err: s.Delete()} })
			return
		}
	}
	m.startAttempt()
}
