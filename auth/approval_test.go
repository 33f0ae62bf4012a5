package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// These tests hold the product's promise: a person who approved on the
// phone ends signed in, or reads a message that says what happened. Each
// runs the engine on a virtual timeline against the simulator over
// loopback HTTP, with default settings unless said: a scenario of minutes
// takes milliseconds and says to the second when each thing happened.

// approvalRun is one kiosk and one simulator on one timeline.
type approvalRun struct {
	t      *testing.T
	tl     *authtest.Timeline
	srv    *simulator.Server
	engine *auth.Passwordless

	mu         sync.Mutex
	accepted   int         // approvals the simulator accepted
	polls      []time.Time // token requests, on the timeline
	pollCount  int
	countOnly  bool // a long run keeps no list of polls
	approvals  []error
	approvedAt []time.Duration
}

func newApprovalRun(t *testing.T, opts simulator.Options, adjust func(*auth.Settings)) *approvalRun {
	t.Helper()
	r := &approvalRun{t: t, tl: authtest.NewTimeline()}
	opts.Now = r.tl.Now
	opts.OnTokenRequest = func(tr simulator.TokenRequest) {
		r.mu.Lock()
		r.pollCount++
		if !r.countOnly {
			r.polls = append(r.polls, tr.At)
		}
		r.mu.Unlock()
	}
	r.srv = authtest.Simulator(t, opts)
	s := authtest.Settings(r.srv)
	s.PollInterval = auth.DefaultSettings(auth.EnvSimulator).PollInterval
	if adjust != nil {
		adjust(&s)
	}
	engine, err := auth.NewPasswordless(s, auth.WithClock(r.tl), auth.WithJitter(func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	r.engine = engine
	return r
}

// person scans the code on screen at scanAt and approves it at approveAt.
func (r *approvalRun) person(scanAt, approveAt time.Duration, persona, pin string) {
	var uri string
	r.tl.At(scanAt, func() {
		if pending := r.srv.PendingQRCodeURIs(); len(pending) > 0 {
			uri = pending[0] // the newest code is the one on screen
		}
	})
	r.tl.At(approveAt, func() {
		err := r.srv.Approve(uri, persona, pin)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.approvals = append(r.approvals, err)
		if err == nil {
			r.accepted++
			r.approvedAt = append(r.approvedAt, r.tl.Since())
		}
	})
}

// faultAt switches faults on at offset.
func (r *approvalRun) faultAt(offset time.Duration, f simulator.Faults) {
	r.tl.At(offset, func() { r.srv.SetFaults(f) })
}

// until runs one attempt until it is approved, until stop says so, or
// until limit on the timeline; it returns the events, one line each.
func (r *approvalRun) until(limit time.Duration, stop func(auth.Event) bool) (lines []string, last auth.Event) {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wall, wallCancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wallCancel()
	stream := r.engine.Start(ctx)
	for {
		select {
		case e, ok := <-stream:
			if !ok {
				return lines, last
			}
			lines = append(lines, r.describe(e))
			last = e
			if e.Kind == auth.EventApproved || (stop != nil && stop(e)) || r.tl.Since() > limit {
				cancel()
				for range stream {
				}
				return lines, last
			}
		case <-wall.Done():
			r.t.Fatalf("no outcome in 60 s of real time; events:\n%s", strings.Join(lines, "\n"))
		}
	}
}

func (r *approvalRun) describe(e auth.Event) string {
	s := fmt.Sprintf("%s %s %s", e.At.Sub(r.tl.Start), e.Kind, strings.TrimPrefix(string(e.Message), "auth."))
	if e.RetryIn > 0 {
		s += fmt.Sprintf(" retry=%s", e.RetryIn)
	}
	return s
}

// mustSignIn runs until approval and fails the test otherwise.
func (r *approvalRun) mustSignIn(limit time.Duration) auth.Event {
	r.t.Helper()
	lines, last := r.until(limit, nil)
	if last.Kind != auth.EventApproved {
		r.t.Fatalf("the person approved (%v) but was not signed in; events:\n%s", r.approvals, strings.Join(lines, "\n"))
	}
	return last
}

func mentions(lines []string, word string) bool {
	for _, l := range lines {
		if strings.Contains(l, word) {
			return true
		}
	}
	return false
}

// 1. Codes that live longer than anyone assumed: a person who scans at 45 s
// and approves at 75 s is signed in, whether the lifetime is learnt or a
// wrong one was configured.
func TestApprovalOfALongLivedCode(t *testing.T) {
	for name, lifetime := range map[string]time.Duration{"lifetime learnt": 0, "qr_lifetime wrongly set to 60s": time.Minute} {
		t.Run(name, func(t *testing.T) {
			r := newApprovalRun(t, simulator.Options{SessionLifetime: 5 * time.Minute}, func(s *auth.Settings) { s.QRLifetime = lifetime })
			r.person(45*time.Second, 75*time.Second, "rsse", "2345")
			r.mustSignIn(10 * time.Minute)
		})
	}
}

// 1. The lifetime is learnt from when the Trust Centre says a code is gone,
// and only then are codes replaced ahead of their end.
func TestCodeLifetimeIsLearnt(t *testing.T) {
	r := newApprovalRun(t, simulator.Options{SessionLifetime: 2 * time.Minute}, nil)
	lines, _ := r.until(10*time.Minute, nil)
	got := r.engine.CodeLifetime()
	if got < 110*time.Second || got > 2*time.Minute {
		t.Errorf("learnt lifetime %s, want within one poll of 2m", got)
	}
	// No code ends on screen ("Code expired"): the first is replaced at
	// its provisional end (MinQRLifetime), and each later one before its
	// learnt end.
	expired := 0
	for _, l := range lines {
		if strings.Contains(l, "qr_ready code_expired") {
			expired++
		}
	}
	if expired != 0 {
		t.Errorf("%d codes expired on screen, want none:\n%s", expired, strings.Join(lines, "\n"))
	}
}

// The request rate per awake kiosk is bounded: at most MaxLiveCodes token
// polls and one code per poll interval (120 a minute at the default 2 s),
// whatever the codes' lifetime.
func TestRequestRateIsBounded(t *testing.T) {
	for _, lifetime := range []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute} {
		t.Run(lifetime.String(), func(t *testing.T) {
			r := newApprovalRun(t, simulator.Options{SessionLifetime: lifetime}, nil)
			r.until(30*time.Minute, nil)
			r.mu.Lock()
			defer r.mu.Unlock()
			worst := 0
			for i, at := range r.polls {
				n := 0
				for _, other := range r.polls[i:] {
					if other.Sub(at) < time.Minute {
						n++
					}
				}
				worst = max(worst, n)
			}
			interval := auth.DefaultSettings(auth.EnvSimulator).PollInterval
			if limit := auth.MaxLiveCodes * int(time.Minute/interval); worst > limit {
				t.Errorf("%d token polls in one minute, bound %d", worst, limit)
			}
			t.Logf("codes living %s: %d token polls in 30 min, at most %d in a minute", lifetime, len(r.polls), worst)
		})
	}
}

// 2. slow_down is followed but capped, and the person still gets in.
func TestSlowDownIsBounded(t *testing.T) {
	r := newApprovalRun(t, simulator.Options{SessionLifetime: 5 * time.Minute}, nil)
	r.srv.SetFaults(simulator.Faults{SlowDowns: 8}) // 10, 15, 20, 25, then 30 s apart
	r.person(10*time.Second, 3*time.Minute, "ioe", "1234")
	r.mustSignIn(10 * time.Minute)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 1; i < len(r.polls); i++ {
		if gap := r.polls[i].Sub(r.polls[i-1]); gap > auth.MaxSlowDownInterval {
			t.Errorf("%s between polls, more than the cap %s", gap, auth.MaxSlowDownInterval)
		}
	}
}

func TestPollIntervalPastItsBoundIsRefused(t *testing.T) {
	s := auth.DefaultSettings(auth.EnvProduction)
	s.ClientID, s.ClientSecret, s.ProductScope = "kiosk", "secret", "e9x4a6m254p663l4"
	for field, adjust := range map[string]func(*auth.Settings){
		"PollInterval": func(s *auth.Settings) { s.PollInterval = 55 * time.Second },
		"MaxRetryWait": func(s *auth.Settings) { s.MaxRetryWait = time.Hour },
		"HTTPTimeout":  func(s *auth.Settings) { s.HTTPTimeout = 3 * time.Hour },
		"QRLifetime":   func(s *auth.Settings) { s.QRLifetime = 5 * time.Second },
	} {
		bad := s
		adjust(&bad)
		var se *auth.SettingError
		if _, err := auth.NewPasswordless(bad); !errors.As(err, &se) || se.Field != field {
			t.Errorf("%s: got %v, want a message about %s", field, err, field)
		}
	}
}

// 3. A token answer slower than the quick calls' timeout is waited for.
func TestSlowTokenAnswerIsWaitedFor(t *testing.T) {
	r := newApprovalRun(t, simulator.Options{}, func(s *auth.Settings) { s.HTTPTimeout = 200 * time.Millisecond })
	r.person(5*time.Second, 20*time.Second, "rsse", "2345")
	r.faultAt(20*time.Second, simulator.Faults{SlowTokenAnswers: 1, SlowAnswerMS: 700})
	r.mustSignIn(5 * time.Minute)
}

// 3. An answer lost anyway is not called "Code expired": the person is told
// the approval may have been lost and scans again.
func TestLostTokenAnswerSaysSo(t *testing.T) {
	// One code on screen the whole time, so the lost answer is its own.
	r := newApprovalRun(t, simulator.Options{}, func(s *auth.Settings) { s.TokenTimeout, s.MinQRLifetime = time.Second, 0 })
	r.person(5*time.Second, 20*time.Second, "ioe", "1234")
	r.faultAt(20*time.Second, simulator.Faults{SlowTokenAnswers: 1, SlowAnswerMS: 1500})
	r.person(60*time.Second, 70*time.Second, "ioe", "1234")
	lines, _ := r.until(5*time.Minute, nil)
	if !mentions(lines, "qr_ready approval_lost") || mentions(lines, "code_expired") {
		t.Errorf("want a new code saying the approval may have been lost, never 'Code expired':\n%s", strings.Join(lines, "\n"))
	}
	if lines[len(lines)-1][strings.Index(lines[len(lines)-1], " ")+1:] != "approved signed_in" {
		t.Errorf("the second approval did not sign in:\n%s", strings.Join(lines, "\n"))
	}
}

// 4. The identity is read however often user info or the keys fail, for
// as long as the token is valid; a remote specialist's one-time chain
// authorisation is not burned by a second try.
func TestIdentityIsRetriedAfterTheToken(t *testing.T) {
	faults := map[string]simulator.Faults{
		"user info cut off":     {Only: "user_info", MalformedJSON: 1},
		"user info 401":         {Only: "user_info", Unauthorized: 2},
		"user info 503 4 times": {Only: "user_info", ServerErrors: 4},
		"user info 429":         {Only: "user_info", TooManyRequests: 2, RetryAfterSeconds: 20},
	}
	for name, f := range faults {
		t.Run(name, func(t *testing.T) {
			r := newApprovalRun(t, simulator.Options{}, nil)
			r.person(5*time.Second, 20*time.Second, "rsse", "2345")
			r.faultAt(20*time.Second, f)
			lines, last := r.until(time.Hour, nil)
			if last.Kind != auth.EventApproved || last.Session.Identity.Role != auth.RoleRSSE {
				t.Fatalf("not signed in:\n%s", strings.Join(lines, "\n"))
			}
			if !mentions(lines, "signing_in signing_in") {
				t.Errorf("the screen never said 'Signing you in':\n%s", strings.Join(lines, "\n"))
			}
		})
	}
	t.Run("ID-token keys fail three times", func(t *testing.T) {
		var failures atomic.Int32
		var keysURL string
		keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if failures.Add(1) <= 3 {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			resp, err := http.Get(keysURL)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			w.Header().Set("Content-Type", "application/json")
			io.Copy(w, resp.Body)
		}))
		defer keys.Close()
		r := newApprovalRun(t, simulator.Options{}, func(s *auth.Settings) { s.JWKSURL = keys.URL })
		keysURL = r.srv.URL + "/oauth2/keys"
		r.person(5*time.Second, 20*time.Second, "rsse", "2345")
		r.mustSignIn(time.Hour)
		if failures.Load() < 4 {
			t.Errorf("the keys were fetched %d times, want the failures retried", failures.Load())
		}
	})
	t.Run("user info never answers", func(t *testing.T) {
		r := newApprovalRun(t, simulator.Options{}, nil)
		r.person(5*time.Second, 20*time.Second, "ioe", "1234")
		r.faultAt(20*time.Second, simulator.Faults{Only: "user_info", ServerErrors: 1 << 20})
		lines, last := r.until(2*time.Hour, func(e auth.Event) bool { return e.Kind == auth.EventFailed })
		if last.Kind != auth.EventFailed || last.Message != auth.MsgIdentityUnreadable {
			t.Fatalf("want the message that the approval arrived but the identity could not be read:\n%s", strings.Join(lines, "\n"))
		}
		limit := auth.DefaultSettings(auth.EnvSimulator).IdentityRetryLimit
		if took := last.At.Sub(r.tl.Start) - 20*time.Second; took > limit+time.Minute {
			t.Errorf("gave up after %s, past identity_retry_limit %s", took, limit)
		}
	})
}

// 5. A 429 near the code's end does not abandon a code the Trust Centre
// still holds; Retry-After is capped by max_retry_wait.
func TestTooManyRequestsNearTheEnd(t *testing.T) {
	r := newApprovalRun(t, simulator.Options{SessionLifetime: 2 * time.Minute}, func(s *auth.Settings) { s.QRLifetime = time.Minute })
	r.srv.SetFaults(simulator.Faults{TooManyNearEndSeconds: 90, RetryAfterSeconds: 25})
	r.person(10*time.Second, 55*time.Second, "rsse", "2345")
	r.mustSignIn(10 * time.Minute)
}

func TestRetryAfterIsCapped(t *testing.T) {
	r := newApprovalRun(t, simulator.Options{}, nil)
	r.srv.SetFaults(simulator.Faults{Only: "authorize", TooManyRequests: 1, RetryAfterSeconds: 3600})
	lines, _ := r.until(10*time.Minute, func(e auth.Event) bool { return e.Kind == auth.EventQRReady })
	want := []string{"0s offline busy retry=30s", "30s qr_ready scan_code"}
	if got := strings.Join(lines, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// "Try again now" cuts the wait short, on the wall clock.
func TestRetryNowCutsTheWait(t *testing.T) {
	t.Parallel()
	srv := authtest.Simulator(t, simulator.Options{})
	srv.SetFaults(simulator.Faults{Only: "authorize", TooManyRequests: 1, RetryAfterSeconds: 600})
	s := authtest.Settings(srv)
	s.MaxRetryWait = 10 * time.Minute
	engine, err := auth.NewPasswordless(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	events := engine.Start(ctx)
	if e := <-events; e.Kind != auth.EventOffline || e.RetryIn != 10*time.Minute {
		t.Fatalf("first event %s %s, want a 10 minute wait", e.Kind, e.RetryIn)
	}
	engine.RetryNow()
	if e := <-events; e.Kind != auth.EventQRReady {
		t.Fatalf("after Try again now: %s %s", e.Kind, e.Message)
	}
}

// What the real Trust Centre may do differently, each learnt or followed.
func TestTrustCentreVariants(t *testing.T) {
	for name, opts := range map[string]simulator.Options{
		"only /oauth2/token.json, found by discovery": {TokenPaths: "token.json"},
		"only /oauth2/token":                          {TokenPaths: "token"},
		"ES256-signed ID tokens":                      {IDTokenAlg: "ES256"},
		"no id_token":                                 {OmitIDToken: true},
		"user info on another host":                   {SeparateUserInfoHost: true},
		"5-digit PINs":                                {FiveDigitPINs: true},
		"codes that live 5 minutes":                   {SessionLifetime: 5 * time.Minute},
	} {
		t.Run(name, func(t *testing.T) {
			r := newApprovalRun(t, opts, nil)
			pin := "2345"
			if opts.FiveDigitPINs {
				pin = "23456"
			}
			r.person(5*time.Second, 30*time.Second, "rsse", pin)
			if got := r.mustSignIn(10 * time.Minute).Session.Identity.Role; got != auth.RoleRSSE {
				t.Errorf("role %s", got)
			}
		})
	}
}

// Without a discovery document, a guessed token path that is not there is
// switched to the other spelling, and the same code asked again.
func TestTokenPathSpellingIsFoundWithoutDiscovery(t *testing.T) {
	tl := authtest.NewTimeline()
	var handler http.Handler
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/.well-known/") {
			http.NotFound(w, req)
			return
		}
		handler.ServeHTTP(w, req)
	}))
	defer front.Close()
	sim, err := simulator.New(simulator.Options{Issuer: front.URL, TokenPaths: "token.json", Now: tl.Now})
	if err != nil {
		t.Fatal(err)
	}
	handler = sim.Handler()
	s := auth.DefaultSettings(auth.EnvSimulator)
	s.Issuer, s.ClientID, s.ClientSecret, s.ProductScope = front.URL, simulator.DefaultClientID, simulator.DefaultClientSecret, simulator.DefaultProductScope
	engine, err := auth.NewPasswordless(s, auth.WithClock(tl))
	if err != nil {
		t.Fatal(err)
	}
	tl.At(10*time.Second, func() {
		if err := sim.Approve(sim.PendingQRCodeURIs()[0], "ioe", "1234"); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for e := range engine.Start(ctx) {
		if e.Kind == auth.EventApproved {
			return
		}
		if e.Kind == auth.EventFailed || e.Kind == auth.EventExpired {
			t.Fatalf("%s %s: %v", e.Kind, e.Message, e.Err)
		}
	}
	t.Fatal("not signed in")
}

// A discovery document that cannot be read for a while must not switch the
// ID token's check off: the identity waits for the key set. Here the token
// is spoilt, so a check that ran refuses it; one that was skipped signs in.
func TestDiscoveryDownDoesNotSkipTheIDTokenCheck(t *testing.T) {
	tl := authtest.NewTimeline()
	var handler http.Handler
	var discoveryDown atomic.Bool
	discoveryDown.Store(true)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/.well-known/") && discoveryDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		handler.ServeHTTP(w, req)
	}))
	defer front.Close()
	sim, err := simulator.New(simulator.Options{Issuer: front.URL, Now: tl.Now})
	if err != nil {
		t.Fatal(err)
	}
	handler = sim.Handler()
	sim.SetFaults(simulator.Faults{IDToken: "wrong_audience"})
	s := auth.DefaultSettings(auth.EnvSimulator)
	s.Issuer, s.ClientID, s.ClientSecret, s.ProductScope = front.URL, simulator.DefaultClientID, simulator.DefaultClientSecret, simulator.DefaultProductScope
	engine, err := auth.NewPasswordless(s, auth.WithClock(tl), auth.WithJitter(func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	tl.At(10*time.Second, func() { sim.Approve(sim.PendingQRCodeURIs()[0], "ioe", "1234") })
	tl.At(2*time.Minute, func() { discoveryDown.Store(false) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for e := range engine.Start(ctx) {
		switch e.Kind {
		case auth.EventApproved:
			t.Fatal("signed in with an ID token nobody checked")
		case auth.EventFailed:
			if e.Message != auth.MsgIdentityInvalid {
				t.Fatalf("failed with %s, want the ID token refused once the keys are known", e.Message)
			}
			return
		}
	}
	t.Fatal("no outcome")
}
