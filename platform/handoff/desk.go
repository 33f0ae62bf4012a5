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
	OpenURL   func(*url.URL) error
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

func (d *Desk) HasPortal() bool { return d.PortalURL != nil && d.OpenURL != nil }

// OpenPortal opens the portal's address. It carries nothing of the session:
// the person signs in to the portal as the portal asks.
func (d *Desk) OpenPortal(*auth.Session) error {
	if !d.HasPortal() {
		return errors.New("no repair portal is configured")
	}
	return d.OpenURL(d.PortalURL)
}

// EndSession ends the tools that must not outlive the person's session.
func (d *Desk) EndSession() {
	if d.Launcher != nil {
		d.Launcher.EndAll()
	}
}
