package ui

import (
	"context"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/platform/config"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/ui/state"
)

// relayEnrolment is the program's enrolment wiring, minus the keyring:
// the credential goes straight to the engine's relay client.
type relayEnrolment struct {
	url string
	s   auth.Settings
	rc  *auth.RelayClient
}

func (e relayEnrolment) Place(ctx context.Context) (relayapi.KioskPlace, error) {
	who, err := e.rc.Whoami(ctx)
	return who.KioskPlace, err
}

func (e relayEnrolment) Enrol(ctx context.Context, show func(auth.EnrolCode)) (relayapi.KioskPlace, error) {
	en, err := auth.NewEnroller(e.url, "werkplaats-1", e.s)
	if err != nil {
		return relayapi.KioskPlace{}, err
	}
	got, err := en.Enrol(ctx, show)
	if err != nil {
		return relayapi.KioskPlace{}, err
	}
	e.rc.SetKey(got.Credential)
	return got.Kiosk.KioskPlace, nil
}

// A kiosk with no key, through a real relay on Fyne's test driver: the
// settings' "Enrol with a manufacturer" shows the enrolment code, a remote
// specialist's approval is refused, GARAGE JANSEN's technician's is not,
// and the code screen then names the garage; another garage's technician is refused there, naming it, and
// the garage's own signs in.
func TestGarageEnrolsTheKioskFromTheWindow(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	r := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: authtest.NewRelayKeys(t),
		Enrolment: relay.EnrolmentConfig{BindToGarage: true}})
	s := authtest.Settings(sim)
	engine, err := auth.NewRelayed(auth.RelaySettings{URL: r.URL}, s)
	if err != nil {
		t.Fatal(err)
	}
	var audit []string
	k, q := newKioskWith(t, "en", engine, nil, func(o *Options) {
		o.Enrolment = relayEnrolment{url: r.URL, s: s, rc: engine.Relay()}
		o.Audit = func(event string, _ *auth.Session, detail string) error {
			audit = append(audit, event+" "+detail)
			return nil
		}
	})
	k.Start()
	q.until(t, "not enrolled on screen", func() bool {
		return k.status.Text == "This kiosk is not enrolled yet: open the settings and choose Enrol with a manufacturer"
	})
	test.Tap(k.settingsBtn)
	if !k.enrolUI.start.Visible() || k.enrolUI.start.Text != "Enrol with a manufacturer" {
		t.Fatal("the settings do not offer enrolment")
	}
	test.Tap(k.enrolUI.start)
	q.until(t, "the enrolment code", func() bool { return k.m.View().Screen == state.ScreenEnrol && k.qrFor != "" })
	if !k.signInScreen.Visible() || !strings.Contains(k.countdown.Text, "a technician of your garage scans this code") {
		t.Fatalf("the enrolment screen says %q", k.countdown.Text)
	}
	// A remote specialist cannot enrol it: the screen says so over a new code.
	first := k.qrFor
	if err := sim.Approve(first, "rsse", "2345"); err != nil {
		t.Fatal(err)
	}
	q.until(t, "the remote specialist refused, and a new enrolment code", func() bool {
		return strings.HasPrefix(k.status.Text, "A remote specialist cannot enrol a kiosk") && k.qrFor != "" && k.qrFor != first
	})
	if err := sim.Approve(k.qrFor, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	q.until(t, "the sign-in code naming the garage", func() bool {
		return k.m.View().Screen == state.ScreenSignIn && k.qrFor != "" && k.enrolUI.codePlace.Visible()
	})
	place := k.enrolUI.codePlace.Text
	if !strings.HasPrefix(place, "GARAGE JANSEN · werkplaats-1 · kiosk code ") {
		t.Errorf("the code screen says where the kiosk is as %q", place)
	}
	if len(audit) < 2 || !strings.HasPrefix(audit[0], "refused enrolment: ") || !strings.HasPrefix(audit[1], "enrolled kiosk werkplaats-1") ||
		!strings.Contains(audit[1], "1234567890B") {
		t.Errorf("audit %q, want the refusal, then the enrolment", audit)
	}
	if err := sim.Approve(k.qrFor, "ioe-non-vat", "3456"); err != nil {
		t.Fatal(err)
	}
	q.until(t, "the other garage's refusal", func() bool {
		return k.status.Text == "This kiosk belongs to GARAGE JANSEN: sign in at your own garage's kiosk"
	})
	q.until(t, "a new code", func() bool { return k.qrFor != "" })
	if err := sim.Approve(k.qrFor, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	q.until(t, "signed in", func() bool { return k.m.Session() != nil })
}

// placed enrols at once, somewhere known.
type placed struct{ place relayapi.KioskPlace }

func (p placed) Place(context.Context) (relayapi.KioskPlace, error) {
	return relayapi.KioskPlace{}, context.Canceled
}
func (p placed) Enrol(_ context.Context, show func(auth.EnrolCode)) (relayapi.KioskPlace, error) {
	show(auth.EnrolCode{URI: "http://127.0.0.1:8787/sim/login/enrolment"})
	return p.place, nil
}

// With codes on demand, a kiosk that has just been enrolled rests, and
// its rest screen says where it is.
func TestEnrolledKioskRestsNamingItsGarage(t *testing.T) {
	engine, err := auth.NewRelayed(auth.RelaySettings{URL: "http://127.0.0.1:1"}, auth.DefaultSettings(auth.EnvSimulator))
	if err != nil {
		t.Fatal(err)
	}
	k, q := newKioskWith(t, "nl", engine, nil, func(o *Options) {
		o.Settings.Codes = config.CodesOnDemand
		o.EnrolAtStart = true
		o.Enrolment = placed{relayapi.KioskPlace{Name: "werkplaats-1", GarageName: "GARAGE JANSEN", Code: "K7Q4-MZ2A"}}
	})
	k.Start()
	// On demand, nobody is asked to enrol until someone is there.
	q.until(t, "the rest screen offering enrolment", func() bool { return k.m.View().Screen == state.ScreenRest })
	if k.restSignIn.Text != "Deze kiosk aanmelden" {
		t.Errorf("the rest screen's button says %q, want the enrolment's", k.restSignIn.Text)
	}
	test.Tap(k.restSignIn)
	q.until(t, "the rest screen once enrolled", func() bool {
		return k.m.View().Screen == state.ScreenRest && k.enrolUI.restPlace.Visible()
	})
	if !k.restScreen.Visible() || !k.enrolUI.restPlace.Visible() || k.enrolUI.restPlace.Text != "GARAGE JANSEN · werkplaats-1 · kioskcode K7Q4-MZ2A" {
		t.Errorf("the rest screen says %q (shown %v)", k.enrolUI.restPlace.Text, k.enrolUI.restPlace.Visible())
	}
}

// At a relay that enrols through its administrator, the settings stop
// offering enrolment once the relay has said so, and the screen says to
// ask the administrator.
func TestEnrolmentClosedAtTheRelayIsNoLongerOffered(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	r := authtest.StartRelay(t, sim) // enrolment = "admin"
	s := authtest.Settings(sim)
	engine, err := auth.NewRelayed(auth.RelaySettings{URL: r.URL}, s)
	if err != nil {
		t.Fatal(err)
	}
	k, q := newKioskWith(t, "en", engine, nil, func(o *Options) {
		o.Enrolment = relayEnrolment{url: r.URL, s: s, rc: engine.Relay()}
	})
	k.Start()
	test.Tap(k.settingsBtn)
	test.Tap(k.enrolUI.start)
	q.until(t, "back to signing in, told to ask the administrator", func() bool {
		return k.m.View().Screen == state.ScreenSignIn && k.status.Text == "This kiosk is not enrolled: ask your administrator"
	})
	if k.m.CanEnrol() || k.enrolUI.start.Visible() {
		t.Error("the settings still offer enrolment the relay refuses")
	}
}
