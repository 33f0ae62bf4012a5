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
	"github.com/workshop-login/workshop-login/auth/weblogin"
)

// webKiosk offers the browser sign-in beside the QR code, both against the
// simulator; decide plays the person in the browser.
func webKiosk(t *testing.T, decide func(b *authtest.Browser, addr string)) (*Kiosk, *uiQueue) {
	return webKioskOpening(t, nil, decide)
}

// webKioskOpening is webKiosk whose browser, once opened, answers opened:
// weblogin.ErrBrowserNotPrivate for the shared browser.
func webKioskOpening(t *testing.T, opened error, decide func(b *authtest.Browser, addr string)) (*Kiosk, *uiQueue) {
	srv := authtest.Simulator(t, simulator.Options{})
	s := authtest.Settings(srv)
	engine, err := auth.NewPasswordless(s)
	if err != nil {
		t.Fatal(err)
	}
	web, err := weblogin.New(s, auth.EnvSimulator, func(ctx context.Context, start weblogin.BrowserStart) error {
		b := authtest.NewBrowser(t)
		go func() { // the system browser runs beside the kiosk, through its launcher
			addr, err := b.TryLaunch(start)
			if err != nil {
				if ctx.Err() == nil { // not the person going back to the QR code first
					t.Errorf("browser: the launcher: %v", err)
				}
				return
			}
			decide(b, addr)
		}()
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
	if !k.webSignInBtn.Visible() || !strings.Contains(k.webHint.Text, "single sign-on") {
		t.Fatalf("the browser sign-in is not offered: %q", k.webHint.Text)
	}
	test.Tap(k.webSignInBtn)
	if k.qr.Visible() || !k.backToQR.Visible() || !strings.Contains(k.status.Text, "browser window") {
		t.Errorf("while the browser is open: QR %v, back %v, status %q", k.qr.Visible(), k.backToQR.Visible(), k.status.Text)
	}
	q.until(t, "the signed-in screen", func() bool { return k.signedInScreen.Visible() })
	if k.garage.Text != "GARAGE JANSEN" {
		t.Errorf("garage %q", k.garage.Text)
	}
	if page := <-pages; !strings.Contains(page, "return to the kiosk") {
		t.Errorf("the browser's last page, in the kiosk's language:\n%s", page)
	}
}

func TestWebSignInRefusedReturnsToTheQRCode(t *testing.T) {
	k, q := webKiosk(t, func(b *authtest.Browser, addr string) {
		b.Submit(b.Open(addr), map[string]string{"persona": "ioe", "decision": "deny"})
	})
	test.Tap(k.webSignInBtn)
	q.until(t, "the QR code again", func() bool { return !k.m.Web() && k.qrFor != "" && k.qr.Visible() })
	if !strings.Contains(k.status.Text, "refused") {
		t.Errorf("status %q does not say the browser sign-in was refused", k.status.Text)
	}
}

func TestBackToTheQRCodeAtAnyMoment(t *testing.T) {
	k, q := webKiosk(t, func(b *authtest.Browser, addr string) {}) // nobody finishes in the browser
	first := k.qrFor
	test.Tap(k.webSignInBtn)
	test.Tap(k.backToQR)
	if k.m.Web() || k.backToQR.Visible() || !k.qr.Visible() {
		t.Fatal("Back to the QR code did not go back")
	}
	q.until(t, "a new code", func() bool { return k.qrFor != "" && k.qrFor != first })
}

// Without a private browser window the kiosk opens the shared browser and
// says so on screen.
func TestWebSignInInTheSharedBrowserSaysSo(t *testing.T) {
	k, q := webKioskOpening(t, fmt.Errorf("%w (none installed)", weblogin.ErrBrowserNotPrivate), func(b *authtest.Browser, addr string) {})
	test.Tap(k.webSignInBtn)
	q.until(t, "the shared-browser note", func() bool { return strings.Contains(k.status.Text, "No private browser window") })
	if k.qr.Visible() || !k.backToQR.Visible() || !strings.Contains(k.status.Text, "sign out of Digidentity") {
		t.Errorf("QR %v, back %v, status %q", k.qr.Visible(), k.backToQR.Visible(), k.status.Text)
	}
}
