package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/ui/state"
)

// idleKiosk is a signed-in kiosk with the default idle rule (5 minutes, a
// 30 s warning) on a clock the test moves.
func idleKiosk(t *testing.T) (*Kiosk, *time.Time, *keyringLog, *[]string) {
	now := t0
	store := &keyringLog{}
	var audit []string
	k, q := newKioskWith(t, "en", idle{}, &handoffs{}, func(o *Options) {
		o.Now = func() time.Time { return now }
		o.Settings.IdleSignOut, o.Settings.IdleWarning = 5*time.Minute, 30*time.Second
		o.Sessions = store
		o.Audit = func(event string, _ *auth.Session, detail string) error {
			audit = append(audit, strings.TrimSpace(event+" "+detail))
			return nil
		}
	})
	k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
	t.Cleanup(func() { q.until(t, "the keyring's work", func() bool { return true }) })
	return k, &now, store, &audit
}

func TestIdleWarningThenSignOut(t *testing.T) {
	k, now, store, audit := idleKiosk(t)
	*now = t0.Add(4*time.Minute + 29*time.Second)
	k.checkIdle(state.IdleSample{})
	if k.idleWarning.Visible() && k.idleBox.Visible() {
		t.Fatal("the warning shows 31 s before the idle sign-out")
	}
	*now = t0.Add(4*time.Minute + 31*time.Second)
	k.checkIdle(state.IdleSample{})
	if !k.idleBox.Visible() || !strings.Contains(k.idleWarning.Text, "Signing out in 0:29") {
		t.Fatalf("warning %v %q", k.idleBox.Visible(), k.idleWarning.Text)
	}
	if title := k.Window.Title(); !strings.HasPrefix(title, "Signing out in 0:29") {
		t.Errorf("window title %q", title)
	}
	*now = t0.Add(4*time.Minute + 50*time.Second)
	k.checkIdle(state.IdleSample{})
	if !strings.Contains(k.idleWarning.Text, "0:10") {
		t.Errorf("the countdown did not move: %q", k.idleWarning.Text)
	}
	*now = t0.Add(5 * time.Minute)
	k.checkIdle(state.IdleSample{})
	if k.m.Session() != nil || !k.signInScreen.Visible() || k.idleBox.Visible() {
		t.Fatal("still signed in after 5 minutes without input")
	}
	if strings.Join(*audit, "|") != "sign_in|idle_sign_out no input for 5m0s" {
		t.Errorf("audit %q", *audit)
	}
	if title := k.Window.Title(); strings.Contains(title, "GARAGE") || strings.Contains(title, "Signing out") {
		t.Errorf("window title after the idle sign-out: %q", title)
	}
	(&uiQueue{}).until(t, "the keyring item's deletion", func() bool { return strings.HasSuffix(store.log(), "delete") })
}

func TestStaySignedInAndInputCancelTheWarning(t *testing.T) {
	k, now, _, _ := idleKiosk(t)
	*now = t0.Add(4*time.Minute + 40*time.Second)
	k.checkIdle(state.IdleSample{})
	test.Tap(k.staySignedIn)
	if k.idleBox.Visible() || k.m.Session() == nil {
		t.Fatal("I am still here did not keep the person")
	}
	// A full idle period counts from the tap.
	*now = t0.Add(9*time.Minute + 39*time.Second)
	k.checkIdle(state.IdleSample{})
	if k.m.Session() == nil {
		t.Fatal("signed out before 5 minutes from the last input")
	}
	if !k.idleBox.Visible() {
		t.Fatal("no warning 29 s before")
	}
	// The pointer moving over the window, where no button is, counts too.
	test.MoveMouse(k.Window.Canvas(), fyne.NewPos(10, 300))
	test.MoveMouse(k.Window.Canvas(), fyne.NewPos(14, 302))
	if k.idleBox.Visible() || k.m.LastInput() != *now {
		t.Error("moving the pointer did not cancel the warning")
	}
}

func TestInputToAnotherProgramKeepsThePersonSignedIn(t *testing.T) {
	k, now, _, audit := idleKiosk(t)
	// Nothing touched the kiosk's window for 20 minutes, but the machine
	// was used 10 s ago: the technician is working in the diagnostic tool.
	*now = t0.Add(20 * time.Minute)
	k.checkIdle(state.IdleSample{Idle: 10 * time.Second, OK: true})
	if k.m.Session() == nil || k.idleBox.Visible() {
		t.Fatalf("signed out while the machine is in use: %q", *audit)
	}
	k.checkIdle(state.IdleSample{Idle: 5 * time.Minute, OK: true})
	if k.m.Session() != nil {
		t.Error("the machine's own idle time did not sign out")
	}
}
