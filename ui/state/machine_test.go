package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// These tests drive the machine as the view does, with no Fyne: events in
// through Handle and the person's methods, the View out, on a clock the test
// moves. The messages the machine's goroutines post are fed back to Handle
// by harness.until, as ui's inbound loop would.

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

type harness struct {
	*Machine
	now    time.Time
	posted chan Msg
	audit  []string
}

func newHarness(t *testing.T, adjust func(*Options)) *harness {
	t.Helper()
	h := &harness{now: t0, posted: make(chan Msg, 64)}
	opts := Options{
		SignIn: silent{}, Environment: auth.EnvSimulator,
		Settings: Settings{DeeplinkButton: true},
		Now:      func() time.Time { return h.now },
		Audit: func(event string, s *auth.Session, detail string) error {
			who := ""
			if s != nil {
				who = s.Identity.AuthorisationUID()
			}
			h.audit = append(h.audit, strings.Join(strings.Fields(event+" "+who+" "+detail), " "))
			return nil
		},
	}
	if adjust != nil {
		adjust(&opts)
	}
	h.Machine = New(opts, Wiring{Post: func(m Msg) { h.posted <- m }})
	t.Cleanup(h.Stop)
	return h
}

// event hands the machine an event of its current attempt.
func (h *harness) event(e auth.Event) { h.Handle(EngineEvent{Attempt: h.Attempt(), Event: e}) }

// until handles posted messages until cond holds, or fails after 10 s.
func (h *harness) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case m := <-h.posted:
			h.Handle(m)
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// silent is a SignIn that never says anything.
type silent struct{}

func (silent) Start(ctx context.Context) <-chan auth.Event {
	ch := make(chan auth.Event)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

// scripted is a SignIn whose attempts the test feeds.
type scripted struct{ attempts chan chan auth.Event }

func (s scripted) Start(context.Context) <-chan auth.Event {
	ch := make(chan auth.Event, 8)
	s.attempts <- ch
	return ch
}

var code1 = auth.QRCode{URI: "http://127.0.0.1:8787/sim/login/first-code", IssuedAt: t0, ExpiresAt: t0.Add(time.Minute)}

func session(t *testing.T, rsse bool) *auth.Session {
	t.Helper()
	body := `{"sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B"`
	if rsse {
		body += `,"rssuid":"REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02","rsseuid":"NL/EXAMPLECAB/9876543210D"`
	}
	id, err := auth.ParseUserInfo([]byte(body + "}"))
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Session{Identity: id, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

func TestTheCodeAndItsCountdown(t *testing.T) {
	h := newHarness(t, nil)
	if v := h.View(); v.Screen != ScreenSignIn || v.CodeURI != "" || v.Countdown.Key != "ui.getting_code" {
		t.Fatalf("before a code: %+v", v)
	}
	h.event(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	h.now = t0.Add(15 * time.Second)
	v := h.View()
	if v.CodeURI != code1.URI || v.Countdown.Params["Time"] != "0:40" || v.Status.Key != string(auth.MsgScanCode) || !v.Deeplink {
		t.Errorf("with a code: %+v", v)
	}
	// A tick moves only the countdowns ...
	h.TakeChange()
	h.Handle(Tick{})
	if c := h.TakeChange(); c != Countdowns {
		t.Errorf("a tick changed %d, want only the countdowns", c)
	}
	// ... until the code expires: then it leaves the screen.
	h.now = code1.ExpiresAt
	h.Handle(Tick{})
	if v := h.View(); v.CodeURI != "" || v.Countdown.Key != "ui.getting_code" || v.Deeplink || h.TakeChange() != Everything {
		t.Errorf("an expired code stays: %+v", v)
	}
}

func TestAWaitCountsDownAndCanBeCutShort(t *testing.T) {
	engine := &retryable{}
	h := newHarness(t, func(o *Options) { o.SignIn = engine })
	h.event(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	h.event(auth.Event{Kind: auth.EventOffline, At: t0, Message: auth.MsgOffline, RetryIn: 16 * time.Second})
	h.now = t0.Add(7 * time.Second)
	if v := h.View(); !v.TryAgainNow || v.Status.Key != string(auth.MsgOffline) || v.Status.Params["Seconds"] != 9 {
		t.Fatalf("offline: %+v", v)
	}
	// A bare "waiting" does not wipe why the wait came before it is over.
	h.event(auth.Event{Kind: auth.EventWaiting, At: t0, Message: auth.MsgScanCode})
	if v := h.View(); v.TryAgainNow || v.Status.Key != string(auth.MsgScanCode) {
		t.Errorf("after the wait: %+v", v)
	}
	h.event(auth.Event{Kind: auth.EventOffline, At: h.now, Message: auth.MsgBusy, RetryIn: 30 * time.Second})
	h.RetryNow()
	h.RetryNow()
	if engine.presses != 1 || h.View().TryAgainNow {
		t.Errorf("RetryNow pressed %d times; button %v", engine.presses, h.View().TryAgainNow)
	}
}

type retryable struct {
	silent
	presses int
}

func (r *retryable) RetryNow() { r.presses++ }

func TestEventsOfAReplacedAttemptAreDropped(t *testing.T) {
	engine := scripted{attempts: make(chan chan auth.Event, 4)}
	h := newHarness(t, func(o *Options) { o.SignIn = engine })
	h.Start()
	first := <-engine.attempts
	first <- auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1}
	h.until(t, "the first code", func() bool { return h.View().CodeURI == code1.URI })
	h.event(auth.Event{Kind: auth.EventApproved, Session: session(t, false)})
	h.SignOut() // no keyring: the next attempt starts at once
	second := <-engine.attempts
	stale := EngineEvent{Attempt: h.Attempt() - 1, Event: auth.Event{Kind: auth.EventQRReady, QR: code1}}
	h.Handle(stale)
	if h.View().CodeURI != "" {
		t.Error("an event of the replaced attempt reached the screen")
	}
	second <- auth.Event{Kind: auth.EventRefused, Message: auth.MsgRefused, Err: &auth.Error{Key: auth.MsgRefused, Detail: "access_denied"}}
	h.until(t, "the refusal", func() bool { return h.View().Status.Key == string(auth.MsgRefused) })
	want := "sign_in 1234567890B|sign_out 1234567890B|refused access_denied"
	if got := strings.Join(h.audit, "|"); got != want {
		t.Errorf("audit %q, want %q", got, want)
	}
}

func TestSignedInView(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Handoff = portal{} })
	h.event(auth.Event{Kind: auth.EventApproved, Session: session(t, true)})
	h.now = t0.Add(15 * time.Second)
	v := h.View()
	if v.Screen != ScreenSignedIn || !v.SignedIn || v.Person != "GARAGE JANSEN" || !v.SingleUse || !v.Portal {
		t.Errorf("signed in: %+v", v)
	}
	if v.Role.Key != "ui.role_rsse" || v.Company.Plain != "REMOTE DIAG SERVICES" || !v.Garage.Empty() ||
		v.OnBehalfOf.Params["UID"] != "1234567890B" || v.AuthorisationUID.Plain != "9876543210D" {
		t.Errorf("the details: %+v", v)
	}
	if v.Remaining.Key != "ui.session_ends" || v.Remaining.Params["Time"] != "59:40" {
		t.Errorf("remaining %+v", v.Remaining)
	}
	h.OpenPortal()
	if hs := h.View().HandoffStatus; hs.Key != "ui.handoff_failed" || hs.Params["Name"].(Text).Key != "ui.repair_portal" {
		t.Errorf("portal failure %+v", hs)
	}
	h.OpenSettings()
	if v := h.View(); v.Screen != ScreenSettings || !v.SignedIn {
		t.Errorf("settings over the session: %+v", v)
	}
	h.CloseSettings()
	if h.View().Screen != ScreenSignedIn {
		t.Error("closing the settings did not return to the session")
	}
	// The session's end signs out.
	h.now = t0.Add(time.Hour)
	h.Handle(Tick{})
	if h.Session() != nil || h.View().Screen != ScreenSignIn {
		t.Error("still signed in after the session's end")
	}
	if got := strings.Join(h.audit, "|"); !strings.HasSuffix(got, "sign_out 9876543210D session expired") {
		t.Errorf("audit %q", got)
	}
}

type portal struct{}

func (portal) Tools() []string                        { return []string{"Diagnostics"} }
func (portal) LaunchTool(string, *auth.Session) error { return stoppedAtStart{} }
func (portal) HasPortal() bool                        { return true }
func (portal) OpenPortal(*auth.Session) error         { return errors.New("portal down") }
func (portal) EndSession()                            {}

type stoppedAtStart struct{}

func (stoppedAtStart) Error() string { return "stopped" }
func (stoppedAtStart) ExitCode() int { return 3 }

// A tool's failure shows while its person is signed in, never to the next.
func TestAToolsFailureIsShownToItsPersonOnly(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Handoff = portal{} })
	first := session(t, false)
	h.event(auth.Event{Kind: auth.EventApproved, Session: first})
	h.LaunchTool("Diagnostics")
	h.until(t, "the tool's failure", func() bool { return !h.View().HandoffStatus.Empty() })
	if hs := h.View().HandoffStatus; hs.Key != "ui.tool_stopped_at_start" || hs.Params["Code"] != "3" {
		t.Errorf("status %+v", hs)
	}
	h.SignOut()
	h.event(auth.Event{Kind: auth.EventApproved, Session: session(t, true)})
	h.Handle(ToolLaunched{Name: "Diagnostics", Session: first, Err: stoppedAtStart{}})
	if hs := h.View().HandoffStatus; !hs.Empty() {
		t.Errorf("the next person sees %+v", hs)
	}
}

func TestIdleWarningThenSignOut(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Settings.IdleSignOut, o.Settings.IdleWarning = 5*time.Minute, 30*time.Second })
	h.event(auth.Event{Kind: auth.EventApproved, Session: session(t, false)})
	h.now = t0.Add(4*time.Minute + 31*time.Second)
	h.Handle(Tick{})
	if v := h.View(); v.IdleLeft != "0:29" {
		t.Fatalf("warning %+v", v.IdleLeft)
	}
	// Input to another program counts.
	h.Handle(Tick{Idle: IdleSample{Idle: time.Second, OK: true}})
	if h.View().IdleLeft != "" {
		t.Error("the warning stays while the machine is in use")
	}
	h.now = t0.Add(5 * time.Minute)
	h.Handle(Tick{})
	if h.Session() != nil || h.View().IdleLeft != "" {
		t.Fatal("still signed in after 5 minutes without input")
	}
	if got := strings.Join(h.audit, "|"); got != "sign_in 1234567890B|idle_sign_out 1234567890B no input for 5m0s" {
		t.Errorf("audit %q", got)
	}
}

func TestIdleTimeIsAskedOnlyWhileSignedIn(t *testing.T) {
	asked := 0
	h := newHarness(t, func(o *Options) {
		o.Settings.IdleSignOut = 5 * time.Minute
		o.IdleTime = func() (time.Duration, error) { asked++; return 7 * time.Second, nil }
	})
	if s := h.SampleIdle(); s.OK || asked != 0 {
		t.Errorf("asked while nobody is signed in")
	}
	h.event(auth.Event{Kind: auth.EventApproved, Session: session(t, false)})
	if s := h.SampleIdle(); !s.OK || s.Idle != 7*time.Second || asked != 1 {
		t.Errorf("sample %+v after %d questions", s, asked)
	}
}

// keyring is a Sessions whose Delete waits until released.
type keyring struct {
	mu         sync.Mutex
	calls      []string
	restore    *auth.Session
	restoreAll []*auth.Session // what was saved last, deleted by Delete
	saveFail   error
	release    chan struct{}
}

// kept says whose sessions are saved: the authorisation UID, and the
// manufacturer where one is named.
func kept(sessions []*auth.Session) string {
	var whose []string
	for _, s := range sessions {
		w := s.Identity.AuthorisationUID()
		if s.Manufacturer != "" {
			w += " at " + s.Manufacturer
		}
		whose = append(whose, w)
	}
	return strings.Join(whose, " + ")
}

func (k *keyring) note(s string) { k.mu.Lock(); k.calls = append(k.calls, s); k.mu.Unlock() }
func (k *keyring) Save(sessions ...*auth.Session) error {
	k.note("save " + kept(sessions))
	if k.saveFail == nil {
		k.mu.Lock()
		k.restoreAll = sessions
		k.mu.Unlock()
	}
	return k.saveFail
}
func (k *keyring) Restore() ([]*auth.Session, error) {
	k.note("restore")
	if k.restore == nil {
		k.mu.Lock()
		defer k.mu.Unlock()
		return k.restoreAll, nil
	}
	return []*auth.Session{k.restore}, nil
}
func (k *keyring) Delete() error {
	if k.release != nil {
		<-k.release
	}
	k.note("delete")
	k.mu.Lock()
	k.restoreAll = nil
	k.mu.Unlock()
	return nil
}
func (k *keyring) log() string { k.mu.Lock(); defer k.mu.Unlock(); return strings.Join(k.calls, ", ") }

// Sign-out is durable before it is visible: the next code is asked for only
// once the keyring has forgotten the session.
func TestSignOutIsDurableBeforeTheNextCode(t *testing.T) {
	store := &keyring{release: make(chan struct{}), saveFail: fmt.Errorf("no keyring")}
	h := newHarness(t, func(o *Options) { o.Sessions = store })
	h.event(auth.Event{Kind: auth.EventApproved, Session: session(t, false)})
	h.until(t, "the keyring's answer", func() bool { return h.View().SessionNotSaved })
	attempt := h.Attempt()
	h.SignOut()
	if v := h.View(); v.SignedIn || v.Person != "" || v.SessionNotSaved || h.Attempt() != attempt {
		t.Fatalf("while the keyring forgets: %+v, attempt %d (was %d)", v, h.Attempt(), attempt)
	}
	close(store.release)
	h.until(t, "the next attempt", func() bool { return h.Attempt() != attempt })
	if got := store.log(); got != "save 1234567890B, delete" {
		t.Errorf("keyring calls: %s", got)
	}
}

// The keyring (D-Bus, seconds when slow) is asked for a kept session only
// once the first engine event is handled, so it never holds up the first
// code: here the first event is an approval, whose save is queued before
// the restore.
func TestTheKeyringWaitsForTheFirstEngineEvent(t *testing.T) {
	store := &keyring{}
	h := newHarness(t, func(o *Options) { o.Sessions = store })
	h.Start()
	h.event(auth.Event{Kind: auth.EventApproved, Session: session(t, false)})
	h.until(t, "the keyring calls", func() bool { return strings.Count(store.log(), ",") == 1 })
	if got := store.log(); got != "save 1234567890B, restore" {
		t.Errorf("keyring calls: %s", got)
	}
}

func TestRestoredSessionTakesOverOnlyFromNobody(t *testing.T) {
	store := &keyring{restore: session(t, false)}
	h := newHarness(t, func(o *Options) { o.Sessions = store })
	h.Start()
	h.event(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	h.until(t, "the restored session", func() bool { return h.Session() != nil })
	if v := h.View(); v.Screen != ScreenSignedIn || h.LastInput() != t0 {
		t.Errorf("restored: %+v", v)
	}
	if got := strings.Join(h.audit, "|"); got != "sign_in 1234567890B restored after a restart" {
		t.Errorf("audit %q", got)
	}
	// A late answer never replaces someone who signed in meanwhile.
	someone := session(t, true)
	h.SignOut()
	h.until(t, "the sign-out", func() bool { return strings.HasSuffix(store.log(), "delete") && h.Session() == nil })
	h.event(auth.Event{Kind: auth.EventApproved, Session: someone})
	h.Handle(Restored{Sessions: []*auth.Session{store.restore}})
	if h.Session() != someone {
		t.Error("a restored session replaced the person signed in")
	}
}

// webSignIn is a browser sign-in whose attempts say only what the test sends.
type webSignIn struct {
	scripted
	pageText func(auth.MessageKey) string
}

func (w *webSignIn) SetPageText(f func(auth.MessageKey) string) { w.pageText = f }

func TestBrowserSignInAndBack(t *testing.T) {
	web := &webSignIn{scripted: scripted{attempts: make(chan chan auth.Event, 4)}}
	h := newHarness(t, func(o *Options) { o.WebSignIn = web })
	h.w.PageText = func() func(auth.MessageKey) string {
		return func(k auth.MessageKey) string { return "page " + string(k) }
	}
	h.event(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	if v := h.View(); !v.ShowQR || v.Web || v.BackToQR {
		t.Fatalf("before: %+v", v)
	}
	h.StartWeb()
	attempt := <-web.attempts
	if v := h.View(); v.ShowQR || !v.Web || !v.BackToQR || v.Status.Key != string(auth.MsgWebContinue) || v.CodeURI != "" {
		t.Errorf("in the browser: %+v", v)
	}
	if web.pageText == nil || web.pageText(auth.MsgWebReturn) != "page "+string(auth.MsgWebReturn) {
		t.Error("the browser's pages were not given the screen's language")
	}
	attempt <- auth.Event{Kind: auth.EventRefused, Message: auth.MsgRefused}
	h.until(t, "back to the QR code", func() bool { return !h.View().Web })
	if v := h.View(); !v.ShowQR || v.CodeURI != "" {
		t.Errorf("after the refusal: %+v", v)
	}
	// The next code says why the browser sign-in ended.
	h.event(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	if v := h.View(); v.Status.Key != string(auth.MsgRefused) {
		t.Errorf("the new code says %q", v.Status.Key)
	}
	h.StartWeb()
	<-web.attempts
	h.CancelWeb()
	if v := h.View(); v.Web || !v.ShowQR || v.Status.Key != "" {
		t.Errorf("back to the QR code: %+v", v)
	}
}

// Far from the end the countdowns move in 10 s steps, rounded down so they
// never promise more time than there is; in the last 30 s, every second.
// Each change repaints the whole window, so the code's countdown now
// changes 33 times in a minute instead of 60.
func TestCountdownsMoveInStepsFarFromTheEnd(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "1:00:00", 59*time.Minute + 45*time.Second: "59:40", 2 * time.Minute: "2:00",
		119*time.Second + 600*time.Millisecond: "2:00", 119 * time.Second: "1:50", 45 * time.Second: "0:40",
		31 * time.Second: "0:30", 30 * time.Second: "0:30", 29 * time.Second: "0:29", time.Second: "0:01", 0: "0:00",
	} {
		if got := CountdownText(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
	h := newHarness(t, nil)
	h.event(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	shown := map[any]bool{}
	for s := range 60 {
		h.now = t0.Add(time.Duration(s) * time.Second)
		h.Handle(Tick{})
		shown[h.View().Countdown.Params["Time"]] = true
	}
	if len(shown) != 33 {
		t.Errorf("the countdown showed %d texts in the code's minute, want 33: %v", len(shown), shown)
	}
}

func TestClockText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0:00", 1500 * time.Millisecond: "0:02", 59 * time.Second: "0:59", 61 * time.Minute: "1:01:00",
	} {
		if got := ClockText(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
