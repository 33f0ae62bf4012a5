package handoff

import (
	"github.com/workshop-login/workshop-login/platform/browser"
)

// The launcher is the file the browser is given instead of the 127.0.0.1
// page's address (see FormPost): it posts the page's secret there. It is
// platform/browser's launcher, the web sign-in's, with the portal's words.

// writeLauncher writes a launcher in base ("" is the person's runtime
// folder) that posts secret to origin's hand-off address.
func writeLauncher(base, origin, secret string) (*browser.Launcher, error) {
	return browser.WriteLauncherPage(browser.LauncherPage{
		Base:   base,
		Prefix: "workshop-login-portal-",
		Name:   "portal.html",
		Title:  "Opening the repair portal",
		Text:   "Opening the repair portal…",
		Button: "Continue to the repair portal",
	}, origin+"/handoff", secretField, secret)
}
