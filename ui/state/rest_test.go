package state

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/platform/config"
)

// resting is a silent SignIn that can rest and wake, as auth.Passwordless.
type resting struct{ silent }

func (resting) Rest() {}
func (resting) Wake() {}

// enrolments counts the enrolments begun and ended; each shows one code
// and waits until it is ended.
type enrolments struct {
	mu             sync.Mutex
	started, ended int
}

func (e *enrolments) Place(context.Context) (relayapi.KioskPlace, error) {
	return relayapi.KioskPlace{}, errors.New("not enrolled")
}

func (e *enrolments) Enrol(ctx context.Context, show func(auth.EnrolCode)) (relayapi.KioskPlace, error) {
	e.mu.Lock()
	e.started++
	e.mu.Unlock()
	show(auth.EnrolCode{URI: "http://127.0.0.1:8787/sim/login/enrolment"})
	<-ctx.Done()
	e.mu.Lock()
	e.ended++
	e.mu.Unlock()
	return relayapi.KioskPlace{}, ctx.Err()
}

func (e *enrolments) counts() (started, ended int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.started, e.ended
}

// With codes on demand, an unenrolled kiosk asks for no enrolment code
// until someone is there, and ends one nobody finished after
// code_rest_after: its code would be polled for nobody.
func TestEnrolmentCodeWaitsForSomeone(t *testing.T) {
	en := &enrolments{}
	h := newHarness(t, func(o *Options) {
		o.SignIn = resting{}
		o.Settings.Codes, o.Settings.CodeRestAfter = config.CodesOnDemand, 2*time.Minute
		o.Enrolment, o.EnrolAtStart = en, true
	})
	h.Start()
	h.now = h.now.Add(time.Hour)
	h.Handle(Tick{})
	if started, _ := en.counts(); started != 0 || h.View().Screen != ScreenRest || !h.View().EnrolOnWake {
		t.Fatalf("at rest: %d enrolments, screen %v, enrolment offered %v", started, h.View().Screen, h.View().EnrolOnWake)
	}
	h.Input()
	h.until(t, "the enrolment code after input", func() bool { return h.View().Screen == ScreenEnrol && h.View().CodeURI != "" })
	h.now = h.now.Add(119 * time.Second)
	h.Handle(Tick{})
	if h.View().Screen != ScreenEnrol {
		t.Fatal("the enrolment ended before code_rest_after")
	}
	h.now = h.now.Add(time.Second)
	h.Handle(Tick{})
	if v := h.View(); v.Screen != ScreenRest || !v.EnrolOnWake || v.CodeURI != "" {
		t.Fatalf("after code_rest_after: screen %v, enrolment offered %v, code %q", v.Screen, v.EnrolOnWake, v.CodeURI)
	}
	h.until(t, "the enrolment ended", func() bool { _, ended := en.counts(); return ended == 1 })
	h.Input()
	h.until(t, "a new enrolment code", func() bool { return h.View().CodeURI != "" })
	if started, _ := en.counts(); started != 2 {
		t.Errorf("%d enrolments, want 2", started)
	}
}
