package auth_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// countingTransport counts the engine's requests to the Trust Centre.
type countingTransport struct{ qr, token, other atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch {
	case strings.Contains(r.URL.Path, "authorize"):
		c.qr.Add(1)
	case strings.Contains(r.URL.Path, "token"):
		c.token.Add(1)
	default:
		c.other.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) total() int32 { return c.qr.Load() + c.token.Load() + c.other.Load() }

// restingRun is an engine on demand against the simulator, on a timeline.
type restingRun struct {
	tl     *authtest.Timeline
	srv    *simulator.Server
	engine *auth.Passwordless
	count  *countingTransport
	events <-chan auth.Event
}

func newRestingRun(t *testing.T, lifetime time.Duration) *restingRun {
	t.Helper()
	r := &restingRun{tl: authtest.NewTimeline(), count: &countingTransport{}}
	r.srv = authtest.Simulator(t, simulator.Options{Now: r.tl.Now, SessionLifetime: lifetime})
	s := authtest.Settings(r.srv)
	s.PollInterval = auth.DefaultSettings(auth.EnvSimulator).PollInterval
	engine, err := auth.NewPasswordless(s, auth.WithClock(r.tl), auth.WithHTTPClient(&http.Client{Transport: r.count}))
	if err != nil {
		t.Fatal(err)
	}
	r.engine = engine
	r.engine.Rest() // as the kiosk starts: nobody there yet
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r.events = r.engine.Start(ctx)
	return r
}

// next waits for the next event of kind, failing after 10 s of real time.
func (r *restingRun) next(t *testing.T, kind auth.EventKind) auth.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-r.events:
			if e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event", kind)
		}
	}
}

// quiet says whether the engine sends nothing for a while of real time,
// its clock moved an hour on meanwhile.
func (r *restingRun) quiet(t *testing.T) {
	t.Helper()
	before := r.count.total()
	r.tl.Advance(time.Hour)
	select {
	case e := <-r.events:
		t.Fatalf("at rest, the engine said %s", e.Kind)
	case <-time.After(300 * time.Millisecond):
	}
	if after := r.count.total(); after != before {
		t.Fatalf("at rest, %d requests to the Trust Centre in a virtual hour, want none", after-before)
	}
}

// A kiosk at rest asks nothing; a wake brings a code at once; rest again
// polls the code that was shown until the Trust Centre says it is gone,
// then nothing more.
func TestAtRestNothingIsAsked(t *testing.T) {
	r := newRestingRun(t, 30*time.Second)
	r.quiet(t)
	if n := r.count.total(); n != 0 {
		t.Fatalf("%d requests before anyone came, want 0", n)
	}
	r.engine.Wake()
	code := r.next(t, auth.EventQRReady)
	if code.QR.URI == "" || r.count.qr.Load() != 1 {
		t.Fatalf("waking brought %+v after %d code requests, want one code", code.QR, r.count.qr.Load())
	}
	// Rest 5 s after the code showed (on the engine's clock, so exactly
	// then); the code is polled until it is gone (30 s), and then silence.
	restAt := code.QR.IssuedAt.Add(5 * time.Second)
	r.tl.At(restAt.Sub(r.tl.Start), r.engine.Rest)
	end := code.QR.IssuedAt.Add(30 * time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for r.tl.Now().Before(end) && time.Now().Before(deadline) {
		select {
		case e := <-r.events:
			if e.At.After(restAt) {
				t.Errorf("at rest, the engine said %s at %s", e.Kind, e.At.Sub(code.QR.IssuedAt))
			}
		case <-time.After(10 * time.Millisecond):
		}
	}
	if r.tl.Now().Before(end) {
		t.Fatalf("the code shown was not polled to its end: the engine stopped %s after it was shown", r.tl.Now().Sub(code.QR.IssuedAt))
	}
	polls := r.count.token.Load()
	r.quiet(t)
	if r.count.qr.Load() != 1 || polls == 0 {
		t.Errorf("%d codes and %d polls, want 1 code, polled until gone", r.count.qr.Load(), polls)
	}
	r.engine.Wake()
	r.next(t, auth.EventQRReady)
	if r.count.qr.Load() != 2 {
		t.Errorf("%d codes after the second wake, want 2", r.count.qr.Load())
	}
}

// A person who scanned the code before the kiosk went to rest, and
// approves after, is signed in.
func TestApprovalOnACodeRetiredByRestSignsIn(t *testing.T) {
	r := newRestingRun(t, 2*time.Minute)
	r.engine.Wake()
	code := r.next(t, auth.EventQRReady)
	approveAt := r.tl.Since() + 50*time.Second
	r.tl.At(approveAt, func() {
		if err := r.srv.Approve(code.QR.URI, "ioe", "1234"); err != nil {
			t.Errorf("approving: %v", err)
		}
	})
	r.tl.At(r.tl.Since()+3*time.Second, r.engine.Rest)
	approved := r.next(t, auth.EventApproved)
	if approved.Session == nil || r.tl.Since() < approveAt {
		t.Fatalf("approved at %s with %+v", r.tl.Since(), approved.Session)
	}
	if n := r.count.qr.Load(); n != 1 {
		t.Errorf("%d codes fetched, want only the one shown before rest", n)
	}
}

// A code leaves the screen at its end, never at the poll after it, for any
// lifetime the Trust Centre may have, learnt or not yet.
func TestCodeNeverOnScreenPastItsEnd(t *testing.T) {
	for _, lifetime := range []time.Duration{17 * time.Second, 23 * time.Second, 30 * time.Second, 33 * time.Second, 47 * time.Second} {
		t.Run(lifetime.String(), func(t *testing.T) {
			r := newApprovalRun(t, simulator.Options{SessionLifetime: lifetime}, nil)
			var shown auth.QRCode // what the screen shows
			var shownAt time.Time
			var worst time.Duration // the longest a code stayed past its end
			var gaps time.Duration  // time without a code
			off := func(at time.Time) {
				if shown.URI == "" {
					return
				}
				if !shown.ExpiresAt.IsZero() && shown.ExpiresAt.Before(at) {
					at = shown.ExpiresAt // the screen drops it there
				}
				// The simulator's clock is the timeline's: a code is born
				// when it is asked for, the IssuedAt the engine keeps.
				worst = max(worst, at.Sub(shown.IssuedAt.Add(lifetime)))
				shownAt, shown = at, auth.QRCode{}
			}
			lines, _ := r.until(10*time.Minute, func(e auth.Event) bool {
				switch e.Kind {
				case auth.EventQRReady:
					if e.QR.URI == shown.URI {
						shown.ExpiresAt = e.QR.ExpiresAt // its real end, learnt
						return false
					}
					off(e.At)
					if !shownAt.IsZero() {
						gaps += e.At.Sub(shownAt)
					}
					shown = e.QR
				case auth.EventExpired, auth.EventSigningIn, auth.EventFailed, auth.EventRefused:
					off(e.At)
				}
				return false
			})
			if worst > 0 {
				t.Errorf("a code stayed %s past its end:\n%s", worst, strings.Join(lines, "\n"))
			}
			if learnt := r.engine.CodeLifetime(); learnt > lifetime || learnt < lifetime-3*time.Second {
				t.Errorf("learnt %s, want within a poll under %s", learnt, lifetime)
			}
			if gaps > 10*time.Second {
				t.Errorf("%s without a code on screen in 10 minutes:\n%s", gaps, strings.Join(lines, "\n"))
			}
		})
	}
}
