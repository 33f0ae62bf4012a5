package handoff

import (
	"errors"
	"net/url"

	"github.com/workshop-login/workshop-login/auth"
)

// Desk is everything a signed-in person can be handed to: the configured
// tools and the VM's repair portal. The window's buttons call it.
type Desk struct {
	Launcher *Launcher
	// PortalURL is the repair portal's address, opened in the system browser.
	PortalURL *url.URL
	// PortalHandoff, when the portal takes a session hand-off, posts the
	// session to it from a one-time page; it is used instead of PortalURL.
	PortalHandoff *FormPost
	// OpenURL opens an address in the system browser. For a hand-off it is
	// given only a file:// address of a file no other user can read (see
	// FormPost); it must wait for the opener (browser.Open does).
	OpenURL func(*url.URL) error
}

func (d *Desk) Tools() []string {
	if d.Launcher == nil {
		return nil
	}
	return d.Launcher.Names()
}

func (d *Desk) LaunchTool(name string, s *auth.Session) error {
	if d.Launcher == nil {
		return errors.New("no tools are configured")
	}
	_, err := d.Launcher.Launch(name, s)
	return err
}

func (d *Desk) HasPortal() bool {
	return (d.PortalURL != nil || d.PortalHandoff != nil) && d.OpenURL != nil
}

// OpenPortal opens the system browser at a one-time hand-off page's launcher
// when the portal takes one; otherwise at the portal's address, which carries nothing
// of the session, and the person signs in to the portal as it asks.
func (d *Desk) OpenPortal(s *auth.Session) error {
	if !d.HasPortal() {
		return errors.New("no repair portal is configured")
	}
	if d.PortalHandoff == nil {
		return d.OpenURL(d.PortalURL)
	}
	launcher, err := d.PortalHandoff.Page(s)
	if err != nil {
		return err
	}
	if err := d.OpenURL(launcher); err != nil {
		d.PortalHandoff.discard(launcher)
		return err
	}
	return nil
}

// EndSession ends the tools that must not outlive the person's session and
// drops hand-off pages not yet opened.
func (d *Desk) EndSession() {
	if d.PortalHandoff != nil {
		d.PortalHandoff.Forget()
	}
	if d.Launcher != nil {
		d.Launcher.EndAll()
	}
}
