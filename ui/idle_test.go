package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/workshop-login/workshop-login/auth"
)

// idleKiosk is a signed-in kiosk with the default idle rule (5 minutes, a
// 30 s warning) on a clock the test moves.
func idleKiosk(t *testing.T) (*Kiosk, *time.Time, *keyringLog, *[]string) {
	k, q := newKiosk(t, "en", idle{}, &handoffs{})
	now := t0
	k.opts.Now = func() time.Time { return now }
	k.opts.Settings.IdleSignOut, k.opts.Settings.IdleWarning = 5*time.Minute, 30*time.Second
	store := &keyringLog{}
	k.opts.Sessions = store
	k.startKeyringWorker()
	var audit []string
	k.opts.Audit = func(event string, _ *auth.Session, detail string) error {
		audit = append(audit, strings.TrimSpace(event+" "+detail))
		return nil
	}
	k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
	t.Cleanup(func() { q.until(t, "the keyring's work", func() bool { return true }) })
	return k, &now, store, &audit
}

func TestIdleWarningThenSignOut(t *testing.T) {
	k, now, store, audit := idleKiosk(t)
	*now = t0.Add(4*time.Minute + 29*time.Second)
	k.checkIdle(idleSample{})
	if k.IdleWarning.Visible() && k.idleBox.Visible() {
		t.Fatal("the warning shows 31 s before the idle sign-out")
	}
	*now = t0.Add(4*time.Minute + 31*time.Second)
	k.checkIdle(idleSample{})
	if !k.idleBox.Visible() || !strings.Contains(k.IdleWarning.Text, "Signing out in 0:29") {
		t.Fatalf("warning %v %q", k.idleBox.Visible(), k.IdleWarning.Text)
	}
	if title := k.Window.Title(); !strings.HasPrefix(title, "Signing out in 0:29") {
		t.Errorf("window title %q", title)
	}
	*now = t0.Add(4*time.Minute + 50*time.Second)
	k.checkIdle(idleSample{})
	if !strings.Contains(k.IdleWarning.Text, "0:10") {
		t.Errorf("the countdown did not move: %q", k.IdleWarning.Text)
	}
	*now = t0.Add(5 * time.Minute)
	k.checkIdle(idleSample{})
	if k.session != nil || !k.SignInScreen.Visible() || k.idleBox.Visible() {
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
	k.checkIdle(idleSample{})
	test.Tap(k.StaySignedIn)
	if k.idleBox.Visible() || k.session == nil {
		t.Fatal("I am still here did not keep the person")
	}
	// A full idle period counts from the tap.
	*now = t0.Add(9*time.Minute + 39*time.Second)
	k.checkIdle(idleSample{})
	if k.session == nil {
		t.Fatal("signed out before 5 minutes from the last input")
	}
	if !k.idleBox.Visible() {
		t.Fatal("no warning 29 s before")
	}
	// The pointer moving over the window, where no button is, counts too.
	test.MoveMouse(k.Window.Canvas(), fyne.NewPos(10, 300))
	if k.idleBox.Visible() || k.lastInput != *now {
		t.Error("moving the pointer did not cancel the warning")
	}
}

func TestInputToAnotherProgramKeepsThePersonSignedIn(t *testing.T) {
	k, now, _, audit := idleKiosk(t)
	// Nothing touched the kiosk's window for 20 minutes, but the machine
	// was used 10 s ago: the technician is working in the diagnostic tool.
	*now = t0.Add(20 * time.Minute)
	k.checkIdle(idleSample{idle: 10 * time.Second, ok: true})
	if k.session == nil || k.idleBox.Visible() {
		t.Fatalf("signed out while the machine is in use: %q", *audit)
	}
	k.checkIdle(idleSample{idle: 5 * time.Minute, ok: true})
	if k.session != nil {
		t.Error("the machine's own idle time did not sign out")
	}
}

func TestIdleTimeIsAskedOnlyWhileSignedIn(t *testing.T) {
	k, _ := newKiosk(t, "en", idle{}, nil)
	k.opts.Settings.IdleSignOut = 5 * time.Minute
	asked := 0
	k.opts.IdleTime = func() (time.Duration, error) { asked++; return 7 * time.Second, nil }
	if s := k.sampleIdle(); s.ok || asked != 0 {
		t.Errorf("asked while nobody is signed in")
	}
	k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
	if s := k.sampleIdle(); !s.ok || s.idle != 7*time.Second || asked != 1 {
		t.Errorf("sample %+v after %d questions", s, asked)
	}
}
