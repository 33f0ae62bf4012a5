package browser

import (
	"os"

	"github.com/workshop-login/workshop-login/platform/childenv"
)

// openerNeeds are what, besides childenv's allowlist, the system's opener
// reads to pick the person's browser: xdg-open's $BROWSER and desktop
// detection, macOS's text encoding.
var openerNeeds = []string{
	"BROWSER", "XDG_SESSION_DESKTOP", "KDE_FULL_SESSION", "KDE_SESSION_VERSION",
	"GNOME_DESKTOP_SESSION_ID", "MATE_DESKTOP_SESSION_ID", "__CF_USER_TEXT_ENCODING",
}

// childEnv is what the opener and the browser inherit: childenv's
// allowlist (the display, the desktop session, language, home), and what
// the opener needs to find the browser; never the kiosk's own settings or
// secrets (WORKSHOP_LOGIN_*, a client secret, tokens).
func childEnv(environ []string) []string {
	var extra []string
	for _, name := range openerNeeds {
		if v, ok := os.LookupEnv(name); ok {
			extra = append(extra, name+"="+v)
		}
	}
	return childenv.Clean(environ, extra...)
}
