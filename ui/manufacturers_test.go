package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/platform/config"
	"github.com/workshop-login/workshop-login/ui/state"

	"fyne.io/fyne/v2/test"

	"github.com/workshop-login/workshop-login/auth"
)

// twoVMKiosk is a kiosk of Demo manufacturer A and B, with codes on
// demand, driven by hand.
func twoVMKiosk(t *testing.T) (*Kiosk, *uiQueue, [2]*handoffs) {
	t.Helper()
	desks := [2]*handoffs{{}, {}}
	k, q := newKioskWith(t, "en", nil, nil, func(o *Options) {
		o.Settings.Codes = config.CodesOnDemand
		o.Manufacturers = []Manufacturer{
			{Name: "Demo manufacturer A", SignIn: idle{}, Handoff: desks[0]},
			{Name: "Demo manufacturer B", SignIn: idle{}, Handoff: desks[1]},
		}
	})
	k.Start()
	return k, q, desks
}

func sessionOf(t *testing.T, sub, ioeuid string) *auth.Session {
	t.Helper()
	s := ioeSession(t)
	id, err := auth.ParseUserInfo([]byte(`{"sub":"` + sub + `","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"` + ioeuid + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	s.Identity = id
	return s
}

// What a person sees: two tiles; the number key 2 brings B's code; signed
// in to B, "Also sign in to Demo manufacturer A"; another person's
// approval refused on screen; the same person's accepted; sign-out back
// to the tiles.
func TestTwoManufacturersOnScreen(t *testing.T) {
	k, _, desks := twoVMKiosk(t)
	if !k.restScreen.Visible() || !k.tiles.Visible() || len(k.vms) != 2 {
		t.Fatalf("at rest: rest %v tiles %v", k.restScreen.Visible(), k.tiles.Visible())
	}
	if k.vms[0].tile.Text != "1   Demo manufacturer A" || k.vms[1].tile.Text != "2   Demo manufacturer B" || !strings.Contains(k.restHint.Text, "press its number") {
		t.Errorf("tiles %q %q, hint %q", k.vms[0].tile.Text, k.vms[1].tile.Text, k.restHint.Text)
	}
	test.TypeOnCanvas(k.Window.Canvas(), "2")
	k.show(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	if !k.signInScreen.Visible() || k.qrFor != code1.URI || k.vmHeading.Text != "Sign in to Demo manufacturer B" || !k.chooseOther.Visible() {
		t.Fatalf("B's code: screen %v heading %q", k.signInScreen.Visible(), k.vmHeading.Text)
	}
	k.show(auth.Event{Kind: auth.EventApproved, Session: sessionOf(t, "sub-b", "NL/EXAMPLECAB/1234567890B")})
	a, b := k.vms[0], k.vms[1]
	if !k.signedInScreen.Visible() || b.name.Text != "Demo manufacturer B: signed in" || !b.tools[0].Visible() || !b.portal.Visible() ||
		b.also.Visible() || !a.also.Visible() || a.also.Text != "Also sign in to Demo manufacturer A" || a.tools[0].Visible() || k.portal.Visible() {
		t.Fatalf("signed in to B: %q %q", b.name.Text, a.also.Text)
	}

	test.Tap(a.also)
	if !k.signInScreen.Visible() || k.signedInScreen.Visible() || !k.cancelAdd.Visible() || k.chooseOther.Visible() ||
		!strings.HasPrefix(k.vmHeading.Text, "Also sign in to Demo manufacturer A") {
		t.Fatalf("A's code for the second approval: heading %q", k.vmHeading.Text)
	}
	k.show(auth.Event{Kind: auth.EventApproved, Session: sessionOf(t, "sub-b", "NL/EXAMPLECAB/5555555555X")})
	if !k.signedInScreen.Visible() || !k.addNote.Visible() || !strings.Contains(k.addNote.Text, "another person approved it") || !a.also.Visible() {
		t.Fatalf("another person: note %q", k.addNote.Text)
	}
	test.Tap(a.also)
	k.show(auth.Event{Kind: auth.EventApproved, Session: sessionOf(t, "sub-a", "NL/EXAMPLECAB/1234567890B")})
	if !k.signedInScreen.Visible() || a.name.Text != "Demo manufacturer A: signed in" || !a.tools[0].Visible() || a.also.Visible() || k.addNote.Visible() {
		t.Fatalf("signed in to both: %q", a.name.Text)
	}
	test.Tap(a.tools[0])
	test.Tap(k.signOut)
	if !k.restScreen.Visible() || !k.tiles.Visible() || k.signedInScreen.Visible() {
		t.Error("sign-out did not bring the tiles back")
	}
	_ = desks
}

// Every new text is in the four languages.
func TestManufacturerTextsInEveryLanguage(t *testing.T) {
	for _, language := range []string{"en", "nl", "de", "fr"} {
		tr, err := newTranslator(language)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"ui.choose_manufacturer", "ui.sign_in_to", "ui.other_manufacturer", "ui.also_sign_in",
			"ui.also_signing_in", "ui.back_to_session", "ui.signed_in_to", "ui.other_person_refused", "ui.rsse_one_manufacturer"} {
			if got := tr.text(key, map[string]string{"Name": "X"}); got == key || got == "" || strings.Contains(got, "{{") {
				t.Errorf("%s: %s is %q", language, key, got)
			}
		}
	}
}

// Signed in to B, the person asks for A's code and walks away: the idle
// warning and its "I am still here" are on the code screen too, not in the
// window's title alone, and the idle sign-out then ends B's session.
func TestIdleWarningWhileTheSecondCodeShows(t *testing.T) {
	now := t0
	k, _ := newKioskWith(t, "en", nil, nil, func(o *Options) {
		o.Now = func() time.Time { return now }
		o.Settings.Codes = config.CodesOnDemand
		o.Settings.IdleSignOut, o.Settings.IdleWarning = 5*time.Minute, 30*time.Second
		o.Manufacturers = []Manufacturer{
			{Name: "Demo manufacturer A", SignIn: idle{}, Handoff: &handoffs{}},
			{Name: "Demo manufacturer B", SignIn: idle{}, Handoff: &handoffs{}},
		}
	})
	k.Start()
	test.TypeOnCanvas(k.Window.Canvas(), "2")
	k.show(auth.Event{Kind: auth.EventApproved, Session: sessionOf(t, "sub-b", "NL/EXAMPLECAB/1234567890B")})
	test.Tap(k.vms[0].also)
	k.show(auth.Event{Kind: auth.EventQRReady, At: now, Message: auth.MsgScanCode, QR: code1})
	if !k.signInScreen.Visible() {
		t.Fatal("A's code is not on screen")
	}
	now = now.Add(4*time.Minute + 31*time.Second)
	k.checkIdle(state.IdleSample{})
	seen := strings.Join(visibleTexts(k.Window.Content()), " | ")
	if !strings.Contains(seen, "Signing out in 0:29") || !strings.Contains(seen, "I am still here") {
		t.Errorf("with A's code on screen, the idle warning is not: %s", seen)
	}
	test.Tap(k.staySignedIn)
	if k.m.Session() == nil || strings.Contains(strings.Join(visibleTexts(k.Window.Content()), " | "), "Signing out in") {
		t.Error("I am still here did not keep B's session and end the warning")
	}
}
