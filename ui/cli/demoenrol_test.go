package cli

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// make run enrols the kiosk at its first start only, as the issue on
// garage enrolment describes the default run: the demonstration's relay
// keeps its sealing key, and the kiosk its credential, in the state
// folder; the next start shows the rest screen naming the garage, and signs
// in through the kept credential.
func TestTheDefaultRunEnrolsOnlyAtItsFirstStart(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := func() (*TrustCentre, *windowEnrolment, bool) {
		f := &Factory{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
		cfg, err := f.Config("")
		if err != nil {
			t.Fatal(err)
		}
		cfg.TrustCentre.PollInterval = auth.MinPollInterval
		tc, err := f.TrustCentre(cfg, f.Logger(false))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tc.Close() })
		e, first := enrolmentFor(ctx, cfg, tc, f.Sessions(), f.Logger(false))
		return tc, e.(*windowEnrolment), first
	}

	tc, e, first := start()
	if !first {
		t.Fatal("the first start does not begin with the garage's enrolment")
	}
	enrolled, err := e.Enrol(ctx, func(c auth.EnrolCode) {
		if err := tc.Simulator.Approve(c.URI, "ioe", "1234"); err != nil {
			t.Errorf("approving the enrolment: %v", err)
		}
	})
	if err != nil || enrolled.GarageName != "GARAGE JANSEN" {
		t.Fatalf("enrolling: %+v, %v", enrolled, err)
	}
	tc.Close()

	tc, e, first = start()
	if first {
		t.Fatal("the second start asks for the garage's enrolment again")
	}
	place, err := e.Place(ctx)
	if err != nil || place.GarageName != "GARAGE JANSEN" || place.Code != enrolled.Code {
		t.Fatalf("the second start's kiosk is %+v (%v), want the one enrolled at the first (%s)", place, err, enrolled.Code)
	}
	for ev := range tc.Engine.Start(ctx) {
		if ev.Kind == auth.EventQRReady {
			if err := tc.Simulator.Approve(ev.QR.URI, "ioe", "1234"); err != nil {
				t.Fatal(err)
			}
		}
		if ev.Kind == auth.EventApproved {
			return
		}
		if ev.Kind == auth.EventFailed || ev.Kind == auth.EventRefused {
			t.Fatalf("signing in after the restart: %s %s: %v", ev.Kind, ev.Message, ev.Err)
		}
	}
	t.Fatal("no sign-in after the restart")
}
