package state

import (
	"context"
	"github.com/workshop-login/workshop-login/platform/config"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// A kiosk of two manufacturers, as a person meets it: a tile each at rest,
// a code once one is picked, and, signed in, the other one's code for a
// second approval by the same person.

// vmEngine is one manufacturer's sign-in: it rests and wakes, and the test
// reads how many attempts it started.
type vmEngine struct {
	mu           sync.Mutex
	starts       int
	rests, wakes int
}

func (e *vmEngine) Start(ctx context.Context) <-chan auth.Event {
	e.mu.Lock()
	e.starts++
	e.mu.Unlock()
	ch := make(chan auth.Event)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}
func (e *vmEngine) Rest()          { e.mu.Lock(); e.rests++; e.mu.Unlock() }
func (e *vmEngine) Wake()          { e.mu.Lock(); e.wakes++; e.mu.Unlock() }
func (e *vmEngine) Starts() int    { e.mu.Lock(); defer e.mu.Unlock(); return e.starts }
func (e *vmEngine) Awake() bool    { e.mu.Lock(); defer e.mu.Unlock(); return e.wakes > 0 }
func (e *vmEngine) String() string { return "engine" }

// desk is one manufacturer's hand-off: it records whose session each tool
// and portal got, and how often it was told the person left.
type desk struct {
	tool    string
	mu      sync.Mutex
	handed  []*auth.Session
	endings int
}

func (d *desk) Tools() []string { return []string{d.tool} }
func (d *desk) LaunchTool(_ string, s *auth.Session) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.handed = append(d.handed, s)
	return nil
}
func (d *desk) HasPortal() bool { return true }
func (d *desk) OpenPortal(s *auth.Session) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.handed = append(d.handed, s)
	return nil
}
func (d *desk) EndSession() { d.mu.Lock(); d.endings++; d.mu.Unlock() }
func (d *desk) ended() int  { d.mu.Lock(); defer d.mu.Unlock(); return d.endings }

type twoVMs struct {
	*harness
	engines [2]*vmEngine
	desks   [2]*desk
}

func newTwoVMs(t *testing.T, adjust func(*Options)) *twoVMs {
	t.Helper()
	k := &twoVMs{engines: [2]*vmEngine{{}, {}}, desks: [2]*desk{{tool: "A diagnostics"}, {tool: "B diagnostics"}}}
	k.harness = newHarness(t, func(o *Options) {
		o.SignIn = nil
		o.Settings.Codes, o.Settings.CodeRestAfter = config.CodesOnDemand, 2*time.Minute
		o.Manufacturers = []Manufacturer{
			{Name: "Demo manufacturer A", SignIn: k.engines[0], Handoff: k.desks[0]},
			{Name: "Demo manufacturer B", SignIn: k.engines[1], Handoff: k.desks[1]},
		}
		if adjust != nil {
			adjust(o)
		}
	})
	k.Start()
	return k
}

// person is a technician's session: their sub (which may differ per
// client) and IOEUID, whose last segment is their authorisation UID.
func person(t *testing.T, sub, ioeuid string) *auth.Session {
	t.Helper()
	id, err := auth.ParseUserInfo([]byte(`{"sub":"` + sub + `","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"` + ioeuid + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Session{Identity: id, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

// signInToA picks A's tile and approves as the technician 1234567890B.
func (k *twoVMs) signInToA(t *testing.T) *auth.Session {
	t.Helper()
	k.Choose(0)
	k.event(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	s := person(t, "sub-at-a", "NL/EXAMPLECAB/1234567890B")
	k.event(auth.Event{Kind: auth.EventApproved, Session: s})
	return s
}

// alsoB asks for B's code while signed in, and approves it with s.
func (k *twoVMs) alsoB(s *auth.Session) {
	k.AlsoSignIn(1)
	k.event(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	k.event(auth.Event{Kind: auth.EventApproved, Session: s})
}

func TestTheChoiceOfManufacturer(t *testing.T) {
	k := newTwoVMs(t, nil)
	v := k.View()
	if v.Screen != ScreenRest || len(v.Choices) != 2 || v.Choices[0].Name != "Demo manufacturer A" || v.Choices[1].Name != "Demo manufacturer B" {
		t.Fatalf("at rest: %+v", v)
	}
	// Input alone is no choice: the tiles stay.
	k.Input()
	k.Handle(Tick{Idle: IdleSample{Idle: 0, OK: true}})
	if v := k.View(); v.Screen != ScreenRest {
		t.Fatalf("input without a choice left the tiles: %+v", v)
	}
	k.Choose(1)
	k.event(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	v = k.View()
	if v.Screen != ScreenSignIn || v.CodeURI != code1.URI || v.Manufacturer != "Demo manufacturer B" || !v.ChooseOther {
		t.Errorf("B's code: %+v", v)
	}
	if k.engines[1].Starts() == 0 || !k.engines[1].Awake() {
		t.Error("B's engine was not asked for a code")
	}
	// Back to the tiles, then A.
	k.BackToChoice()
	if v := k.View(); v.Screen != ScreenRest || v.CodeURI != "" {
		t.Errorf("back: %+v", v)
	}
	k.Choose(0)
	if v := k.View(); v.Screen != ScreenSignIn || v.Manufacturer != "Demo manufacturer A" {
		t.Errorf("A: %+v", v)
	}
	// Without input for code_rest_after, the tiles again.
	k.now = t0.Add(3 * time.Minute)
	k.Handle(Tick{})
	if v := k.View(); v.Screen != ScreenRest || len(v.Choices) != 2 {
		t.Errorf("after the rest time: %+v", v)
	}
}

// With one manufacturer there is no choice step (the other tests of this
// package), and nothing about manufacturers on screen.
func TestOneManufacturerHasNoChoice(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Handoff = portal{} })
	h.Start()
	if v := h.View(); len(v.Choices) != 0 || v.ChooseOther || v.Manufacturer != "" {
		t.Errorf("%+v", v)
	}
	h.event(auth.Event{Kind: auth.EventApproved, Session: session(t, false)})
	if v := h.View(); len(v.Signed) != 0 || len(v.Also) != 0 || !v.Portal {
		t.Errorf("signed in: %+v", v)
	}
}

func TestTheSecondSignInBySamePerson(t *testing.T) {
	k := newTwoVMs(t, nil)
	a := k.signInToA(t)
	v := k.View()
	if v.Screen != ScreenSignedIn || len(v.Signed) != 1 || v.Signed[0].Name != "Demo manufacturer A" || !v.Signed[0].Portal ||
		len(v.Also) != 1 || v.Also[0].Name != "Demo manufacturer B" || a.Manufacturer != "Demo manufacturer A" {
		t.Fatalf("signed in to A: %+v", v)
	}
	k.AlsoSignIn(1)
	k.event(auth.Event{Kind: auth.EventQRReady, At: t0, Message: auth.MsgScanCode, QR: code1})
	if v := k.View(); v.Screen != ScreenSignIn || !v.Adding || !v.SignedIn || v.CodeURI != code1.URI || v.Manufacturer != "Demo manufacturer B" {
		t.Fatalf("B's code for the second approval: %+v", v)
	}
	// The same person; B's client gives them another sub (pairwise).
	b := person(t, "sub-at-b", "DE/OTHERCAB/1234567890B")
	k.event(auth.Event{Kind: auth.EventApproved, Session: b})
	v = k.View()
	if v.Screen != ScreenSignedIn || len(v.Signed) != 2 || len(v.Also) != 0 || v.CodeURI != "" || k.Session() != a {
		t.Fatalf("signed in to both: %+v", v)
	}
	// Each tool gets its own manufacturer's session.
	k.LaunchTool("B diagnostics")
	k.LaunchTool("A diagnostics")
	k.OpenPortalOf(1)
	k.until(t, "the launches", func() bool { return strings.Count(strings.Join(k.audit, "|"), "tool_launch") == 2 })
	if got := k.desks[1].handed; len(got) != 2 || got[0] != b || got[1] != b {
		t.Errorf("B's hand-offs got %v, want B's session only", got)
	}
	if got := k.desks[0].handed; len(got) != 1 || got[0] != a {
		t.Errorf("A's tool got %v, want A's session", got)
	}
	if got := strings.Join(k.audit, "|"); !strings.Contains(got, "sign_in 1234567890B|sign_in 1234567890B also signed in") {
		t.Errorf("audit %q", got)
	}
}

// Another person's approval of the second code is refused; the first
// session stays, and the screen says why.
func TestAnotherPersonIsRefused(t *testing.T) {
	k := newTwoVMs(t, nil)
	a := k.signInToA(t)
	// Another technician, with the sub the first one has at A: only the
	// authorisation UID tells people apart.
	k.alsoB(person(t, "sub-at-a", "NL/EXAMPLECAB/5555555555X"))
	v := k.View()
	if k.Session() != a || v.Screen != ScreenSignedIn || len(v.Signed) != 1 || v.AddNote.Key != "ui.other_person_refused" ||
		v.AddNote.Params["Name"] != "Demo manufacturer B" || len(v.Also) != 1 {
		t.Fatalf("after another person's approval: %+v", v)
	}
	if got := strings.Join(k.audit, "|"); !strings.Contains(got, "refused 5555555555X another person") {
		t.Errorf("audit %q", got)
	}
	k.LaunchTool("B diagnostics")
	if len(k.desks[1].handed) != 0 {
		t.Error("B's tool was started for a refused person")
	}
}

// A remote specialist's chain authorisation works for one login only: no
// second manufacturer is offered, and the screen says why.
func TestRemoteSpecialistGetsNoSecondManufacturer(t *testing.T) {
	k := newTwoVMs(t, nil)
	k.Choose(0)
	k.event(auth.Event{Kind: auth.EventApproved, Session: session(t, true)})
	v := k.View()
	if len(v.Also) != 0 || v.NoSecond.Key != "ui.rsse_one_manufacturer" || len(v.Signed) != 1 {
		t.Fatalf("%+v", v)
	}
	starts := k.engines[1].Starts()
	k.AlsoSignIn(1)
	if k.View().Adding || k.engines[1].Starts() != starts {
		t.Error("B's code was asked for a remote specialist")
	}
}

func TestSignOutEndsEveryManufacturer(t *testing.T) {
	k := newTwoVMs(t, nil)
	k.signInToA(t)
	k.alsoB(person(t, "sub-at-b", "NL/EXAMPLECAB/1234567890B"))
	k.SignOut()
	v := k.View()
	if k.Session() != nil || v.SignedIn || v.Screen != ScreenRest || len(v.Choices) != 2 {
		t.Fatalf("after sign-out: %+v", v)
	}
	k.until(t, "both hand-offs ended", func() bool { return k.desks[0].ended() > 0 && k.desks[1].ended() > 0 })
	if got := strings.Join(k.audit, "|"); strings.Count(got, "sign_out 1234567890B") != 2 {
		t.Errorf("audit %q, want a sign-out for each manufacturer", got)
	}
	// Signed in again to A only: B is offered again, not signed in.
	k.signInToA(t)
	if v := k.View(); len(v.Signed) != 1 || len(v.Also) != 1 {
		t.Errorf("the next sign-in: %+v", v)
	}
}

func TestIdleSignOutEndsEveryManufacturer(t *testing.T) {
	k := newTwoVMs(t, func(o *Options) { o.Settings.IdleSignOut, o.Settings.IdleWarning = 5*time.Minute, 30*time.Second })
	k.signInToA(t)
	k.alsoB(person(t, "sub-at-b", "NL/EXAMPLECAB/1234567890B"))
	k.now = t0.Add(5 * time.Minute)
	k.Handle(Tick{})
	if v := k.View(); k.Session() != nil || v.Screen != ScreenRest {
		t.Fatalf("after 5 minutes idle: %+v", v)
	}
	k.until(t, "both hand-offs ended", func() bool { return k.desks[0].ended() > 0 && k.desks[1].ended() > 0 })
	if got := strings.Join(k.audit, "|"); strings.Count(got, "idle_sign_out 1234567890B") != 2 {
		t.Errorf("audit %q", got)
	}
}

// restart starts the kiosk again on the same keyring, and lets it answer.
func (k *twoVMs) restart(t *testing.T, store *keyring) *twoVMs {
	t.Helper()
	asked := strings.Count(store.log(), "restore")
	again := newTwoVMs(t, func(o *Options) { o.Sessions = store })
	for range 3 {
		again.Handle(Tick{})
	}
	again.until(t, "the keyring's answer", func() bool { return strings.Count(store.log(), "restore") > asked })
	time.Sleep(50 * time.Millisecond)
	for len(again.posted) > 0 {
		again.Handle(<-again.posted)
	}
	return again
}

// A clean restart (an update, the window closed) brings back the person
// signed in to both manufacturers, each with its own session: the keyring
// keeps them as one record, each naming its manufacturer.
func TestACleanRestartKeepsEveryManufacturer(t *testing.T) {
	store := &keyring{}
	k := newTwoVMs(t, func(o *Options) { o.Sessions = store })
	a := k.signInToA(t)
	b := person(t, "sub-at-b", "DE/OTHERCAB/1234567890B")
	k.alsoB(b)
	k.until(t, "both kept", func() bool {
		return strings.Contains(store.log(), "save 1234567890B at Demo manufacturer A + 1234567890B at Demo manufacturer B")
	})
	k.Stop()
	again := k.restart(t, store)
	v := again.View()
	if again.Session() != a || v.Screen != ScreenSignedIn || len(v.Signed) != 2 || len(v.Also) != 0 {
		t.Fatalf("after the restart: %+v", v)
	}
	again.LaunchTool("B diagnostics")
	again.until(t, "the launch", func() bool { return strings.Contains(strings.Join(again.audit, "|"), "tool_launch") })
	if got := again.desks[1].handed; len(got) != 1 || got[0] != b {
		t.Errorf("B's tool got %v after the restart, want B's session", got)
	}
	if got := strings.Join(again.audit, "|"); strings.Count(got, "restored after a restart") != 2 {
		t.Errorf("audit %q", got)
	}
	again.SignOut()
	again.until(t, "the keyring emptied", func() bool { return strings.HasSuffix(store.log(), "delete") })
	if v := again.View(); again.Session() != nil || len(v.Signed) != 0 {
		t.Errorf("after sign-out: %+v", v)
	}
}

// A kill -9 restart: the crash rule wipes the keyring before the kiosk
// starts (ui/cli's beginRun, TestCrashRule), so the restart shows the
// tiles with nobody signed in, to any manufacturer.
func TestRestartAfterACrashSignsOutAll(t *testing.T) {
	store := &keyring{}
	k := newTwoVMs(t, func(o *Options) { o.Sessions = store })
	k.signInToA(t)
	k.alsoB(person(t, "sub-at-b", "NL/EXAMPLECAB/1234567890B"))
	k.until(t, "both kept", func() bool { return strings.Contains(store.log(), " + ") })
	k.Stop()                               // kill -9: no sign-out
	if err := store.Delete(); err != nil { // the crash rule, at the next start
		t.Fatal(err)
	}
	again := k.restart(t, store)
	if v := again.View(); again.Session() != nil || v.Screen != ScreenRest || len(v.Choices) != 2 {
		t.Errorf("after the restart: %+v", v)
	}
}

// A kept session of a manufacturer the kiosk no longer signs in to (the
// garage's list changed) is not taken over by another.
func TestAKeptSessionOfAManufacturerRemovedStaysOut(t *testing.T) {
	gone := person(t, "sub-at-c", "NL/EXAMPLECAB/1234567890B")
	gone.Manufacturer = "Demo manufacturer C"
	store := &keyring{restoreAll: []*auth.Session{gone}}
	again := (&twoVMs{}).restart(t, store)
	if v := again.View(); again.Session() != nil || v.Screen != ScreenRest {
		t.Errorf("C's session taken over: %+v", v)
	}
}

// A garage that goes from two manufacturers to one: B's kept session is
// not taken over as A's (its tokens and relay session are B's), while A's,
// and an unnamed one kept by a kiosk of one, come back.
func TestAKioskLeftWithOneManufacturerTakesOnlyItsOwn(t *testing.T) {
	for _, c := range []struct {
		kept string
		back bool
	}{{"Demo manufacturer B", false}, {"Demo manufacturer A", true}, {"", true}} {
		s := person(t, "sub", "NL/EXAMPLECAB/1234567890B")
		s.Manufacturer = c.kept
		store := &keyring{restoreAll: []*auth.Session{s}}
		h := newHarness(t, func(o *Options) {
			o.SignIn, o.Sessions = nil, store
			o.Manufacturers = []Manufacturer{{Name: "Demo manufacturer A", SignIn: &vmEngine{}, Handoff: &desk{tool: "A diagnostics"}}}
		})
		h.Start()
		for range 3 {
			h.Handle(Tick{})
		}
		h.until(t, "the keyring's answer", func() bool { return strings.Contains(store.log(), "restore") })
		time.Sleep(50 * time.Millisecond)
		for len(h.posted) > 0 {
			h.Handle(<-h.posted)
		}
		if back := h.Session() != nil; back != c.back {
			t.Errorf("a session kept for %q on a kiosk of A alone: taken over %v, want %v", c.kept, back, c.back)
		}
		h.Stop()
	}
}
