package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// webKiosk offers the browser sign-in beside the QR code, both against the
// simulator; decide plays the person in the browser.
func webKiosk(t *testing.T, decide func(b *authtest.Browser, addr string)) (*Kiosk, *uiQueue) {
	return webKioskOpening(t, nil, decide)
}

// webKioskOpening is webKiosk whose browser, once opened, answers opened:
// auth.ErrBrowserNotPrivate for the shared browser.
func webKioskOpening(t *testing.T, opened error, decide func(b *authtest.Browser, addr string)) (*Kiosk, *uiQueue) {
	srv := authtest.Simulator(t, simulator.Options{})
	s := authtest.Settings(srv)
	engine, err := auth.NewPasswordless(s)
	if err != nil {
		t.Fatal(err)
	}
	web, err := auth.NewWebLogin(s, auth.EnvSimulator, func(_ context.Context, addr string) error {
		go decide(authtest.NewBrowser(t), addr) // the system browser runs beside the kiosk
		return opened
	})
	if err != nil {
		t.Fatal(err)
	}
	k, q := newKioskWith(t, "en", engine, nil, func(o *Options) { o.WebSignIn = web })
	k.Start()
	q.until(t, "a code", func() bool { return k.qrFor != "" })
	return k, q
}

func TestWebSignInBesideTheQRCode(t *testing.T) {
	pages := make(chan string, 1)
	k, q := webKiosk(t, func(b *authtest.Browser, addr string) {
		login := b.Open(addr)
		pages <- b.Submit(login, map[string]string{"persona": "ioe", "pin": "1234", "decision": "approve"}).Body
	})
	if !k.WebSignInBtn.Visible() || !strings.Contains(k.WebHint.Text, "single sign-on") {
		t.Fatalf("the browser sign-in is not offered: %q", k.WebHint.Text)
	}
	test.Tap(k.WebSignInBtn)
	if k.QR.Visible() || !k.BackToQR.Visible() || !strings.Contains(k.Status.Text, "browser window") {
		t.Errorf("while the browser is open: QR %v, back %v, status %q", k.QR.Visible(), k.BackToQR.Visible(), k.Status.Text)
	}
	q.until(t, "the signed-in screen", func() bool { return k.SignedInScreen.Visible() })
	if k.Garage.Text != "GARAGE JANSEN" {
		t.Errorf("garage %q", k.Garage.Text)
	}
	if page := <-pages; !strings.Contains(page, "return to the kiosk") {
		t.Errorf("the browser's last page, in the kiosk's language:\n%s", page)
	}
}

func TestWebSignInRefusedReturnsToTheQRCode(t *testing.T) {
	k, q := webKiosk(t, func(b *authtest.Browser, addr string) {
		b.Submit(b.Open(addr), map[string]string{"persona": "ioe", "decision": "deny"})
	})
	test.Tap(k.WebSignInBtn)
	q.until(t, "the QR code again", func() bool { return !k.web && k.qrFor != "" && k.QR.Visible() })
	if !strings.Contains(k.Status.Text, "refused") {
		t.Errorf("status %q does not say the browser sign-in was refused", k.Status.Text)
	}
}

func TestBackToTheQRCodeAtAnyMoment(t *testing.T) {
	k, q := webKiosk(t, func(b *authtest.Browser, addr string) {}) // nobody finishes in the browser
	first := k.qrFor
	test.Tap(k.WebSignInBtn)
	test.Tap(k.BackToQR)
	if k.web || k.BackToQR.Visible() || !k.QR.Visible() {
		t.Fatal("Back to the QR code did not go back")
	}
	q.until(t, "a new code", func() bool { return k.qrFor != "" && k.qrFor != first })
}

// Without a private browser window the kiosk opens the shared browser and
// says so on screen.
func TestWebSignInInTheSharedBrowserSaysSo(t *testing.T) {
	k, q := webKioskOpening(t, fmt.Errorf("%w (none installed)", auth.ErrBrowserNotPrivate), func(b *authtest.Browser, addr string) {})
	test.Tap(k.WebSignInBtn)
	q.until(t, "the shared-browser note", func() bool { return strings.Contains(k.Status.Text, "No private browser window") })
	if k.QR.Visible() || !k.BackToQR.Visible() || !strings.Contains(k.Status.Text, "sign out of Digidentity") {
		t.Errorf("QR %v, back %v, status %q", k.QR.Visible(), k.BackToQR.Visible(), k.Status.Text)
	}
}
