// Package state is the kiosk's state machine, with no Fyne in it: what the
// person did and what the goroutines found out go in (the Machine's methods
// and Handle), a plain description of the screen comes out (View). Package
// ui renders that description with Fyne; the machine's goroutines hand their
// results to ui's one inbound loop through Wiring.Post, and the loop gives
// each back to Handle on the screen's goroutine.
package state

import (
	"context"
	"net/url"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/platform/config"
)

// Settings are the kiosk's display choices: the configuration's [kiosk]
// section itself, so no layer copies it field by field. The zero value is
// a window with no kiosk mode, a code always on screen and the QR sign-in
// (with WebSignIn, the browser offered beside it).
type Settings = config.Kiosk

// WebSignIn is the browser sign-in (weblogin.WebLogin): its pages in the
// browser speak the kiosk's language of the moment.
type WebSignIn interface {
	auth.SignIn
	SetPageText(func(auth.MessageKey) string)
}

// retrier is a sign-in whose waits can be cut short (auth.Passwordless):
// the "Try again now" button.
type retrier interface{ RetryNow() }

// Handoff gives the signed-in session to the garage's tools and the VM's
// repair portal. The platform provides it; nil means none are configured.
type Handoff interface {
	Tools() []string
	// LaunchTool starts the named tool and returns once it has kept running
	// for its first seconds, or has stopped: an error with an ExitCode() int
	// method is a tool that stopped at start (handoff.StoppedAtStartError).
	// It may take seconds; the kiosk calls it off the screen's goroutine.
	LaunchTool(name string, s *auth.Session) error
	HasPortal() bool
	OpenPortal(s *auth.Session) error
	// EndSession ends what must not outlive the person (tools so
	// configured). It may take seconds; the screen does not wait for it.
	EndSession()
}

// The events the kiosk records for the garage's audit.
const (
	AuditSignIn     = "sign_in"
	AuditSignOut    = "sign_out"
	AuditRefused    = "refused"
	AuditToolLaunch = "tool_launch"
	AuditToolFailed = "tool_failed" // could not start, or stopped at start
	AuditPortal     = "portal_opened"
	AuditIdle       = "idle_sign_out"
	// AuditCrashSignOut: the last run crashed, so its person was signed out
	// at start instead of restored, and its tools ended.
	AuditCrashSignOut = "crash_sign_out"
)

// Manufacturer is one vehicle manufacturer the kiosk signs in to: its own
// Digidentity client (through its relay), and its tools and portal, which
// get its session only.
type Manufacturer struct {
	Name    string
	SignIn  auth.SignIn
	Handoff Handoff // nil: none
}

// Sessions keeps the signed-in sessions across restarts: the OS keyring.
// Its calls may take seconds; the kiosk makes them off the screen's
// goroutine, one at a time, in order.
type Sessions interface {
	// Save keeps the person's sessions, one a manufacturer, the first
	// signed in first (each names its manufacturer), replacing any kept.
	Save(...*auth.Session) error
	Restore() ([]*auth.Session, error) // none when none may be used again
	Delete() error
}

// Options is what the kiosk needs from the rest of the program.
type Options struct {
	SignIn    auth.SignIn
	WebSignIn WebSignIn // nil: no browser sign-in
	Handoff   Handoff
	// Manufacturers, when set, replace SignIn and Handoff: one sign-in and
	// hand-off per vehicle manufacturer, in the configuration's order.
	Manufacturers []Manufacturer
	Environment   auth.Environment
	Version       string
	// CheckTrustCentre says whether Digidentity answers, for the about panel.
	CheckTrustCentre func(context.Context) error
	// OpenURL opens an address with the system (the deeplink button).
	OpenURL func(*url.URL) error
	// Audit records who signed in and out, refusals and tool launches; nil
	// records nothing. Details never hold a token.
	Audit func(event string, s *auth.Session, detail string) error
	// Sessions keeps the session across restarts; nil keeps nothing.
	Sessions Sessions
	// IdleTime is how long since anyone used the machine, in any program
	// (platform/idle). It is asked off the screen's goroutine; nil, or an
	// error, leaves only the window's own input to count. An error is
	// logged once, unless it is ErrNoIdleTime: the system cannot tell at
	// all, which is no news.
	IdleTime func() (time.Duration, error)
	Settings Settings
	Now      func() time.Time // default time.Now
	// Enrolment lets the garage enrol this kiosk from the settings; nil
	// when the relay does not allow it. EnrolAtStart: the kiosk is not
	// enrolled yet, so it starts on the enrolment code.
	Enrolment    Enrolment
	EnrolAtStart bool
}
