package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/workshop-login/workshop-login/auth/clock"
)

// SignIn is how callers reach a login backend: the passwordless engine here,
// or later a relay that keeps the client secret on the VM's side.
type SignIn interface {
	// Start begins one sign-in attempt in one background goroutine and
	// reports its states on the returned channel. The channel is closed when
	// the attempt ends: right after an EventApproved, or when ctx is done.
	// Refusals and failures do not end it: a fresh QR code follows.
	Start(ctx context.Context) <-chan Event
}

// EventKind is a state of a sign-in attempt.
type EventKind string

const (
	EventQRReady  EventKind = "qr_ready" // a (new) QR code to show
	EventWaiting  EventKind = "waiting"  // Digidentity knows the code; waiting for the scan and PIN
	EventApproved EventKind = "approved" // signed in: Session is set
	EventExpired  EventKind = "expired"  // the code expired; a new one follows
	EventRefused  EventKind = "refused"  // the person or Digidentity said no; a new code follows
	EventOffline  EventKind = "offline"  // no answer; retrying in RetryIn
	EventFailed   EventKind = "failed"   // something unexpected; a new code follows
)

// Event is one state change, with the catalogue key of what the status line
// should say now.
type Event struct {
	Kind    EventKind
	At      time.Time // when it happened, on the engine's clock
	Message MessageKey
	QR      QRCode        // EventQRReady
	RetryIn time.Duration // EventOffline
	Session *Session      // EventApproved
	// BrowserURL is the web login's address (EventBrowserOpened).
	BrowserURL string
	Err        *Error // EventOffline, EventExpired, EventRefused, EventFailed: for the log
}

// QRCode is one code to show and how long it can be scanned.
type QRCode struct {
	URI       string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Session is a signed-in technician: who, and the tokens the diagnostic tool
// or repair portal may be handed.
type Session struct {
	Identity     Identity
	AccessToken  Secret
	RefreshToken Secret
	Scope        string
	IssuedAt     time.Time
	ExpiresAt    time.Time // zero when Digidentity did not say
}

// Passwordless is the QR code sign-in engine.
type Passwordless struct {
	settings Settings
	tc       trustCentre
	idTokens *idTokenVerifier
	clock    clock.Clock
	random   func() float64 // jitter source, in [0, 1)
	log      *slog.Logger
}

// Option adjusts the engine, mostly for tests.
type Option func(*options)

type options struct {
	client *http.Client
	clock  clock.Clock
	random func() float64
	log    *slog.Logger
}

// WithHTTPClient sets the HTTP client (its Timeout is left as given).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the clock the engine waits on.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithLogger sets where the engine logs state changes; it never logs a token,
// secret or authorisation code.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithJitter sets the source of back-off jitter, a function returning [0, 1).
func WithJitter(random func() float64) Option { return func(o *options) { o.random = random } }

// NewPasswordless checks the settings and returns the engine.
func NewPasswordless(s Settings, opts ...Option) (*Passwordless, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	o := options{
		client: &http.Client{Timeout: s.HTTPTimeout},
		clock:  clock.Real{},
		random: rand.Float64,
		log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, opt := range opts {
		opt(&o)
	}
	return &Passwordless{
		settings: s,
		tc:       &httpTrustCentre{settings: s, client: o.client},
		idTokens: &idTokenVerifier{settings: s, client: o.client, now: o.clock.Now},
		clock:    o.clock,
		random:   o.random,
		log:      o.log,
	}, nil
}

// Start implements SignIn.
func (p *Passwordless) Start(ctx context.Context) <-chan Event {
	events := make(chan Event)
	go func() {
		defer close(events)
		a := &attempt{p: p, ctx: ctx, events: events, interval: p.settings.PollInterval, nextCodeMessage: MsgScanCode}
		a.run()
	}()
	return events
}

// liveCode is a QR session the engine still polls.
type liveCode struct {
	qrSession
	QRCode
	rotateAt time.Time // when its successor is fetched
}

// attempt is the state of one sign-in attempt. Only its goroutine touches it,
// and it makes one request at a time, so two polls are never in flight.
type attempt struct {
	p      *Passwordless
	ctx    context.Context
	events chan<- Event

	interval time.Duration // grows by 5 s at each slow_down
	// current is the code on screen; previous is the one it replaced, polled
	// until it expires so a person who scanned it just before the swap still
	// gets in.
	current, previous *liveCode
	nextPoll          time.Time
	notBefore         time.Time  // no request before this: back-off, Retry-After
	nextCodeMessage   MessageKey // what the status line says with the next code
	waiting           bool       // a pending answer confirmed the current code
	retries           int        // consecutive network failures
	failures          int        // consecutive failed attempts
}

func (a *attempt) run() {
	for a.ctx.Err() == nil {
		now := a.p.clock.Now()
		a.dropExpired(now)
		needsCode := a.current == nil || !now.Before(a.current.rotateAt)
		due := a.notBefore
		if !needsCode {
			due = later(a.nextPoll, a.notBefore)
			if a.current.rotateAt.Before(due) {
				due = a.current.rotateAt
			}
		}
		if now.Before(due) {
			if !a.p.clock.Sleep(a.ctx, due.Sub(now)) {
				return
			}
			continue
		}
		if needsCode {
			a.fetchCode()
		} else if a.poll() {
			return
		}
	}
}

// dropExpired forgets codes past their lifetime: polling them is pointless.
func (a *attempt) dropExpired(now time.Time) {
	if a.previous != nil && !now.Before(a.previous.ExpiresAt) {
		a.previous = nil
	}
	if a.current != nil && !now.Before(a.current.ExpiresAt) {
		a.current = nil // only when fetching its successor kept failing
	}
}

func (a *attempt) fetchCode() {
	qr, err := a.p.tc.requestQR(a.ctx)
	if err != nil {
		a.handle(notAPoll(err, MsgUnexpected), nil)
		return
	}
	s := a.p.settings
	now := a.p.clock.Now()
	a.previous = a.current
	a.current = &liveCode{
		qrSession: qr,
		QRCode:    QRCode{URI: qr.uri, IssuedAt: now, ExpiresAt: now.Add(s.QRLifetime)},
		rotateAt:  now.Add(s.QRLifetime - s.QRRefreshLead),
	}
	a.nextPoll = now.Add(a.interval)
	a.retries, a.waiting = 0, false
	msg := a.nextCodeMessage
	a.nextCodeMessage = MsgScanCode
	a.emit(Event{Kind: EventQRReady, Message: msg, QR: a.current.QRCode})
}

// poll asks once about each live code, newest first, and reports whether the
// attempt is over.
func (a *attempt) poll() (done bool) {
	for _, code := range []*liveCode{a.current, a.previous} {
		if code == nil {
			continue
		}
		token, err := a.p.tc.exchange(a.ctx, code.code)
		if err != nil {
			if !a.handle(err, code) {
				return a.ctx.Err() != nil
			}
			continue
		}
		session, err := a.finish(token)
		if err != nil {
			a.handle(notAPoll(err, MsgIdentityInvalid), nil)
			return a.ctx.Err() != nil
		}
		a.p.log.Info("signed in", "role", session.Identity.Role, "sub", session.Identity.Sub)
		a.emit(Event{Kind: EventApproved, Message: MsgSignedIn, Session: &session})
		return true
	}
	return false
}

// handle acts on a failed call (about code, or nil for any other call) and
// reports whether polling may go on with the other live code.
func (a *attempt) handle(err error, code *liveCode) (goOn bool) {
	var ce *callError
	if !errors.As(err, &ce) {
		if a.ctx.Err() != nil {
			return false
		}
		ce = &callError{verdict: verdictFailed, err: newError(MsgFailed, err, "unexpected failure")}
	}
	now := a.p.clock.Now()
	switch ce.verdict {
	case verdictPending:
		a.nextPoll = now.Add(a.interval)
		a.retries, a.failures = 0, 0
		if code == a.current && !a.waiting {
			a.waiting = true
			a.emit(Event{Kind: EventWaiting, Message: MsgScanCode})
		}
		return true
	case verdictSlowDown:
		a.interval += 5 * time.Second
		a.nextPoll = now.Add(a.interval)
		a.p.log.Info("Digidentity asked to poll more slowly", "interval", a.interval)
		return true
	case verdictGone:
		if code == a.previous {
			a.previous = nil
			return true
		}
		a.current, a.previous = nil, nil
		a.nextCodeMessage = MsgCodeExpired
		a.report(EventExpired, MsgCodeExpired, ce.err, 0)
	case verdictRefused:
		a.current, a.previous = nil, nil
		a.nextCodeMessage = MsgRefused
		a.report(EventRefused, MsgRefused, ce.err, 0)
	case verdictRetryAfter:
		wait := max(parseRetryAfter(ce.retryAfter, now), a.interval)
		a.notBefore = now.Add(wait)
		a.waiting = false
		a.report(EventOffline, MsgBusy, ce.err, wait)
	case verdictTransient:
		wait := a.backoff(a.retries)
		a.retries++
		a.notBefore = now.Add(wait)
		a.waiting = false
		a.report(EventOffline, MsgOffline, ce.err, wait)
	default:
		// A fresh code at once after one failure; if failures repeat (a
		// rejected client id, say), back off so Digidentity is not hammered.
		if a.failures > 0 {
			a.notBefore = now.Add(a.backoff(a.failures - 1))
		}
		a.failures++
		a.current, a.previous = nil, nil
		a.nextCodeMessage = MsgFailed
		a.report(EventFailed, ce.err.Key, ce.err, 0)
	}
	return false
}

func (a *attempt) report(kind EventKind, msg MessageKey, err *Error, retryIn time.Duration) {
	a.p.log.Warn("sign-in "+string(kind), "message", msg, "detail", err.Error(), "retry_in", retryIn)
	a.emit(Event{Kind: kind, Message: msg, Err: err, RetryIn: retryIn})
}

// backoff is the wait before retry n (from 0): doubling from 2 s up to
// max_retry_wait, with jitter so many kiosks do not retry in step.
func (a *attempt) backoff(n int) time.Duration {
	d := a.p.settings.MaxRetryWait
	if n < 16 {
		d = min(2*time.Second<<n, d)
	}
	return d/2 + time.Duration(a.p.random()*float64(d/2))
}

// finish turns an issued token into a Session: user info (retried through a
// short outage, since the token is already issued), the identity, and the ID
// token's subject where there is one.
func (a *attempt) finish(token tokenResponse) (Session, error) {
	var body []byte
	var err error
	for try := 0; ; try++ {
		body, err = a.p.tc.userInfo(a.ctx, token.AccessToken)
		var ce *callError
		if err == nil || try == 3 || !errors.As(err, &ce) || (ce.verdict != verdictTransient && ce.verdict != verdictRetryAfter) {
			break
		}
		wait := max(a.backoff(try), parseRetryAfter(ce.retryAfter, a.p.clock.Now()))
		a.report(EventOffline, MsgOffline, ce.err, wait)
		if !a.p.clock.Sleep(a.ctx, wait) {
			return Session{}, a.ctx.Err()
		}
	}
	if err != nil {
		return Session{}, err
	}
	identity, err := ParseUserInfo(body)
	if err != nil {
		return Session{}, &callError{verdict: verdictFailed, err: asError(err)}
	}
	if token.IDToken != "" {
		sub, _, err := a.p.idTokens.verify(a.ctx, token.IDToken)
		if err != nil {
			return Session{}, err
		}
		if sub != identity.Sub {
			return Session{}, fail(verdictFailed, MsgIdentityInvalid,
				"user info sub %q differs from the ID token's %q (OIDC Core 5.3.2)", identity.Sub, sub)
		}
	}
	now := a.p.clock.Now()
	session := Session{
		Identity:     identity,
		AccessToken:  token.AccessToken,
		RefreshToken: token.RefreshToken,
		Scope:        token.Scope,
		IssuedAt:     now,
	}
	if token.ExpiresIn > 0 {
		session.ExpiresAt = now.Add(token.ExpiresIn)
	}
	return session, nil
}

func (a *attempt) emit(e Event) {
	e.At = a.p.clock.Now()
	select {
	case a.events <- e:
	case <-a.ctx.Done():
	}
}

// notAPoll narrows the verdict of a call other than the token poll to what
// it can mean: a poll's answers (pending, slow_down, gone, refused) from the
// QR request or user info are failures, never a reason to wait or to fetch
// again at once, which would spin.
func notAPoll(err error, key MessageKey) error {
	var ce *callError
	if !errors.As(err, &ce) {
		return err
	}
	switch ce.verdict {
	case verdictTransient, verdictRetryAfter, verdictFailed:
		return err
	}
	return &callError{verdict: verdictFailed, err: newError(key, ce.err, "the Trust Centre answered like a token poll")}
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return newError(MsgFailed, err, "unexpected failure")
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
