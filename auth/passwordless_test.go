package auth

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/clock"
)

// answer is one scripted Trust Centre answer; it goes through the real
// decoders, so these tests cover classification as well as the state machine.
type answer struct {
	status  int
	body    string
	header  http.Header
	offline bool // the network is down: no answer at all
}

const ioeUserInfo = `{"sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",` +
	`"iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B"}`

var (
	pending       = answer{status: 400, body: `{"error":"invalid_grant","error_description":"login_pending"}`}
	rfcPending    = answer{status: 400, body: `{"error":"authorization_pending"}`}
	slowDown      = answer{status: 400, body: `{"error":"slow_down"}`}
	sessionGone   = answer{status: 400, body: `{"error":"invalid_grant","error_description":"session_not_found"}`}
	expiredToken  = answer{status: 400, body: `{"error":"expired_token"}`}
	denied        = answer{status: 400, body: `{"error":"access_denied","error_description":"access_denied"}`}
	serverError   = answer{status: 503, body: `<html>maintenance</html>`}
	networkDown   = answer{offline: true}
	badClient     = answer{status: 401, body: `{"error":"invalid_client"}`}
	oddError      = answer{status: 400, body: `{"error":"invalid_request","error_description":"code missing"}`}
	malformed     = answer{status: 200, body: `{"access_token": "abc`}
	issued        = answer{status: 200, body: `{"access_token":"at-1","refresh_token":"rt-1","token_type":"Bearer","expires_in":3600,"scope":"s openid sermi"}`}
	userInfoIOE   = answer{status: 200, body: ioeUserInfo}
	userInfoNoUID = answer{status: 200, body: `{"sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o"}`}
)

func busy(retryAfter string) answer {
	return answer{status: 429, body: `{}`, header: http.Header{"Retry-After": {retryAfter}}}
}

// script is a Trust Centre that answers from lists and records every call
// with its time on the virtual clock.
type script struct {
	clock *clock.Virtual
	start time.Time
	qr    []answer // when empty: a fresh, valid QR session
	token []answer // when empty: pending
	info  []answer // when empty: the IOE's user info
	codes int
	calls []string
	// onCall, when set, runs in the engine's goroutine after each call is
	// recorded, before it is answered.
	onCall func()
}

func (s *script) record(format string, args ...any) {
	s.calls = append(s.calls, fmt.Sprintf("%s ", s.clock.Now().Sub(s.start))+fmt.Sprintf(format, args...))
	if s.onCall != nil {
		s.onCall()
	}
}

func next(list *[]answer, fallback answer) answer {
	if len(*list) == 0 {
		return fallback
	}
	a := (*list)[0]
	*list = (*list)[1:]
	return a
}

func (a answer) network() error {
	return &callError{verdict: verdictTransient, err: NewError(MsgOffline, syscall.ECONNREFUSED, "request failed")}
}

func (s *script) endpoints(context.Context) Endpoints { return testSettings().Resolve(nil) }

func (s *script) requestQR(context.Context) (qrSession, error) {
	s.record("authorize")
	s.codes++
	valid := answer{status: 200, body: fmt.Sprintf(
		`{"data":{"id":"code-%d","type":"passwordless_login_session","attributes":{"type":"qr_code","qr_code_uri":"https://qr.test/%d"}}}`, s.codes, s.codes)}
	a := next(&s.qr, valid)
	if a.offline {
		return qrSession{}, a.network()
	}
	return decodeQRSession(a.status, a.header, []byte(a.body))
}

func (s *script) exchange(_ context.Context, code Secret) (tokenResponse, error) {
	s.record("token %s", code.Reveal())
	a := next(&s.token, pending)
	if a.offline {
		return tokenResponse{}, a.network()
	}
	return decodeTokenResponse(a.status, a.header, []byte(a.body))
}

func (s *script) userInfo(context.Context, Secret) ([]byte, error) {
	s.record("user_info")
	a := next(&s.info, userInfoIOE)
	if a.offline {
		return nil, a.network()
	}
	if a.status != 200 {
		return nil, classifyError("user info request", a.status, a.header, []byte(a.body))
	}
	return []byte(a.body), nil
}

// testSettings know the code lifetime (60 s), as a Trust Centre that
// published it would; learning it is tested on its own.
func testSettings() Settings {
	s := DefaultSettings(EnvProduction)
	s.ClientID, s.ClientSecret, s.ProductScope = "kiosk", "secret", "e9x4a6m254p663l4"
	s.QRLifetime = time.Minute
	s.PollInterval = 5 * time.Second // the timelines below were written with it
	return s
}

// got is one event as a test reads it: time since start, kind, message, and
// the retry wait where there is one.
func describe(start time.Time, e Event) string {
	s := fmt.Sprintf("%s %s %s", e.At.Sub(start), e.Kind, strings.TrimPrefix(string(e.Message), "auth."))
	if e.RetryIn > 0 {
		s += fmt.Sprintf(" retry=%s", e.RetryIn)
	}
	if e.Kind == EventQRReady {
		s += " " + e.QR.URI
	}
	return s
}

// runScript drives one attempt until it is approved or has emitted maxEvents.
func runScript(t *testing.T, s Settings, sc *script, maxEvents int) (events []string, last Event) {
	t.Helper()
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	vc := clock.NewVirtual(start)
	sc.clock, sc.start = vc, start
	p, err := NewPasswordless(s, WithClock(vc), WithJitter(func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	p.tc, p.identity.(*identityReader).tc = sc, sc
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream := p.Start(ctx)
	for e := range stream {
		events = append(events, describe(start, e))
		last = e
		if e.Kind == EventApproved || len(events) == maxEvents {
			break
		}
	}
	cancel()
	for range stream {
		// after cancelling, the engine may still hand over an event it was sending
	}
	return events, last
}

func TestPasswordlessStateMachine(t *testing.T) {
	tests := []struct {
		name       string
		script     script
		settings   func(*Settings)
		maxEvents  int
		wantEvents []string
		wantCalls  []string // checked as a prefix of the calls made, when set
	}{
		{
			name:   "pending, pending, slow_down, pending, success",
			script: script{token: []answer{pending, pending, slowDown, pending, issued}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s waiting scan_code",
				"35s signing_in signing_in",
				"35s approved signed_in",
			},
			// slow_down at 15 s makes every later interval 10 s.
			wantCalls: []string{"0s authorize", "5s token code-1", "10s token code-1", "15s token code-1",
				"25s token code-1", "35s token code-1", "35s user_info"},
		},
		{
			name:   "RFC 8628 authorization_pending is waiting too",
			script: script{token: []answer{rfcPending, issued}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s waiting scan_code",
				"10s signing_in signing_in",
				"10s approved signed_in",
			},
		},
		{
			name:   "5xx storm then recovery backs off exponentially and says when it retries",
			script: script{token: []answer{pending, serverError, serverError, networkDown, serverError, pending, issued}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s waiting scan_code",
				"10s offline offline retry=1.5s",
				"11.5s offline offline retry=3s",
				"14.5s offline offline retry=6s",
				"20.5s offline offline retry=12s",
				"32.5s waiting scan_code",
				"37.5s signing_in signing_in",
				"37.5s approved signed_in",
			},
		},
		{
			name:   "expiry mid-wait fetches a fresh code without the person doing anything",
			script: script{token: []answer{pending, pending, sessionGone, pending, issued}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s waiting scan_code",
				"15s expired code_expired",
				"15s qr_ready code_expired https://qr.test/2",
				"20s waiting scan_code",
				"25s signing_in signing_in",
				"25s approved signed_in",
			},
		},
		{
			name:   "expired_token is an expired code too",
			script: script{token: []answer{expiredToken}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s expired code_expired",
				"5s qr_ready code_expired https://qr.test/2",
			},
			maxEvents: 3,
		},
		{
			name:      "the next code comes before the current expires, seamlessly",
			script:    script{},
			maxEvents: 4,
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s waiting scan_code",
				"50s qr_ready scan_code https://qr.test/2",
				"50s waiting scan_code",
			},
			// From 50 s both codes are polled, until the old one is gone.
			wantCalls: []string{"0s authorize", "5s token code-1", "10s token code-1", "15s token code-1",
				"20s token code-1", "25s token code-1", "30s token code-1", "35s token code-1", "40s token code-1",
				"45s token code-1", "50s authorize", "50s token code-2", "50s token code-1"},
		},
		{
			name: "a person who scanned the old code just before the swap still gets in",
			script: script{token: []answer{pending, pending, pending, pending, pending, pending, pending, pending, pending,
				pending /* code-2 at 50 s */, issued /* code-1 at 50 s */}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s waiting scan_code",
				"50s qr_ready scan_code https://qr.test/2",
				"50s waiting scan_code",
				"50s signing_in signing_in",
				"50s approved signed_in",
			},
		},
		{
			name:   "HTTP 429 honours Retry-After",
			script: script{token: []answer{pending, busy("12"), pending, issued}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s waiting scan_code",
				"10s offline busy retry=12s",
				"22s waiting scan_code",
				"27s signing_in signing_in",
				"27s approved signed_in",
			},
		},
		{
			name:   "a refusal is reported and a new code follows",
			script: script{token: []answer{pending, denied}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s waiting scan_code",
				"10s refused refused",
				"10s qr_ready refused https://qr.test/2",
			},
			maxEvents: 4,
		},
		{
			name:   "an unknown error fails, then a fresh code; repeated failures back off",
			script: script{token: []answer{oddError, oddError, oddError}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s failed unexpected",
				"5s qr_ready failed https://qr.test/2",
				"10s failed unexpected",
				"11.5s qr_ready failed https://qr.test/3",
				"16.5s failed unexpected",
				"19.5s qr_ready failed https://qr.test/4",
			},
			maxEvents: 7,
		},
		{
			name:   "a rejected client says so",
			script: script{token: []answer{badClient}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s failed client_rejected",
			},
			maxEvents: 2,
		},
		{
			// A 200 cut off mid-JSON may have carried an issued token: the
			// code is polled on, and if it is then gone the screen says the
			// approval may have been lost.
			name:   "a cut-off token answer is an answer lost on the way, not a failure",
			script: script{token: []answer{malformed, sessionGone}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s offline offline retry=1.5s",
				"6.5s expired approval_lost",
				"6.5s qr_ready approval_lost https://qr.test/2",
			},
			maxEvents: 4,
		},
		{
			name:   "no network at the start: offline, then a code when it returns",
			script: script{qr: []answer{networkDown, networkDown}},
			wantEvents: []string{
				"0s offline offline retry=1.5s",
				"1.5s offline offline retry=3s",
				"4.5s qr_ready scan_code https://qr.test/3",
			},
			maxEvents: 3,
		},
		{
			name: "a QR answer of the wrong type is never shown",
			script: script{qr: []answer{{status: 200,
				body: `{"data":{"id":"c","type":"something_else","attributes":{"type":"qr_code","qr_code_uri":"https://x.test/"}}}`}}},
			wantEvents: []string{
				"0s failed unexpected",
				"0s qr_ready failed https://qr.test/2",
			},
			maxEvents: 2,
		},
		{
			name:   "a poll-style answer to the QR request is a failure, backed off, not a busy loop",
			script: script{qr: []answer{pending, slowDown, sessionGone}},
			wantEvents: []string{
				"0s failed unexpected",
				"0s failed unexpected",
				"1.5s failed unexpected",
				"4.5s qr_ready failed https://qr.test/4",
			},
			maxEvents: 4,
		},
		{
			name:   "an odd answer from user info is retried: the token is already issued",
			script: script{token: []answer{issued}, info: []answer{pending, badClient, malformed}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s signing_in signing_in",
				"5s signing_in signing_in retry=1.5s",
				"6.5s signing_in signing_in retry=3s",
				"9.5s signing_in signing_in retry=6s",
				"15.5s approved signed_in",
			},
		},
		{
			name:   "user info without SERMI attributes fails with its own message",
			script: script{token: []answer{issued}, info: []answer{userInfoNoUID}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s signing_in signing_in",
				"5s failed identity_missing",
				"5s qr_ready identity_missing https://qr.test/2",
			},
			maxEvents: 4,
		},
		{
			name:   "user info survives a short outage: the token is already issued",
			script: script{token: []answer{issued}, info: []answer{serverError, userInfoIOE}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"5s signing_in signing_in",
				"5s signing_in signing_in retry=1.5s",
				"6.5s approved signed_in",
			},
		},
		{
			name:     "poll interval is a setting",
			settings: func(s *Settings) { s.PollInterval = time.Second },
			script:   script{token: []answer{pending, pending, issued}},
			wantEvents: []string{
				"0s qr_ready scan_code https://qr.test/1",
				"1s waiting scan_code",
				"3s signing_in signing_in",
				"3s approved signed_in",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSettings()
			if tt.settings != nil {
				tt.settings(&s)
			}
			sc := tt.script
			events, _ := runScript(t, s, &sc, tt.maxEvents)
			if got, want := strings.Join(events, "\n"), strings.Join(tt.wantEvents, "\n"); got != want {
				t.Errorf("events:\n%s\nwant:\n%s", got, want)
			}
			if tt.wantCalls != nil {
				if len(sc.calls) < len(tt.wantCalls) {
					t.Fatalf("calls:\n%s\nwant at least:\n%s", strings.Join(sc.calls, "\n"), strings.Join(tt.wantCalls, "\n"))
				}
				if got, want := strings.Join(sc.calls[:len(tt.wantCalls)], "\n"), strings.Join(tt.wantCalls, "\n"); got != want {
					t.Errorf("calls:\n%s\nwant:\n%s", got, want)
				}
			}
		})
	}
}

func TestApprovedSessionCarriesIdentityAndTokens(t *testing.T) {
	sc := script{token: []answer{issued}}
	_, last := runScript(t, testSettings(), &sc, 0)
	if last.Kind != EventApproved || last.Session == nil {
		t.Fatalf("last event %v, want approved", last.Kind)
	}
	s := last.Session
	if s.Identity.Role != RoleIOE || s.Identity.IOUID.Name != "GARAGE JANSEN" || s.AccessToken.Reveal() != "at-1" {
		t.Errorf("session = %+v", s.Identity)
	}
	if got := s.ExpiresAt.Sub(s.IssuedAt); got != time.Hour {
		t.Errorf("session lasts %s, want 1h from expires_in", got)
	}
	if printed := fmt.Sprintf("%v %+v", s.AccessToken, *s); strings.Contains(printed, "at-1") || strings.Contains(printed, "rt-1") {
		t.Errorf("printing a session shows a token: %s", printed)
	}
}

// Cancelling the context ends the attempt: the engine makes no further
// request and closes its channel, at most handing over the event it was
// sending. The cancel comes while a poll is in flight (the third token
// request), so the test knows exactly which requests came before it.
func TestStartStopsOnCancel(t *testing.T) {
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	vc := clock.NewVirtual(start)
	p, err := NewPasswordless(testSettings(), WithClock(vc))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc := &script{clock: vc, start: start}
	var callsAtCancel []string
	sc.onCall = func() {
		if callsAtCancel == nil && strings.Count(strings.Join(sc.calls, "\n"), " token ") == 3 {
			cancel()
			callsAtCancel = slices.Clone(sc.calls)
		}
	}
	p.tc, p.identity.(*identityReader).tc = sc, sc
	events := p.Start(ctx)
	if e := <-events; e.Kind != EventQRReady {
		t.Fatalf("first event %v, want qr_ready", e.Kind)
	}
	var afterFirst []string
	timeout := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case e, ok := <-events:
			if open = ok; ok {
				afterFirst = append(afterFirst, describe(start, e))
			}
		case <-timeout:
			t.Fatalf("the channel is still open 10 s after cancelling; events since the code: %q", afterFirst)
		}
	}
	// Read after the channel closed: the engine's calls all came before.
	if callsAtCancel == nil {
		t.Fatalf("the engine stopped before its third poll; calls: %q", sc.calls)
	}
	if !slices.Equal(sc.calls, callsAtCancel) {
		t.Errorf("requests after cancelling:\n%s\nbefore:\n%s", strings.Join(sc.calls[len(callsAtCancel):], "\n"), strings.Join(callsAtCancel, "\n"))
	}
	// Before the cancel: the one "waiting" event of the first poll; after
	// it, at most the event the engine was sending.
	if len(afterFirst) > 2 {
		t.Errorf("events after the code: %q, want at most 2", afterFirst)
	}
}
