package state

import (
	"net/url"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// What the person does on the screen, each called on the screen's goroutine.

// Input is input to the window: it counts as the person being here.
func (m *Machine) Input() {
	m.lastInput = m.opts.Now()
	m.wake()
	if m.idleLeft > 0 {
		m.idleLeft = 0
		m.mark(Everything)
	}
}

// SignOut signs the person out, if someone is signed in.
func (m *Machine) SignOut() {
	if m.session != nil {
		m.endSession(AuditSignOut, "")
	}
}

// StartWeb replaces the QR code with a browser sign-in: the system browser
// opens, and the kiosk waits for it to come back.
func (m *Machine) StartWeb() {
	if m.opts.WebSignIn == nil || m.session != nil || m.web {
		return
	}
	m.Input()
	ctx := m.newAttempt()
	m.code, m.message, m.web, m.webNote = auth.QRCode{}, auth.MsgWebContinue, true, ""
	m.signingIn, m.retryUntil = false, time.Time{}
	if m.w.PageText != nil {
		m.opts.WebSignIn.SetPageText(m.w.PageText())
	}
	m.mark(Everything)
	m.forward(ctx, m.attempt, m.opts.WebSignIn.Start(ctx))
}

// CancelWeb gives up the browser sign-in and goes back to the QR code.
func (m *Machine) CancelWeb() {
	if m.web {
		m.startAttempt()
	}
}

// RetryNow cuts the engine's busy or offline wait short: the person does
// not want to wait for it.
func (m *Machine) RetryNow() {
	r, ok := m.signIn().(retrier)
	if !ok || m.web || m.session != nil || m.retryUntil.IsZero() {
		return
	}
	r.RetryNow()
	m.retryUntil = time.Time{} // trying now; the next event says how it went
	m.mark(Countdowns)
}

// OpenDeeplink opens the code's address with the system (the Digidentity
// app on a tablet).
func (m *Machine) OpenDeeplink() {
	if m.code.URI == "" || m.opts.OpenURL == nil {
		return
	}
	if u, err := url.Parse(m.code.URI); err == nil {
		if err := m.opts.OpenURL(u); err != nil {
			m.w.LogError("opening the Digidentity app", err)
		}
	}
}

// LaunchTool starts the named tool for the person signed in, with the
// session of the tool's manufacturer; how it went comes back as
// ToolLaunched.
func (m *Machine) LaunchTool(name string) { m.LaunchToolOf(m.vmOfTool(name), name) }

// LaunchToolOf starts manufacturer i's tool of that name: two
// manufacturers may each have a tool of one name (the demo tool).
func (m *Machine) LaunchToolOf(i int, name string) {
	if m.session == nil || i < 0 || i >= len(m.vms) || m.sessions[i] == nil || m.vms[i].Handoff == nil {
		return
	}
	m.Input()
	m.handoffErr = Text{}
	m.mark(Everything)
	m.launch(m.vms[i].Handoff, name, m.sessions[i])
}

// OpenPortal hands the session to the repair portal of the first
// manufacturer signed in (the only one, on a kiosk of one).
func (m *Machine) OpenPortal() {
	for i, s := range m.sessions {
		if s != nil && s == m.session {
			m.OpenPortalOf(i)
			return
		}
	}
}

// OpenPortalOf hands manufacturer i's session to its repair portal.
func (m *Machine) OpenPortalOf(i int) {
	if m.session == nil || i < 0 || i >= len(m.vms) || m.sessions[i] == nil || m.vms[i].Handoff == nil {
		return
	}
	m.Input()
	m.handoffErr = Text{}
	if err := m.vms[i].Handoff.OpenPortal(m.sessions[i]); err != nil {
		m.w.LogError("opening the repair portal", err)
		m.handoffErr = Text{Key: "ui.handoff_failed", Params: map[string]any{"Name": Text{Key: "ui.repair_portal"}}}
	} else {
		m.audit(AuditPortal, m.sessions[i], "")
	}
	m.mark(Everything)
}

// OpenSettings shows the settings and about screen, and asks again whether
// Digidentity answers.
func (m *Machine) OpenSettings() {
	m.settingsOpen = true
	m.checkTrustCentre()
	m.mark(Everything)
}

// CloseSettings goes back to the sign-in or the signed-in screen.
func (m *Machine) CloseSettings() {
	m.settingsOpen = false
	m.mark(Everything)
}
