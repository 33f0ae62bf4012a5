package handoff

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// Handover is what a signed-in person is handed, and its end: the configured
// tools and the VM's repair portal, and at sign-out the end of everything
// that must not outlive the person (tools so configured, hand-off pages and
// their launcher files), hand-offs still under way included. The window's
// buttons call it, and EndSession at every sign-out.
//
// A sign-out never waits for a hand-off: a tool starting or a browser being
// opened may take seconds. Instead a hand-off that was under way when the
// person signed out undoes, when it returns, what sign-out could not yet see
// (a tool started but not yet on the sign-out list, a page made after the
// pages were dropped) and fails with ErrSignedOut.
type Handover struct {
	Launcher *Launcher
	// PortalURL is the repair portal's address, opened in the system browser.
	PortalURL *url.URL
	// PortalHandoff, when the portal takes a session hand-off, posts the
	// session to it from a one-time page; it is used instead of PortalURL.
	PortalHandoff *FormPost
	// OpenURL opens an address in the system browser. For a hand-off it is
	// given only a file:// address of a file no other user can read (see
	// FormPost); it must reap the opener (browser.Open waits for it in the
	// background).
	OpenURL func(*url.URL) error
	// Assertions, on a relay, signs the session's identity afresh for each
	// hand-off (auth.RelayClient.Assertion): an assertion lives minutes, a
	// session hours. Nil when the kiosk signs in direct.
	Assertions func(ctx context.Context, s *auth.Session) (auth.Secret, time.Time, error)
	// Manufacturer is whose tools and portal these are, on a kiosk of
	// several: they are handed that manufacturer's sessions only, so a
	// tool of one never receives another's assertion.
	Manufacturer string

	signOuts atomic.Uint64 // EndSession calls begun so far
}

// ErrSignedOut is a hand-off the person signed out during; what it had
// begun that must not outlive them has been ended.
var ErrSignedOut = errors.New("signed out while it was being handed over")

func (d *Handover) Tools() []string {
	if d.Launcher == nil {
		return nil
	}
	return d.Launcher.Names()
}

// LaunchTool starts the named tool (Launcher.Launch). When the person signs
// out while it starts, a tool that ends at sign-out is ended here if the
// sign-out missed it, and the error is ErrSignedOut.
func (d *Handover) LaunchTool(name string, s *auth.Session) error {
	if d.Launcher == nil {
		return errors.New("no tools are configured")
	}
	began := d.signOuts.Load()
	s, err := d.signed(s)
	if err != nil {
		return err
	}
	cmd, err := d.Launcher.Launch(name, s)
	if cmd != nil && d.signOuts.Load() != began && d.Launcher.end(cmd) {
		return fmt.Errorf("%s: %w", name, ErrSignedOut)
	}
	return err
}

func (d *Handover) HasPortal() bool {
	return (d.PortalURL != nil || d.PortalHandoff != nil) && d.OpenURL != nil
}

// OpenPortal opens the system browser at a one-time hand-off page's launcher
// when the portal takes one; otherwise at the portal's address, which carries nothing
// of the session, and the person signs in to the portal as it asks. A page
// the person signed out during is dropped, opened or not.
func (d *Handover) OpenPortal(s *auth.Session) error {
	if !d.HasPortal() {
		return errors.New("no repair portal is configured")
	}
	if d.PortalHandoff == nil {
		return d.OpenURL(d.PortalURL)
	}
	began := d.signOuts.Load()
	s, err := d.signed(s)
	if err != nil {
		return err
	}
	launcher, err := d.PortalHandoff.Page(s)
	if err != nil {
		return err
	}
	if d.signOuts.Load() != began {
		d.PortalHandoff.discard(launcher)
		return ErrSignedOut
	}
	if err := d.OpenURL(launcher); err != nil {
		d.PortalHandoff.discard(launcher)
		return err
	}
	if d.signOuts.Load() != began {
		d.PortalHandoff.discard(launcher)
		return ErrSignedOut
	}
	return nil
}

// assertionWait bounds asking the relay for a fresh assertion: the person
// is waiting at the button.
const assertionWait = 15 * time.Second

// signed is s with a fresh assertion when the kiosk is on a relay. A
// session of another manufacturer is refused before its relay is asked.
func (d *Handover) signed(s *auth.Session) (*auth.Session, error) {
	if s != nil && s.Manufacturer != d.Manufacturer {
		return nil, fmt.Errorf("the session of %q was offered to a hand-off of %q: nothing was handed over; sign out and in again", s.Manufacturer, d.Manufacturer)
	}
	if d.Assertions == nil || s == nil {
		return s, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), assertionWait)
	defer cancel()
	fresh, _, err := d.Assertions(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("the relay could not confirm who you are for this hand-off; check the connection and press again: %w", err)
	}
	c := *s
	c.Assertion = fresh
	return &c, nil
}

// EndSession ends the tools that must not outlive the person's session and
// drops hand-off pages not yet opened, with their launchers; hand-offs still
// under way end theirs when they return. It may take seconds (a tool's
// GracePeriod).
func (d *Handover) EndSession() {
	d.signOuts.Add(1) // first: a hand-off finishing from now on checks
	if d.PortalHandoff != nil {
		d.PortalHandoff.Forget()
	}
	if d.Launcher != nil {
		d.Launcher.EndAll()
	}
}
