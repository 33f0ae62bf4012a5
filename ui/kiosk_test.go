package ui

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/handoff"
	"github.com/workshop-login/workshop-login/ui/state"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// uiQueue stands in for Fyne's event goroutine: the inbound loop queues work
// and the test goroutine runs it, so the race detector sees what the real app
// guarantees (only one goroutine touches widgets).
type uiQueue struct {
	mu    sync.Mutex
	tasks []func()
}

func (q *uiQueue) do(f func()) { q.mu.Lock(); q.tasks = append(q.tasks, f); q.mu.Unlock() }

func (q *uiQueue) drain() {
	q.mu.Lock()
	tasks := q.tasks
	q.tasks = nil
	q.mu.Unlock()
	for _, f := range tasks {
		f()
	}
}

// until drains the queue until cond holds, or fails after 15 s.
func (q *uiQueue) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
		q.drain()
	}
}

// idle is a SignIn that never says anything: for screens driven by hand.
type idle struct{}

func (idle) Start(ctx context.Context) <-chan auth.Event {
	ch := make(chan auth.Event)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

// retryable is an idle SignIn whose waits can be cut short, as
// auth.Passwordless's can: it counts the presses of Try again now.
type retryable struct {
	idle
	presses atomic.Int32
}

func (r *retryable) RetryNow() { r.presses.Add(1) }

type handoffs struct {
	mu       sync.Mutex
	launched []string // LaunchTool runs off the screen's goroutine
	ended    chan struct{}
}

func (h *handoffs) EndSession() {
	if h.ended != nil {
		close(h.ended)
	}
}

func (h *handoffs) Tools() []string { return []string{"Diagnostics"} }
func (h *handoffs) LaunchTool(name string, _ *auth.Session) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.launched = append(h.launched, name)
	return nil
}

func (h *handoffs) launches() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.launched)
}
func (h *handoffs) HasPortal() bool                { return true }
func (h *handoffs) OpenPortal(*auth.Session) error { return fmt.Errorf("portal down") }

func newKiosk(t *testing.T, language string, signIn auth.SignIn, h Handoff) (*Kiosk, *uiQueue) {
	return newKioskWith(t, language, signIn, h, func(*Options) {})
}

// newKioskWith is newKiosk with options adjusted before the window is built.
func newKioskWith(t *testing.T, language string, signIn auth.SignIn, h Handoff, adjust func(*Options)) (*Kiosk, *uiQueue) {
	t.Helper()
	a := test.NewTempApp(t)
	now := t0.Add(15 * time.Second)
	opts := Options{
		SignIn: signIn, Handoff: h, Environment: auth.EnvSimulator, Version: "1.2.3 (abc, today)",
		Settings: Settings{Language: language, SignOutKeys: "Ctrl+L", DeeplinkButton: true},
		Now:      func() time.Time { return now },
	}
	adjust(&opts)
	q := &uiQueue{}
	k, err := create(a, opts, q.do, false)
	if err != nil {
		t.Fatal(err)
	}
	k.Window.Resize(fyne.NewSize(900, 720))
	t.Cleanup(k.Stop)
	return k, q
}

// show, tick and checkIdle play the machine's goroutines: an event of the
// current attempt, a tick, an idle sample, each handled as the inbound loop
// hands it to the screen.
func (k *Kiosk) show(e auth.Event) { k.handle(state.EngineEvent{Attempt: k.m.Attempt(), Event: e}) }
func (k *Kiosk) tick()             { k.handle(state.Tick{}) }
func (k *Kiosk) checkIdle(s state.IdleSample) {
	k.handle(state.Tick{Idle: s})
}

var (
	code1 = auth.QRCode{URI: "http://127.0.0.1:8787/sim/login/first-code", IssuedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	code2 = auth.QRCode{URI: "http://127.0.0.1:8787/sim/login/second-code", IssuedAt: t0.Add(10 * time.Second), ExpiresAt: t0.Add(70 * time.Second)}
	// The Trust Centre's code lifetime is not known yet: no end.
	unknownLifetime = auth.QRCode{URI: "http://127.0.0.1:8787/sim/login/unknown-lifetime", IssuedAt: t0}
)

func ioeSession(t *testing.T) *auth.Session {
	id, err := auth.ParseUserInfo([]byte(`{"sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B"}`))
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Session{Identity: id, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

func rsseSession(t *testing.T) *auth.Session {
	id, err := auth.ParseUserInfo([]byte(`{"sub":"e6x3a4mp-49l2-66ps-94ef-u39455005d8o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B",
		"rssuid":"REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02","rsseuid":"NL/EXAMPLECAB/9876543210D"}`))
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Session{Identity: id, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

// The screen states, each as the engine reports it.
func screenStates(t *testing.T) map[string][]auth.Event {
	return map[string][]auth.Event{
		"waiting": {
			{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1},
			{Kind: auth.EventWaiting, At: t0.Add(5 * time.Second), Message: auth.MsgScanCode},
		},
		"offline": {
			{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1},
			{Kind: auth.EventOffline, At: t0.Add(7 * time.Second), Message: auth.MsgOffline, RetryIn: 16 * time.Second},
		},
		"expired_replaced": {
			{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1},
			{Kind: auth.EventExpired, At: t0.Add(10 * time.Second), Message: auth.MsgCodeExpired},
			{Kind: auth.EventQRReady, At: t0.Add(10 * time.Second), Message: auth.MsgCodeExpired, QR: code2},
			{Kind: auth.EventWaiting, At: t0.Add(15 * time.Second), Message: auth.MsgScanCode},
		},
		"refused": {
			{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1},
			{Kind: auth.EventRefused, At: t0.Add(10 * time.Second), Message: auth.MsgRefused},
			{Kind: auth.EventQRReady, At: t0.Add(10 * time.Second), Message: auth.MsgRefused, QR: code2},
		},
		"unknown_lifetime": {
			{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: unknownLifetime},
			{Kind: auth.EventWaiting, At: t0.Add(5 * time.Second), Message: auth.MsgScanCode},
		},
		"signing_in": {
			{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1},
			{Kind: auth.EventWaiting, At: t0.Add(5 * time.Second), Message: auth.MsgScanCode},
			{Kind: auth.EventSigningIn, At: t0.Add(10 * time.Second), Message: auth.MsgSigningIn},
		},
		"approval_lost": {
			{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1},
			{Kind: auth.EventQRReady, At: t0.Add(10 * time.Second), Message: auth.MsgScanCode, QR: code2},
			{Kind: auth.EventLost, At: t0.Add(12 * time.Second), Message: auth.MsgApprovalLost},
		},
		"signed_in_ioe": {
			{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1},
			{Kind: auth.EventApproved, At: t0.Add(10 * time.Second), Message: auth.MsgSignedIn, Session: ioeSession(t)},
		},
		"signed_in_rsse": {
			{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1},
			{Kind: auth.EventApproved, At: t0.Add(10 * time.Second), Message: auth.MsgSignedIn, Session: rsseSession(t)},
		},
	}
}

// Each state, in English and Dutch, looks as its checked-in master does.
func TestScreensMatchMasters(t *testing.T) {
	for name, events := range screenStates(t) {
		for _, language := range []string{"en", "nl"} {
			t.Run(name+"_"+language, func(t *testing.T) {
				k, _ := newKiosk(t, language, &retryable{}, &handoffs{})
				for _, e := range events {
					k.show(e)
				}
				test.AssertImageMatches(t, name+"_"+language+".png", k.Window.Canvas().Capture())
			})
		}
	}
}

func TestStatusLineSaysWhatHappened(t *testing.T) {
	want := map[string]string{
		"waiting":          "Scan this code with the Digidentity app",
		"offline":          "No connection to Digidentity: trying again in 8 s", // 7 s + 16 s, read at 15 s
		"expired_replaced": "Code expired: here is a new one",
		"unknown_lifetime": "Scan this code with the Digidentity app",
		"signing_in":       "Approved on your phone: signing you in…",
		"approval_lost":    "Your approval may have been lost on the way to this kiosk. Please scan the code on screen and approve again",
		"refused": "Sign-in refused. Scan the new code to try again, or ask your CAB whether your SERMI authorisation is valid. " +
			"Remote specialists: a chain authorisation works once; the garage can grant you a new one in the Digidentity app",
	}
	for name, events := range screenStates(t) {
		if want[name] == "" {
			continue
		}
		k, _ := newKiosk(t, "en", idle{}, nil)
		for _, e := range events {
			k.show(e)
		}
		if got := k.status.Text; got != want[name] {
			t.Errorf("%s: status %q, want %q", name, got, want[name])
		}
	}
}

func TestSignedInShowsWhoIsHere(t *testing.T) {
	h := &handoffs{}
	k, q := newKiosk(t, "en", idle{}, h)
	k.show(auth.Event{Kind: auth.EventApproved, Session: rsseSession(t)})
	if !k.signedInScreen.Visible() || k.signInScreen.Visible() {
		t.Fatal("the signed-in screen is not the one shown")
	}
	for label, want := range map[*widget.Label]string{
		k.role:             "Remote specialist, working for a garage once",
		k.company:          "REMOTE DIAG SERVICES",
		k.onBehalfOf:       "GARAGE JANSEN, technician 1234567890B",
		k.cab:              "EXAMPLECAB (EXA/NL/1234/1EXA2MP34LE5)",
		k.authorisationUID: "9876543210D",
		k.singleUse:        "This authorisation works once: it ends when you sign out",
		k.remaining:        "Session ends in 59:40",
	} {
		if label.Text != want || !label.Visible() {
			t.Errorf("label %q (visible %v), want %q", label.Text, label.Visible(), want)
		}
	}
	if k.garage.Visible() {
		t.Error("an RSSE's garage shows twice")
	}
	test.Tap(k.tools[0])
	q.until(t, "the tool's launch", func() bool { return len(h.launches()) > 0 })
	if got := h.launches(); len(got) != 1 || got[0] != "Diagnostics" {
		t.Errorf("launched %v", got)
	}
	test.Tap(k.portal)
	if k.handoffStatus.Text != "Could not start Repair portal: ask your administrator" {
		t.Errorf("hand-off failure reads %q", k.handoffStatus.Text)
	}
}

// Switching language changes every string on every screen.
func TestLanguageSwitchChangesEveryVisibleString(t *testing.T) {
	for name, events := range screenStates(t) {
		k, _ := newKiosk(t, "en", &retryable{}, &handoffs{})
		for _, e := range events {
			k.show(e)
		}
		english := visibleTexts(k.Window.Content())
		k.language.SetSelected("Nederlands")
		dutch := visibleTexts(k.Window.Content())
		if len(english) != len(dutch) {
			t.Fatalf("%s: %d strings in English, %d in Dutch", name, len(english), len(dutch))
		}
		for i := range english {
			if english[i] == dutch[i] && !sameInEveryLanguage(english[i]) {
				t.Errorf("%s: %q did not change", name, english[i])
			}
		}
	}
}

// Names, UIDs and brand words read the same in every language.
func sameInEveryLanguage(s string) bool {
	for _, same := range []string{"Workshop Login", "GARAGE JANSEN", "REMOTE DIAG SERVICES", "EXAMPLECAB", "9876543210D", "1234567890B",
		"Nederlands", "Garage", "Diagnostics"} {
		if strings.Contains(s, same) {
			return true
		}
	}
	return false
}

func visibleTexts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *widget.Label:
			if w.Text != "" {
				out = append(out, w.Text)
			}
			return
		case *widget.Button:
			if w.Text != "" {
				out = append(out, w.Text)
			}
			return
		case *widget.Check:
			out = append(out, w.Text)
			return
		case *widget.Select:
			out = append(out, w.Selected)
			return
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

func TestQRCodeIsLargeBlackOnWhiteWithQuietZone(t *testing.T) {
	for _, highContrast := range []bool{false, true} {
		k, _ := newKiosk(t, "en", idle{}, nil)
		k.highContrast.SetChecked(highContrast)
		k.show(auth.Event{Kind: auth.EventQRReady, Message: auth.MsgScanCode, QR: code1})
		size := k.Window.Canvas().Size()
		shorter := min(size.Width, size.Height)
		if side := k.qr.Size(); side.Width < 0.45*shorter || side.Height < 0.45*shorter {
			t.Errorf("the code is %v in a %v window: under 45%% of the shorter side", side, size)
		}
		img := k.qr.Image.(*image.NRGBA)
		bounds := img.Bounds()
		for x := 0; x < bounds.Dx(); x++ {
			for y := 0; y < quietZone; y++ {
				for _, p := range [][2]int{{x, y}, {x, bounds.Dy() - 1 - y}, {y, x}, {bounds.Dx() - 1 - y, x}} {
					if img.NRGBAAt(p[0], p[1]) != (color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}) {
						t.Fatalf("quiet zone not white at %v", p)
					}
				}
			}
		}
		// Inside, only pure black and pure white: no theme colour reaches the code.
		for i := 0; i < len(img.Pix); i += 4 {
			if v := img.Pix[i]; (v != 0 && v != 0xff) || img.Pix[i] != img.Pix[i+1] || img.Pix[i+3] != 0xff {
				t.Fatal("the code has a colour other than black and white")
			}
		}
	}
}

func TestQRImageIsMadeOncePerCode(t *testing.T) {
	k, _ := newKiosk(t, "en", idle{}, nil)
	k.show(auth.Event{Kind: auth.EventQRReady, Message: auth.MsgScanCode, QR: code1})
	first := k.qr.Image
	k.tick()
	k.tick()
	k.show(auth.Event{Kind: auth.EventWaiting, Message: auth.MsgScanCode})
	if k.qr.Image != first {
		t.Error("the code was drawn again without changing")
	}
	k.show(auth.Event{Kind: auth.EventQRReady, Message: auth.MsgScanCode, QR: code2})
	if k.qr.Image == first {
		t.Error("a new code kept the old image")
	}
}

func TestExpiredCodeLeavesTheScreen(t *testing.T) {
	now := t0
	k, _ := newKioskWith(t, "en", idle{}, nil, func(o *Options) { o.Now = func() time.Time { return now } })
	k.show(auth.Event{Kind: auth.EventQRReady, Message: auth.MsgScanCode, QR: code1})
	if k.countdown.Text != "Code valid for 1:00" {
		t.Errorf("countdown %q", k.countdown.Text)
	}
	now = code1.ExpiresAt
	k.tick()
	if k.qrFor != "" || k.countdown.Text != "Getting a code from Digidentity…" {
		t.Errorf("an expired code is still shown (%q, %q)", k.qrFor, k.countdown.Text)
	}
}

// While the Trust Centre's code lifetime is unknown, a code has no end: no
// countdown (a guess, or "0:00"), and the tick never drops it; only the
// engine says when it is gone.
func TestUnknownLifetimeShowsNoCountdownAndKeepsTheCode(t *testing.T) {
	now := t0
	k, _ := newKioskWith(t, "en", idle{}, nil, func(o *Options) { o.Now = func() time.Time { return now } })
	k.show(auth.Event{Kind: auth.EventQRReady, At: now, Message: auth.MsgScanCode, QR: unknownLifetime})
	for i := 0; i <= 90; i++ {
		now = t0.Add(time.Duration(i) * time.Second)
		k.tick()
		if k.qrFor != unknownLifetime.URI || k.qr.Image.Bounds().Dx() == 1 {
			t.Fatalf("after %d s of ticks the code left the screen", i)
		}
		if k.countdown.Text != "" {
			t.Fatalf("after %d s: countdown %q for a code without an end", i, k.countdown.Text)
		}
	}
	if !k.deeplink.Visible() || k.status.Text != "Scan this code with the Digidentity app" {
		t.Errorf("deeplink %v, status %q", k.deeplink.Visible(), k.status.Text)
	}
	// The engine, not the tick, ends it.
	k.show(auth.Event{Kind: auth.EventExpired, At: now, Message: auth.MsgCodeExpired})
	if k.qrFor != "" || k.countdown.Text != "Getting a code from Digidentity…" {
		t.Errorf("an expired code is still shown (%q, %q)", k.qrFor, k.countdown.Text)
	}
	// A code with an end counts down again.
	k.show(auth.Event{Kind: auth.EventQRReady, At: now, Message: auth.MsgCodeExpired, QR: auth.QRCode{
		URI: code2.URI, IssuedAt: now, ExpiresAt: now.Add(45 * time.Second)}})
	if k.countdown.Text != "Code valid for 0:40" { // 45 s left, in 10 s steps
		t.Errorf("countdown %q", k.countdown.Text)
	}
}

// Approved on the phone: the code is used, so it leaves the screen, and the
// status line says the sign-in is under way, also while the identity is
// retried; no "Getting a code" (none is being fetched).
func TestSigningInHidesTheUsedCode(t *testing.T) {
	k, _ := newKiosk(t, "en", idle{}, nil)
	k.show(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	k.show(auth.Event{Kind: auth.EventWaiting, At: t0, Message: auth.MsgScanCode})
	const signingIn = "Approved on your phone: signing you in…"
	for _, e := range []auth.Event{
		{Kind: auth.EventSigningIn, At: t0.Add(10 * time.Second), Message: auth.MsgSigningIn},
		{Kind: auth.EventSigningIn, At: t0.Add(11 * time.Second), Message: auth.MsgSigningIn, RetryIn: 4 * time.Second,
			Err: &auth.Error{Key: auth.MsgIdentityUnreadable, Detail: "user info: 503"}},
	} {
		k.show(e)
		k.tick()
		if k.qrFor != "" || k.qr.Image.Bounds().Dx() != 1 || k.deeplink.Visible() {
			t.Errorf("retry in %v: the used code is still shown (%q, deeplink %v)", e.RetryIn, k.qrFor, k.deeplink.Visible())
		}
		if k.status.Text != signingIn || k.countdown.Text != "" {
			t.Errorf("retry in %v: status %q, countdown %q", e.RetryIn, k.status.Text, k.countdown.Text)
		}
		if k.tryAgainNow.Visible() {
			t.Errorf("retry in %v: Try again now is offered while signing in", e.RetryIn)
		}
	}
	// The identity could not be read: a new code follows, saying why.
	k.show(auth.Event{Kind: auth.EventFailed, At: t0.Add(20 * time.Second), Message: auth.MsgIdentityUnreadable})
	if k.countdown.Text != "Getting a code from Digidentity…" || !strings.HasPrefix(k.status.Text, "Your approval arrived, but your SERMI details") {
		t.Errorf("after the failure: countdown %q, status %q", k.countdown.Text, k.status.Text)
	}
	k.show(auth.Event{Kind: auth.EventQRReady, At: t0.Add(20 * time.Second), Message: auth.MsgIdentityUnreadable, QR: code2})
	if k.qrFor != code2.URI || !strings.HasPrefix(k.status.Text, "Your approval arrived") {
		t.Errorf("the new code: %q, status %q", k.qrFor, k.status.Text)
	}
	k.show(auth.Event{Kind: auth.EventSigningIn, At: t0.Add(30 * time.Second), Message: auth.MsgSigningIn})
	k.show(auth.Event{Kind: auth.EventApproved, At: t0.Add(31 * time.Second), Message: auth.MsgSignedIn, Session: ioeSession(t)})
	if !k.signedInScreen.Visible() || k.signInScreen.Visible() {
		t.Error("signing in did not end on the signed-in screen")
	}
}

// An older code's approval may have been lost: the code on screen is still
// good, so it stays, and the status line says what may have happened.
func TestApprovalLostKeepsTheCode(t *testing.T) {
	k, _ := newKiosk(t, "en", idle{}, nil)
	k.show(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code2})
	k.show(auth.Event{Kind: auth.EventWaiting, At: t0, Message: auth.MsgScanCode})
	image := k.qr.Image
	k.show(auth.Event{Kind: auth.EventLost, At: t0.Add(12 * time.Second), Message: auth.MsgApprovalLost,
		Err: &auth.Error{Key: auth.MsgApprovalLost, Detail: "session_not_found after a lost answer"}})
	if k.qrFor != code2.URI || k.qr.Image != image || !k.deeplink.Visible() {
		t.Error("the code on screen left with an older code's lost approval")
	}
	if k.countdown.Text != "Code valid for 0:50" { // 55 s left, in 10 s steps
		t.Errorf("countdown %q", k.countdown.Text)
	}
	want := "Your approval may have been lost on the way to this kiosk. Please scan the code on screen and approve again"
	if k.status.Text != want {
		t.Errorf("status %q, want %q", k.status.Text, want)
	}
	// A later "still waiting" on the current code must not wipe it before
	// anyone reads it.
	k.show(auth.Event{Kind: auth.EventWaiting, At: t0.Add(14 * time.Second), Message: auth.MsgScanCode})
	if k.status.Text != want {
		t.Errorf("waiting wiped the message: %q", k.status.Text)
	}
}

// Busy or offline: "Try again now" cuts the wait short, once per press, and
// goes when the wait is over or the engine moves on.
func TestTryAgainNow(t *testing.T) {
	now := t0.Add(10 * time.Second)
	engine := &retryable{}
	k, _ := newKioskWith(t, "en", engine, nil, func(o *Options) { o.Now = func() time.Time { return now } })
	k.show(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	if k.tryAgainNow.Visible() {
		t.Fatal("Try again now is offered with nothing to wait for")
	}
	offline := auth.Event{Kind: auth.EventOffline, At: now, Message: auth.MsgOffline, RetryIn: 16 * time.Second}
	k.show(offline)
	if !k.tryAgainNow.Visible() || k.tryAgainNow.Text != "Try again now" {
		t.Fatalf("offline: Try again now visible %v, text %q", k.tryAgainNow.Visible(), k.tryAgainNow.Text)
	}
	if k.status.Text != "No connection to Digidentity: trying again in 16 s" || k.qrFor != code1.URI {
		t.Errorf("offline: status %q, code %q", k.status.Text, k.qrFor)
	}
	test.Tap(k.tryAgainNow)
	if n := engine.presses.Load(); n != 1 {
		t.Errorf("RetryNow called %d times, want 1", n)
	}
	if k.tryAgainNow.Visible() {
		t.Error("Try again now stays after it was pressed")
	}
	test.Tap(k.tryAgainNow) // hidden: a second tap does nothing
	if n := engine.presses.Load(); n != 1 {
		t.Errorf("RetryNow called %d times after a tap on the hidden button", n)
	}

	// From the keyboard, like the other buttons: Tab to it, Space.
	k.show(auth.Event{Kind: auth.EventOffline, At: now, Message: auth.MsgBusy, RetryIn: 30 * time.Second})
	if !k.tryAgainNow.Visible() || k.status.Text != "Digidentity is busy: trying again in 30 s" {
		t.Fatalf("busy: Try again now visible %v, status %q", k.tryAgainNow.Visible(), k.status.Text)
	}
	c := k.Window.Canvas()
	for i := 0; i < 20 && c.Focused() != k.tryAgainNow; i++ {
		test.FocusNext(c)
	}
	if c.Focused() != k.tryAgainNow {
		t.Fatal("Tab never reaches Try again now")
	}
	k.tryAgainNow.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if n := engine.presses.Load(); n != 2 || k.tryAgainNow.Visible() {
		t.Errorf("Space: RetryNow called %d times in all, button visible %v", n, k.tryAgainNow.Visible())
	}

	// The next state of the engine takes it away.
	for _, next := range []auth.Event{
		{Kind: auth.EventWaiting, At: now, Message: auth.MsgScanCode},
		{Kind: auth.EventQRReady, At: now, Message: auth.MsgScanCode, QR: code2},
		{Kind: auth.EventApproved, At: now, Message: auth.MsgSignedIn, Session: ioeSession(t)},
	} {
		k.show(offline)
		k.show(next)
		if k.tryAgainNow.Visible() {
			t.Errorf("Try again now stays after %s", next.Kind)
		}
	}
	test.Tap(k.signOut)

	// So does the end of the wait.
	k.show(auth.Event{Kind: auth.EventQRReady, At: now, Message: auth.MsgScanCode, QR: code2})
	k.show(offline)
	now = now.Add(15 * time.Second)
	k.tick()
	if !k.tryAgainNow.Visible() || k.status.Text != "No connection to Digidentity: trying again in 1 s" {
		t.Errorf("1 s before the retry: visible %v, status %q", k.tryAgainNow.Visible(), k.status.Text)
	}
	now = now.Add(time.Second)
	k.tick()
	if k.tryAgainNow.Visible() {
		t.Error("Try again now stays after the wait is over")
	}
	if n := engine.presses.Load(); n != 2 {
		t.Errorf("RetryNow called %d times in all, want 2", n)
	}
}

// A sign-in that cannot cut its waits short gets no button.
func TestNoTryAgainNowWithoutRetryNow(t *testing.T) {
	k, _ := newKiosk(t, "en", idle{}, nil)
	k.show(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	k.show(auth.Event{Kind: auth.EventOffline, At: t0.Add(10 * time.Second), Message: auth.MsgOffline, RetryIn: 16 * time.Second})
	if k.tryAgainNow.Visible() {
		t.Error("Try again now is offered by a sign-in without RetryNow")
	}
}

// Against the engine and the simulator: Digidentity asks for a 30 s wait
// (Retry-After); Try again now gets a code long before.
func TestTryAgainNowCutsTheEnginesWaitShort(t *testing.T) {
	srv := authtest.Simulator(t, simulator.Options{})
	srv.SetFaults(simulator.Faults{TooManyRequests: 1, RetryAfterSeconds: 60, Only: "authorize"})
	engine, err := auth.NewPasswordless(authtest.Settings(srv))
	if err != nil {
		t.Fatal(err)
	}
	k, q := newKioskWith(t, "en", engine, nil, func(o *Options) { o.Now = time.Now })
	k.Start()
	q.until(t, "Try again now", func() bool { return k.tryAgainNow.Visible() })
	if !strings.HasPrefix(k.status.Text, "Digidentity is busy: trying again in ") {
		t.Errorf("status %q", k.status.Text)
	}
	test.Tap(k.tryAgainNow)
	q.until(t, "a code well before the 30 s wait", func() bool { return k.qrFor != "" })
	if k.tryAgainNow.Visible() {
		t.Error("Try again now stays with the code on screen")
	}
}

// Against the engine and the simulator: sign in, tap Sign out, and a new
// code is on screen at once.
func TestSignOutReturnsToANewCode(t *testing.T) {
	srv := authtest.Simulator(t, simulator.Options{})
	engine, err := auth.NewPasswordless(authtest.Settings(srv))
	if err != nil {
		t.Fatal(err)
	}
	k, q := newKioskWith(t, "en", engine, nil, func(o *Options) { o.Now = time.Now })
	k.Start()
	q.until(t, "a code", func() bool { return k.qrFor != "" })
	first := k.qrFor
	if err := srv.Approve(first, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	q.until(t, "the signed-in screen", func() bool { return k.signedInScreen.Visible() })
	if k.garage.Text != "GARAGE JANSEN" {
		t.Errorf("garage %q", k.garage.Text)
	}
	test.Tap(k.signOut)
	if k.signedInScreen.Visible() || !k.signInScreen.Visible() || k.m.Session() != nil {
		t.Fatal("Sign out did not return to the sign-in screen at once")
	}
	if k.qr.Image.Bounds().Dx() != 1 {
		t.Fatal("the previous person's code is still drawn while the new one comes")
	}
	q.until(t, "a new code", func() bool { return k.qrFor != "" })
	if k.qrFor == first {
		t.Error("the old code came back")
	}
}

func TestSignOutEndsTheSessionsTools(t *testing.T) {
	h := &handoffs{ended: make(chan struct{})}
	k, _ := newKiosk(t, "en", idle{}, h)
	k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
	test.Tap(k.signOut)
	select {
	case <-h.ended:
	case <-time.After(5 * time.Second):
		t.Error("signing out did not end the session's tools")
	}
}

func TestAuditRecordsTheSession(t *testing.T) {
	var got []string
	k, q := newKioskWith(t, "en", idle{}, &handoffs{}, func(o *Options) {
		o.Audit = func(event string, s *auth.Session, detail string) error {
			who := ""
			if s != nil {
				who = s.Identity.AuthorisationUID()
			}
			got = append(got, strings.TrimSpace(event+" "+who+" "+detail))
			return nil
		}
	})
	k.show(auth.Event{Kind: auth.EventRefused, Message: auth.MsgRefused, Err: &auth.Error{Key: auth.MsgRefused, Detail: "access_denied"}})
	k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
	test.Tap(k.tools[0])
	q.until(t, "the tool's launch", func() bool { return len(got) == 3 })
	test.Tap(k.signOut)
	want := []string{"refused  access_denied", "sign_in 1234567890B", "tool_launch 1234567890B Diagnostics", "sign_out 1234567890B"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSignOutKeys(t *testing.T) {
	k, _ := newKiosk(t, "en", idle{}, nil)
	k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
	keys, err := ParseKeys("Ctrl+L")
	if err != nil {
		t.Fatal(err)
	}
	k.Window.Canvas().(fyne.Shortcutable).TypedShortcut(keys)
	if k.m.Session() != nil || !k.signInScreen.Visible() {
		t.Error("Ctrl+L did not sign out")
	}
}

func TestParseKeys(t *testing.T) {
	for text, want := range map[string]string{
		"Ctrl+Alt+Q": "CustomDesktop:Control+Alt+Q", "ctrl+l": "CustomDesktop:Control+L", "Super+F12": "CustomDesktop:Super+F12",
	} {
		s, err := ParseKeys(text)
		if err != nil || s.ShortcutName() != want {
			t.Errorf("%q: %v %v, want %s", text, s, err, want)
		}
	}
	for _, bad := range []string{"Q", "Ctrl+", "Hyper+Q", "Ctrl+Tab+Q", "Ctrl+PageUp"} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSettingsAndAbout(t *testing.T) {
	k, q := newKioskWith(t, "en", idle{}, nil, func(o *Options) {
		o.CheckTrustCentre = func(context.Context) error { return fmt.Errorf("no answer from auth.digidentity.eu") }
	})
	k.show(auth.Event{Kind: auth.EventQRReady, Message: auth.MsgScanCode, QR: code1})
	test.Tap(k.settingsBtn)
	if !k.settingsScreen.Visible() || k.signInScreen.Visible() {
		t.Fatal("the settings screen is not shown")
	}
	q.until(t, "the reachability check", func() bool { return k.m.View().Reachability.Key != "ui.checking" })
	for label, want := range map[*widget.Label]string{
		k.aboutVersion:      "1.2.3 (abc, today)",
		k.aboutEnvironment:  "SIMULATOR: not the real Digidentity",
		k.aboutReachability: "not reachable: no answer from auth.digidentity.eu",
	} {
		if label.Text != want {
			t.Errorf("about shows %q, want %q", label.Text, want)
		}
	}
	test.Tap(k.highContrast)
	if th, ok := k.App.Settings().Theme().(kioskTheme); !ok || !th.highContrast {
		t.Error("high contrast did not apply")
	}
	test.Tap(k.largeText)
	if k.App.Settings().Theme().Size("text") <= 14 {
		t.Error("larger text did not apply")
	}
	test.Tap(k.closeSettings)
	if k.settingsScreen.Visible() || !k.signInScreen.Visible() {
		t.Error("closing the settings did not return to the code")
	}
}

func TestProductionShowsNoBanner(t *testing.T) {
	a := test.NewTempApp(t)
	k, err := New(a, Options{SignIn: idle{}, Environment: auth.EnvProduction})
	if err != nil {
		t.Fatal(err)
	}
	if k.banner.Visible() {
		t.Error("production shows the environment banner")
	}
	k2, _ := New(test.NewTempApp(t), Options{SignIn: idle{}, Environment: auth.EnvPreproduction, Settings: Settings{Language: "de"}})
	if !k2.banner.Visible() || k2.bannerText.Text != "VORPRODUKTION: nur Testkonten" {
		t.Errorf("pre-production banner %q", k2.bannerText.Text)
	}
}

func TestDeeplinkOpensTheCode(t *testing.T) {
	var opened string
	k, _ := newKioskWith(t, "en", idle{}, nil, func(o *Options) { o.OpenURL = func(u *url.URL) error { opened = u.String(); return nil } })
	k.show(auth.Event{Kind: auth.EventQRReady, Message: auth.MsgScanCode, QR: code1})
	if !k.deeplink.Visible() {
		t.Fatal("the deeplink button is hidden although the setting is on")
	}
	test.Tap(k.deeplink)
	if opened != code1.URI {
		t.Errorf("opened %q", opened)
	}
}

// Everything works from the keyboard: Tab reaches Sign out, Space presses it.
func TestKeyboardOnly(t *testing.T) {
	k, _ := newKiosk(t, "en", idle{}, &handoffs{})
	k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
	c := k.Window.Canvas()
	for i := 0; i < 20 && c.Focused() != k.signOut; i++ {
		test.FocusNext(c)
	}
	if c.Focused() != k.signOut {
		t.Fatal("Tab never reaches Sign out")
	}
	k.signOut.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if k.m.Session() != nil {
		t.Error("Space on Sign out did not sign out")
	}
}

func TestKioskMode(t *testing.T) {
	_, err := New(test.NewTempApp(t), Options{SignIn: idle{}, Settings: Settings{KioskMode: true, AdminKeys: "Q"}})
	if err == nil || !strings.Contains(err.Error(), "admin_keys") {
		t.Errorf("a bare key as the admin combination: %v", err)
	}
	k, err := New(test.NewTempApp(t), Options{SignIn: idle{}, Settings: Settings{KioskMode: true, AdminKeys: "Ctrl+Alt+Q"}})
	if err != nil {
		t.Fatal(err)
	}
	if !k.Window.FullScreen() {
		t.Error("kiosk mode is not full screen")
	}
}

// keyringLog is a Sessions that records the calls in order.
type keyringLog struct {
	mu       sync.Mutex
	calls    []string
	restore  *auth.Session
	saveFail error
}

func (k *keyringLog) note(s string) { k.mu.Lock(); k.calls = append(k.calls, s); k.mu.Unlock() }
func (k *keyringLog) Save(s ...*auth.Session) error {
	k.note("save " + s[0].Identity.AuthorisationUID())
	return k.saveFail
}
func (k *keyringLog) Restore() ([]*auth.Session, error) {
	k.note("restore")
	if k.restore == nil {
		return nil, nil
	}
	return []*auth.Session{k.restore}, nil
}
func (k *keyringLog) Delete() error { k.note("delete"); return nil }
func (k *keyringLog) log() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return strings.Join(k.calls, ", ")
}

func TestSessionIsKeptAndForgotten(t *testing.T) {
	store := &keyringLog{}
	k, q := newKioskWith(t, "en", idle{}, nil, func(o *Options) { o.Sessions = store })
	k.Start()
	k.show(auth.Event{Kind: auth.EventApproved, Session: rsseSession(t)}) // single-use: never kept
	test.Tap(k.signOut)
	k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
	test.Tap(k.signOut)
	q.until(t, "the keyring calls", func() bool { return strings.Count(store.log(), "delete") == 2 })
	if got := store.log(); got != "restore, delete, save 1234567890B, delete" {
		t.Errorf("keyring calls: %s", got)
	}
}

func TestRestoredSessionTakesOver(t *testing.T) {
	store := &keyringLog{restore: ioeSession(t)}
	k, q := newKioskWith(t, "en", idle{}, nil, func(o *Options) { o.Sessions = store })
	k.Start()
	q.until(t, "the restored session", func() bool { return k.m.Session() != nil })
	if !k.signedInScreen.Visible() || k.garage.Text != "GARAGE JANSEN" {
		t.Error("the restored session is not shown")
	}
}

func TestScreenSaysWhenTheKeyringFails(t *testing.T) {
	store := &keyringLog{saveFail: fmt.Errorf("the system keyring is not available: no answer in 3s")}
	k, q := newKioskWith(t, "en", idle{}, nil, func(o *Options) { o.Sessions = store })
	k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
	q.until(t, "the keyring's answer", func() bool { return k.m.View().SessionNotSaved })
	if !strings.Contains(k.sessionNotSaved.Text, "will not survive a restart") || !k.signedInScreen.Visible() ||
		!k.sessionNotSaved.Visible() || k.sessionNotSaved.Size().Height == 0 {
		t.Errorf("the keyring note = %q; sign-in must still work", k.sessionNotSaved.Text)
	}
}

// slowDelete is a keyring whose Delete waits until released.
type slowDelete struct {
	keyringLog
	release chan struct{}
}

func (k *slowDelete) Delete() error { <-k.release; return k.keyringLog.Delete() }

// Sign-out is durable before it is visible: the next person's code is only
// asked for once the keyring has forgotten the last one, so a crash in
// between cannot bring them back on restart.
func TestSignOutIsDurableBeforeTheNextCode(t *testing.T) {
	store := &slowDelete{release: make(chan struct{})}
	k, q := newKioskWith(t, "en", idle{}, nil, func(o *Options) { o.Sessions = store })
	k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
	attempts := k.m.Attempt()
	test.Tap(k.signOut)
	if k.m.Session() != nil || k.signedInScreen.Visible() || strings.Contains(k.Window.Title(), "GARAGE") {
		t.Fatal("the person's details stay on screen while the keyring forgets them")
	}
	if k.m.Attempt() != attempts || k.m.View().CodeURI != "" {
		t.Fatal("a new code was asked for before the keyring forgot the session")
	}
	close(store.release)
	q.until(t, "the next code after the keyring forgot the session", func() bool { return k.m.Attempt() != attempts })
	if !strings.HasSuffix(store.log(), "delete") {
		t.Errorf("keyring calls: %s", store.log())
	}
}

// A tool that stops at once is reported on the screen, in the person's
// language, and audited as a failure, not as a launch. The real launcher
// runs the tool, as the kiosk does.
func TestAToolThatStopsAtStartIsShownAndAudited(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for language, want := range map[string]string{
		"en": "Diagnostics stopped at start (exit 3): ask your administrator",
		"nl": "Diagnostics stopte direct na het starten (exitcode 3): vraag uw beheerder",
	} {
		tools, err := handoff.NewLauncher([]handoff.Tool{{Name: "Diagnostics", Command: "sh", Args: []string{"-c", "exit 3"}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var audited []string
		k, q := newKioskWith(t, language, idle{}, &handoff.Handover{Launcher: tools}, func(o *Options) {
			o.Audit = func(event string, s *auth.Session, detail string) error {
				mu.Lock()
				defer mu.Unlock()
				audited = append(audited, strings.TrimSpace(event+" "+s.Identity.AuthorisationUID()+" "+detail))
				return nil
			}
		})
		k.show(auth.Event{Kind: auth.EventApproved, Session: ioeSession(t)})
		began := time.Now()
		test.Tap(k.tools[0])
		q.until(t, "the tool's failure on screen", func() bool { return k.handoffStatus.Text != "" })
		if k.handoffStatus.Text != want || !k.handoffStatus.Visible() {
			t.Errorf("%s: the screen says %q (visible %v), want %q", language, k.handoffStatus.Text, k.handoffStatus.Visible(), want)
		}
		if took := time.Since(began); took > 5*time.Second { // handoff.StartWindow
			t.Errorf("%s: shown after %s", language, took)
		}
		mu.Lock()
		if got := strings.Join(audited, "|"); got != "sign_in 1234567890B|tool_failed 1234567890B Diagnostics: stopped at start, exit 3" {
			t.Errorf("%s: audit %q", language, got)
		}
		mu.Unlock()
		// The next person does not see the last one's failure.
		test.Tap(k.signOut)
		k.show(auth.Event{Kind: auth.EventApproved, Session: rsseSession(t)})
		if k.handoffStatus.Text != "" {
			t.Errorf("%s: the next person sees %q", language, k.handoffStatus.Text)
		}
	}
}

// quitting is an app that counts its Quit calls.
type quitting struct {
	fyne.App
	quits atomic.Int32
}

func (a *quitting) Quit() { a.quits.Add(1) }

// Quit is safe from any goroutine (main's Ctrl+C): it reaches the app only
// through the inbound loop, on the screen's goroutine; after Stop it does
// nothing, and does not block.
func TestQuitGoesThroughTheInboundLoop(t *testing.T) {
	a := &quitting{App: test.NewTempApp(t)}
	q := &uiQueue{}
	k, err := create(a, Options{SignIn: idle{}}, q.do, false)
	if err != nil {
		t.Fatal(err)
	}
	go k.Quit()
	q.until(t, "the quit", func() bool { return a.quits.Load() == 1 })
	k.Stop()
	k.Quit()
	q.drain()
	if n := a.quits.Load(); n != 1 {
		t.Errorf("quit %d times", n)
	}
}

// SIGTERM while the window opens (a kiosk restarted by its service manager
// at once) closes it: a quit that arrived before Fyne's loop runs is not
// acted on then, when the app would forget it and the window stay open,
// but through the inbound loop once the window is up.
func TestAQuitWhileTheWindowOpensClosesIt(t *testing.T) {
	a := &beforeRun{quitting: quitting{App: test.NewTempApp(t)}}
	q := &uiQueue{}
	k, err := create(a, Options{SignIn: idle{}}, q.do, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Stop)
	k.Quit()
	k.Start()
	a.running.Store(true) // Fyne's loop runs from here on
	q.until(t, "the quit, once the window is up", func() bool { return a.quits.Load() == 1 })
}

// beforeRun is an app that, as Fyne's does, forgets a Quit called before
// its loop runs.
type beforeRun struct {
	quitting
	running atomic.Bool
}

func (a *beforeRun) Quit() {
	if a.running.Load() {
		a.quitting.Quit()
	}
}

// codeAtOnce is a SignIn whose first code is back as soon as it is asked
// for (the embedded simulator, a Trust Centre close by); then it waits.
type codeAtOnce struct{}

func (codeAtOnce) Start(ctx context.Context) <-chan auth.Event {
	ch := make(chan auth.Event, 1)
	ch <- auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1}
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

func earlyKiosk(t *testing.T, signIn auth.SignIn) (*Kiosk, *uiQueue) {
	t.Helper()
	q := &uiQueue{}
	opts := Options{SignIn: signIn, Environment: auth.EnvSimulator, Settings: Settings{Language: "en"},
		Now: func() time.Time { return t0.Add(time.Second) }}
	k, err := create(test.NewTempApp(t), opts, q.do, true)
	if err != nil {
		t.Fatal(err)
	}
	k.Window.Resize(fyne.NewSize(900, 720))
	t.Cleanup(k.Stop)
	return k, q
}

// As New makes it, the kiosk asks for its first code while the window is
// built; a code back by the time the window opens is in its first frame,
// with nothing queued for a later one.
func TestACodeBackBeforeTheWindowOpensIsInItsFirstFrame(t *testing.T) {
	k, q := earlyKiosk(t, codeAtOnce{})
	deadline := time.Now().Add(15 * time.Second)
	for len(k.inbox) == 0 { // the code on its way to the screen
		if time.Now().After(deadline) {
			t.Fatal("the first code was not asked for before the window opened")
		}
		time.Sleep(time.Millisecond)
	}
	k.Start()
	if k.qrFor != code1.URI || k.status.Text != "Scan this code with the Digidentity app" {
		t.Errorf("the window opens with code %q and status %q; want the first code at once", k.qrFor, k.status.Text)
	}
	if len(q.tasks) != 0 {
		t.Errorf("%d results left for a later frame", len(q.tasks))
	}
}

// A code that is not back yet does not hold the window up: it opens asking
// for one, and the code follows through the inbound loop.
func TestACodeStillOnItsWayDoesNotHoldTheWindowUp(t *testing.T) {
	engine := &handOver{events: make(chan auth.Event, 1)}
	k, q := earlyKiosk(t, engine)
	k.Start()
	if k.qrFor != "" {
		t.Fatalf("a code %q on screen before any came", k.qrFor)
	}
	engine.events <- auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1}
	q.until(t, "the code, through the loop", func() bool { return k.qrFor == code1.URI })
}

// handOver is a SignIn whose events the test sends.
type handOver struct{ events chan auth.Event }

func (h *handOver) Start(ctx context.Context) <-chan auth.Event {
	out := make(chan auth.Event)
	go func() {
		defer close(out)
		for {
			select {
			case e := <-h.events:
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
