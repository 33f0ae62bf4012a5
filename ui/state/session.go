package state

import (
	"errors"
	"strconv"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// The person signed in: keeping the session, the idle sign-out, signing
// out, the tools' starts and the audit log.

// keep saves a new session in the keyring; the screen says when it cannot.
// A chain authorisation is never kept: it works once.
func (m *Machine) keep(s *auth.Session) {
	if s.Identity.Role == auth.RoleRSSE {
		return
	}
	m.onKeyring(func(store Sessions) Msg { return Saved{Session: s, Err: store.Save(s)} })
}

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
		m.resting, m.idleAt = m.onDemand() != nil, time.Time{}
		m.audit(event, m.session, why)
		if m.opts.Handoff != nil {
			go m.opts.Handoff.EndSession()
		}
		if m.keyring != nil {
			// Durable before visible: the next person's code appears only
			// once the keyring no longer holds this session, so a crash
			// right after sign-out cannot bring it back on restart.
			m.code, m.message, m.session, m.handoffErr, m.sessionNotSaved, m.idleLeft = auth.QRCode{}, "", nil, Text{}, false, 0
			m.signingOut++
			m.mark(Everything)
			m.onKeyring(func(s Sessions) Msg { return Deleted{Err: s.Delete()} })
			return
		}
	}
	m.startAttempt()
}

// toolLaunched records how a tool's start went, and shows a failure while
// the person who started it is still signed in.
func (m *Machine) toolLaunched(name string, s *auth.Session, err error) {
	if err == nil {
		m.audit(AuditToolLaunch, s, name)
		return
	}
	m.w.LogError("launching "+name, err)
	var stopped interface{ ExitCode() int }
	var message Text
	if errors.As(err, &stopped) {
		code := strconv.Itoa(stopped.ExitCode())
		m.audit(AuditToolFailed, s, name+": stopped at start, exit "+code)
		message = Text{Key: "ui.tool_stopped_at_start", Params: map[string]any{"Name": name, "Code": code}}
	} else {
		m.audit(AuditToolFailed, s, name+": could not start")
		message = Text{Key: "ui.handoff_failed", Params: map[string]any{"Name": name}}
	}
	if m.session == s {
		m.handoffErr = message
		m.mark(Everything)
	}
}

func (m *Machine) audit(event string, s *auth.Session, detail string) {
	if m.opts.Audit == nil {
		return
	}
	if err := m.opts.Audit(event, s, detail); err != nil {
		m.w.LogError("writing the audit log", err)
	}
}
