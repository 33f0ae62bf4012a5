package ui

import (
	"fmt"
	"github.com/workshop-login/workshop-login/platform/config"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/ui/state"
)

// trustCentreCount counts what the kiosk asks the Trust Centre.
type trustCentreCount struct{ codes, polls atomic.Int32 }

func (c *trustCentreCount) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "authorize") {
		c.codes.Add(1)
	} else if strings.Contains(r.URL.Path, "token") {
		c.polls.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (c *trustCentreCount) String() string {
	return fmt.Sprintf("%d codes, %d polls", c.codes.Load(), c.polls.Load())
}

// clock is the kiosk's clock, moved by the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// restingKiosk is a kiosk with codes on demand, on the real engine and the
// simulator, whose codes live lifetime.
func restingKiosk(t *testing.T, lifetime time.Duration) (*Kiosk, *uiQueue, *simulator.Server, *trustCentreCount, *clock) {
	t.Helper()
	srv := authtest.Simulator(t, simulator.Options{SessionLifetime: lifetime})
	count := &trustCentreCount{}
	engine, err := auth.NewPasswordless(authtest.Settings(srv), auth.WithHTTPClient(&http.Client{Transport: count}))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Now()}
	k, q := newKioskWith(t, "en", engine, nil, func(o *Options) {
		o.Now = c.Now
		o.Settings.Codes, o.Settings.CodeRestAfter, o.Settings.Name = config.CodesOnDemand, 2*time.Minute, "GARAGE JANSEN, bay 2"
	})
	k.Start()
	return k, q, srv, count, c
}

// A kiosk at rest shows the rest screen and asks nothing, for an hour; a
// tap brings a code; two minutes without input bring the rest back, and
// the code shown is polled until it is gone, then nothing until the next
// input.
func TestRestAsksNothingUntilInput(t *testing.T) {
	k, q, _, count, c := restingKiosk(t, 3*time.Second)
	restful := func(what string) {
		t.Helper()
		if !k.restScreen.Visible() || k.signInScreen.Visible() || k.qrFor != "" {
			t.Fatalf("%s: not the rest screen (rest %v, code %q)", what, k.restScreen.Visible(), k.qrFor)
		}
		texts := strings.Join(visibleTexts(k.Window.Content()), "|")
		for _, want := range []string{"GARAGE JANSEN, bay 2", "Sign in", "Touch the screen or press any key to sign in"} {
			if !strings.Contains(texts, want) {
				t.Errorf("%s: the rest screen lacks %q: %s", what, want, texts)
			}
		}
	}
	quietHour := func(what string) {
		t.Helper()
		before := count.String()
		for range 60 {
			c.add(time.Minute)
			k.tick()
		}
		time.Sleep(1500 * time.Millisecond) // a poll interval of real time
		q.drain()
		if after := count.String(); after != before {
			t.Fatalf("%s: the Trust Centre was asked at rest: %s, then %s", what, before, after)
		}
		restful(what)
	}
	restful("at start")
	quietHour("at start")
	if count.codes.Load() != 0 {
		t.Fatalf("%s before anyone came", count)
	}

	test.Tap(k.restSignIn)
	q.until(t, "a code after the tap", func() bool { return k.qrFor != "" })
	if k.restScreen.Visible() {
		t.Error("the rest screen stays over the code")
	}
	c.add(119 * time.Second)
	k.tick()
	// (The code itself may have left the screen: the kiosk's clock ran an
	// hour ahead of the engine's.)
	if k.restScreen.Visible() || k.m.Resting() {
		t.Fatal("rest came before code_rest_after")
	}
	c.add(time.Second)
	k.tick()
	restful("after code_rest_after")
	// The code shown lives 3 s: polled until gone, then silence.
	time.Sleep(4 * time.Second)
	quietHour("once the last code is gone")
	if count.codes.Load() != 1 || count.polls.Load() == 0 {
		t.Errorf("%s, want the one code, polled until it was gone", count)
	}

	// The pointer moving over the window wakes it too.
	catcher := k.Window.Content().(*fyne.Container).Objects[0].(desktop.Hoverable)
	catcher.MouseIn(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(300, 200)}})
	q.drain()
	if !k.restScreen.Visible() {
		t.Fatal("the window shown under a resting pointer woke the kiosk")
	}
	catcher.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(310, 200)}})
	q.until(t, "a code after the pointer moved", func() bool { return k.qrFor != "" })
	if count.codes.Load() != 2 {
		t.Errorf("%s after the second wake", count)
	}
}

// A person who scanned the code and approves once the kiosk went to rest
// is signed in, straight from the rest screen.
func TestApprovalAfterRestSignsIn(t *testing.T) {
	k, q, srv, _, c := restingKiosk(t, time.Minute)
	k.restSignIn.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) // the keyboard's way in
	q.until(t, "a code", func() bool { return k.qrFor != "" })
	code := k.qrFor
	c.add(2 * time.Minute)
	k.tick()
	if !k.restScreen.Visible() {
		t.Fatal("no rest after code_rest_after")
	}
	if err := srv.Approve(code, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	q.until(t, "the signed-in screen", func() bool { return k.signedInScreen.Visible() })
	if k.garage.Text != "GARAGE JANSEN" || k.restScreen.Visible() {
		t.Errorf("signed in as %q, rest screen shown: %v", k.garage.Text, k.restScreen.Visible())
	}
	// Sign-out goes back to rest, not to a new code.
	test.Tap(k.signOut)
	q.drain()
	if !k.restScreen.Visible() || k.m.View().Screen != state.ScreenRest {
		t.Error("sign-out did not go back to the rest screen")
	}
}

// Input anywhere on the machine (the idle meter) wakes the kiosk.
func TestInputElsewhereWakes(t *testing.T) {
	k, q, _, count, c := restingKiosk(t, time.Minute)
	c.add(10 * time.Second)
	k.checkIdle(state.IdleSample{Idle: 30 * time.Second, OK: true}) // before the start: not for us
	if !k.restScreen.Visible() {
		t.Fatal("woke on input from before the start")
	}
	k.checkIdle(state.IdleSample{Idle: time.Second, OK: true})
	q.until(t, "a code after input elsewhere", func() bool { return k.qrFor != "" })
	if count.codes.Load() != 1 {
		t.Errorf("%s", count)
	}
}

// The rest screen speaks the four languages, and high contrast and large
// text keep it whole (the master images).
func TestRestScreenInEveryLanguageAndLook(t *testing.T) {
	k, _, _, _, _ := restingKiosk(t, time.Minute)
	english := visibleTexts(k.Window.Content())
	for _, language := range []string{"Nederlands", "Deutsch", "Français"} {
		k.language.SetSelected(language)
		other := visibleTexts(k.Window.Content())
		if len(other) != len(english) {
			t.Fatalf("%s: %q, in English %q", language, other, english)
		}
		for i := range english {
			if english[i] == other[i] && !sameInEveryLanguage(english[i]) && english[i] != "GARAGE JANSEN, bay 2" {
				t.Errorf("%s: %q did not change", language, english[i])
			}
		}
	}
	k.language.SetSelected("English")
	test.AssertImageMatches(t, "rest_en.png", k.Window.Canvas().Capture())
	k.highContrast.SetChecked(true)
	k.largeText.SetChecked(true)
	test.AssertImageMatches(t, "rest_high_contrast_large_text_en.png", k.Window.Canvas().Capture())
}

// Tab reaches Sign in at rest, and Space on it brings a code.
func TestRestScreenFromTheKeyboard(t *testing.T) {
	k, q, _, _, _ := restingKiosk(t, time.Minute)
	c := k.Window.Canvas()
	for i := 0; i < 20 && c.Focused() != k.restSignIn; i++ {
		test.FocusNext(c)
	}
	if c.Focused() != k.restSignIn {
		t.Fatal("Tab never reaches Sign in")
	}
	k.restSignIn.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	q.until(t, "a code after Space on Sign in", func() bool { return k.qrFor != "" })
}
