package weblogin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/auth/weblogin"
)

// signInOn runs one sign-in of web, a kiosk's web login that lives across
// sign-ins, with browser b approving as the IOE where asked.
func signInOn(t *testing.T, web *weblogin.WebLogin, opened <-chan weblogin.BrowserStart, b *authtest.Browser) auth.Event {
	t.Helper()
	return last(t, runWebSignIn(t, web, opened, func(start weblogin.BrowserStart) {
		if page := b.Open(b.Launch(start)); strings.Contains(page.Body, "Approve") { // else single sign-on
			b.Submit(page, map[string]string{"persona": "ioe", "pin": "1234", "decision": "approve"})
		}
	}))
}

func newKioskWebLogin(t *testing.T, s auth.Settings) (*weblogin.WebLogin, <-chan weblogin.BrowserStart) {
	t.Helper()
	return newKioskWebLoginAt(t, s, auth.EnvSimulator)
}

// With no private browser, a Trust Centre that ignores prompt=login and
// max_age signs the next person in as the last one. The kiosk must refuse
// that token however soon the next person comes: a minute of leeway for
// the clocks is exactly the time the next person walks up in.
func TestWebLoginRefusesTheLastPersonsSignInForTheNext(t *testing.T) {
	for _, tc := range []struct {
		name string
		// between is what happens between the two people; it reports
		// whether the kiosk restarted (forgetting the last sign-in).
		between func(srv *simulator.Server) bool
	}{
		// Within the clocks' few seconds, but the same auth_time and sid
		// as the sign-in the kiosk just made.
		{name: "the next person at once", between: func(*simulator.Server) bool { return false }},
		// A provider that gives the reused session a new auth_time a
		// second off: its sid is still the last sign-in's.
		{name: "the same session with another auth_time", between: func(srv *simulator.Server) bool {
			srv.AgeBrowserSessions(time.Second)
			return false
		}},
		// Six seconds later, after a restart: no memory of the last
		// sign-in, only its auth_time, well before this sign-in began.
		{name: "six seconds later, the kiosk restarted", between: func(srv *simulator.Server) bool {
			srv.AgeBrowserSessions(6 * time.Second)
			return true
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := authtest.Simulator(t, simulator.Options{IgnoreFreshLogin: true})
			s := authtest.Settings(srv)
			web, opened := newKioskWebLogin(t, s)
			b := authtest.NewBrowser(t) // the shared browser: no private window
			if e := signInOn(t, web, opened, b); e.Kind != auth.EventApproved {
				t.Fatalf("the first person: %s %s (%v)", e.Kind, e.Message, e.Err)
			}
			if tc.between(srv) {
				web, opened = newKioskWebLogin(t, s)
			}
			e := signInOn(t, web, opened, b)
			if e.Kind != auth.EventFailed || e.Message != auth.MsgWebStaleLogin {
				t.Fatalf("the next person: %s %s (%v), want refused as %s", e.Kind, e.Message, e.Err, auth.MsgWebStaleLogin)
			}
		})
	}
}
