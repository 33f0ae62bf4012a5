package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/workshop-login/workshop-login/auth"
)

// Manufacturer is one [[manufacturers]] entry: a vehicle manufacturer the
// garage is registered with, each its own Digidentity client, reached
// through its relay (URL; the kiosk's key for it is kept per relay in the
// OS keyring by workshop-login enrol) or, for pre-production and
// single-site set-ups, as a direct Trust Centre client.
type Manufacturer struct {
	Name string
	// URL is the manufacturer's relay.
	URL string
	// The direct client, instead of a relay; the other [trust_centre]
	// settings are shared.
	ClientID     string
	ClientSecret auth.Secret
	ProductScope string
	// The manufacturer's repair portal, as [portal]'s url and handoff_url.
	PortalURL        string
	PortalHandoffURL string
}

// VM is one manufacturer as the program signs in to it: from a
// [[manufacturers]] entry, or the one a configuration without them
// describes. Name is empty for that one.
type VM struct {
	Name        string
	Relay       Relay
	TrustCentre auth.Settings
	Tools       []Tool
	Portal      Portal
}

// OnRelay reports whether the kiosk signs in to this manufacturer through
// its relay.
func (v VM) OnRelay() bool { return v.Relay.URL != "" }

// VMs is every manufacturer the kiosk signs in to, in the file's order;
// a configuration without [[manufacturers]] is a list of one.
func (c Config) VMs() []VM {
	if len(c.Manufacturers) == 0 {
		return []VM{{Relay: c.Relay, TrustCentre: c.TrustCentre, Tools: c.Tools, Portal: c.Portal}}
	}
	vms := make([]VM, len(c.Manufacturers))
	for i, m := range c.Manufacturers {
		tc := c.TrustCentre
		if m.URL == "" {
			tc.ClientID, tc.ClientSecret, tc.ProductScope = m.ClientID, m.ClientSecret, m.ProductScope
		}
		vms[i] = VM{Name: m.Name, Relay: Relay{URL: m.URL}, TrustCentre: tc,
			Portal: Portal{URL: m.PortalURL, HandoffURL: m.PortalHandoffURL}}
		for _, t := range c.Tools {
			if t.Manufacturer == m.Name || t.Manufacturer == "" && len(c.Manufacturers) == 1 {
				vms[i].Tools = append(vms[i].Tools, t)
			}
		}
	}
	return vms
}

// Names lists the manufacturers' names, for a message that asks for one.
func (c Config) Names() []string {
	var names []string
	for _, m := range c.Manufacturers {
		names = append(names, m.Name)
	}
	return names
}

// checkManufacturers refuses two manufacturers of one name, one with
// neither relay nor client (or both), settings that belong in an entry
// once there are entries, and a tool of a manufacturer that is not there.
func (c Config) checkManufacturers() error {
	if len(c.Manufacturers) == 0 {
		for _, t := range c.Tools {
			if t.Manufacturer != "" {
				return &Error{File: c.File, Key: "tools.manufacturer", Problem: fmt.Sprintf("tool %q names manufacturer %q, but no [[manufacturers]] are configured", t.Name, t.Manufacturer),
					Fix: "remove manufacturer from the tool, or add a [[manufacturers]] entry of that name"}
			}
		}
		return nil
	}
	for _, moved := range []struct{ key, value, into string }{
		{"relay.url", c.Relay.URL, "url"}, {"portal.url", c.Portal.URL, "portal_url"}, {"portal.handoff_url", c.Portal.HandoffURL, "portal_handoff_url"},
	} {
		if moved.value != "" {
			return &Error{File: c.File, Key: moved.key, Problem: "is set beside [[manufacturers]], so it is not clear whose it is",
				Fix: "move it into its manufacturer's [[manufacturers]] entry as " + moved.into}
		}
	}
	seen := map[string]bool{}
	for i, m := range c.Manufacturers {
		name := strings.TrimSpace(m.Name)
		switch {
		case name == "":
			return &Error{File: c.File, Key: "manufacturers.name", Problem: fmt.Sprintf("manufacturer %d has no name", i+1),
				Fix: `give each [[manufacturers]] entry a name, as the kiosk's tile shows it, for example name = "Example Motors"`}
		case seen[name]:
			return &Error{File: c.File, Key: "manufacturers.name", Problem: fmt.Sprintf("two manufacturers are called %q", name),
				Fix: "give each [[manufacturers]] entry its own name, or remove the second"}
		case m.URL == "" && m.ClientID == "":
			return &Error{File: c.File, Key: "manufacturers.url", Problem: fmt.Sprintf("manufacturer %q has neither a relay (url) nor a Trust Centre client (client_id)", name),
				Fix: `set url = "https://relay.…" to the manufacturer's relay, or client_id, client_secret and product_scope from its onboarding`}
		case m.URL != "" && (m.ClientID != "" || m.ClientSecret != "" || m.ProductScope != ""):
			return &Error{File: c.File, Key: "manufacturers.client_id", Problem: fmt.Sprintf("manufacturer %q has both a relay (url) and a Trust Centre client", name),
				Fix: "keep only url: the relay holds the client, so remove client_id, client_secret and product_scope"}
		}
		seen[name] = true
		if err := c.checkManufacturer(m); err != nil {
			return err
		}
	}
	for _, t := range c.Tools {
		switch {
		case t.Manufacturer == "" && len(c.Manufacturers) > 1:
			return &Error{File: c.File, Key: "tools.manufacturer", Problem: fmt.Sprintf("tool %q names no manufacturer", t.Name),
				Fix: "add manufacturer = one of " + quoted(c.Names()) + " to the [[tools]] entry: a tool gets that manufacturer's session only"}
		case t.Manufacturer != "" && !seen[t.Manufacturer]:
			return &Error{File: c.File, Key: "tools.manufacturer", Problem: fmt.Sprintf("tool %q names manufacturer %q, which is not configured", t.Name, t.Manufacturer),
				Fix: "use one of " + quoted(c.Names()) + ", spelt as in its [[manufacturers]] entry"}
		}
	}
	return nil
}

// checkManufacturer checks one entry's relay or client, and its portal.
func (c Config) checkManufacturer(m Manufacturer) error {
	in := func(err *Error) error {
		err.Problem = fmt.Sprintf("manufacturer %q: %s", m.Name, err.Problem)
		return err
	}
	if m.URL != "" {
		if err := auth.CheckRelayURL(m.URL); err != nil {
			var se *auth.SettingError
			if errors.As(err, &se) {
				return in(&Error{File: c.File, Key: "manufacturers.url", Problem: se.Problem(trustCentreName), Fix: se.Fix(trustCentreKey)})
			}
			return in(&Error{File: c.File, Key: "manufacturers.url", Problem: err.Error()})
		}
	} else {
		tc := c.TrustCentre
		tc.ClientID, tc.ClientSecret, tc.ProductScope = m.ClientID, m.ClientSecret, m.ProductScope
		if c.EmbeddedSimulator() {
			tc.Issuer = "http://127.0.0.1"
		}
		var se *auth.SettingError
		if err := tc.Validate(); errors.As(err, &se) {
			key := "manufacturers." + strings.TrimPrefix(trustCentreKey(se.Field), "trust_centre.")
			if manufacturerSchema[key] == nil {
				key = trustCentreKey(se.Field)
			}
			return in(&Error{File: c.File, Key: key, Problem: se.Problem(trustCentreName), Fix: se.Fix(trustCentreKey)})
		}
	}
	for _, p := range []struct{ key, value string }{{"manufacturers.portal_url", m.PortalURL}, {"manufacturers.portal_handoff_url", m.PortalHandoffURL}} {
		if p.value != "" && !isPortalAddress(p.value) {
			return in(&Error{File: c.File, Key: p.key, Problem: fmt.Sprintf("%q is not an https address", p.value),
				Fix: "write the full address the vehicle manufacturer gave you, for example https://rmi.example-vm.com/"})
		}
	}
	return nil
}

// isPortalAddress: https, or http on this machine only.
func isPortalAddress(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http" && auth.IsLoopbackHost(u.Hostname())) && u.Host != ""
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
