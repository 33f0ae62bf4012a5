package auth

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
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

// OnDemand is a SignIn that fetches codes only while someone is at the
// kiosk (Passwordless). At rest it fetches none; the codes it already
// showed are still polled until the Trust Centre says they are gone, so an
// approval given on one still signs the person in, and then it asks
// nothing at all. Wake brings a code at once.
type OnDemand interface {
	Rest()
	Wake()
}

// EventKind is a state of a sign-in attempt.
type EventKind string

const (
	EventQRReady  EventKind = "qr_ready" // a (new) QR code to show
	EventWaiting  EventKind = "waiting"  // Digidentity knows the code; waiting for the scan and PIN
	EventApproved EventKind = "approved" // signed in: Session is set
	EventExpired  EventKind = "expired"  // the code on screen is gone; a new one follows
	EventRefused  EventKind = "refused"  // the person or Digidentity said no; a new code follows
	EventOffline  EventKind = "offline"  // no answer; retrying in RetryIn
	EventFailed   EventKind = "failed"   // something unexpected; a new code follows
	// EventSigningIn: the Trust Centre issued a token; the identity is being
	// read (RetryIn set while it is retried). The code is used: hide it.
	EventSigningIn EventKind = "signing_in"
	// EventLost: an older code, whose poll answer was lost on the way, is
	// gone: an approval may have been used up there. The code on screen stays.
	EventLost EventKind = "approval_lost"
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
	URI      string
	IssuedAt time.Time
	// ExpiresAt is zero while the Trust Centre's code lifetime is unknown:
	// the code stays until the Trust Centre says it is gone.
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
	// Assertion is the relay's signed identity at sign-in, and RelaySession
	// the sealed session that gets fresh ones (RelayClient.Assertion); both
	// empty when the kiosk signs in direct. AccessToken is then empty too,
	// unless the VM's relay hands it on.
	Assertion    Secret
	RelaySession Secret
	// Manufacturer names the vehicle manufacturer (its client, its relay)
	// that issued the session, on a kiosk of several; empty on a kiosk of
	// one. The kiosk sets it; hand-offs and the audit log carry it.
	Manufacturer string
}

// Passwordless is the QR code sign-in engine.
type Passwordless struct {
	settings Settings
	tc       trustCentre
	client   *http.Client
	identity identityStep
	clock    clock.Clock
	random   func() float64 // jitter source, in [0, 1)
	log      *slog.Logger
	wake     chan struct{} // RetryNow: cut the current wait short
	relay    *RelayClient  // nil when signing in direct

	mu sync.Mutex
	// lifetime is how long a code can be scanned: QRLifetime, else what
	// the Trust Centre showed; zero while unknown.
	lifetime time.Duration
	shorter  time.Duration // one code on screen ended sooner than lifetime
	// seenAlive is the oldest age at which a code was still pending: the
	// lifetime is at least that.
	seenAlive time.Duration
	// resting: nobody is at the kiosk, so no code is fetched (OnDemand).
	// demandChanged is closed, and replaced, when resting changes: every
	// waiting attempt sees it, also one that began before the change.
	resting       bool
	demandChanged chan struct{}
}

// Option adjusts the engine, mostly for tests.
type Option func(*options)

type options struct {
	client *http.Client
	clock  clock.Clock
	random func() float64
	log    *slog.Logger
	// printedAddress: the web login's address is printed, not launched
	// (WithPrintedAddress).
	printedAddress bool
}

// WithHTTPClient sets the HTTP client; each call still has its own deadline
// (HTTPTimeout, or TokenTimeout for the token poll).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the clock the engine waits on.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithLogger sets where the engine logs state changes; it never logs a token,
// secret or authorisation code.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithJitter sets the source of back-off jitter, a function returning [0, 1).
func WithJitter(random func() float64) Option { return func(o *options) { o.random = random } }

func newOptions(opts []Option) options {
	o := options{client: &http.Client{}, clock: clock.Real{}, random: rand.Float64, log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// NewPasswordless checks the settings and returns the engine.
func NewPasswordless(s Settings, opts ...Option) (*Passwordless, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	tc := newHTTPTrustCentre(s, o.client, o.clock.Now)
	p := newEngine(s, o, tc)
	p.identity = &identityReader{settings: s, tc: tc, idTokens: &idTokenVerifier{settings: s, client: o.client, now: o.clock.Now},
		clock: o.clock, random: o.random, log: o.log}
	return p, nil
}

// newEngine is the engine on tc, direct or through a relay, without its
// identity step.
func newEngine(s Settings, o options, tc trustCentre) *Passwordless {
	return &Passwordless{
		settings: s, tc: tc, client: o.client, clock: o.clock, random: o.random, log: o.log,
		wake: make(chan struct{}, 1), lifetime: s.QRLifetime, demandChanged: make(chan struct{}),
	}
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

// RetryNow cuts a back-off or Retry-After wait short: the person pressed
// "Try again now".
func (p *Passwordless) RetryNow() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Rest stops fetching codes: nobody is at the kiosk (OnDemand).
func (p *Passwordless) Rest() { p.setResting(true) }

// Wake fetches a code at once, and keeps them coming (OnDemand).
func (p *Passwordless) Wake() { p.setResting(false) }

func (p *Passwordless) setResting(resting bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resting == resting {
		return
	}
	p.resting = resting
	close(p.demandChanged)
	p.demandChanged = make(chan struct{})
}

// demand says whether the engine rests, and the channel that is closed
// when that changes.
func (p *Passwordless) demand() (resting bool, changed <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resting, p.demandChanged
}

// Discovery reads the Trust Centre's discovery document now and returns
// it (nil when there is none or it failed: err says which) and the
// endpoints in use as a result, for workshop-login check.
func (p *Passwordless) Discovery(ctx context.Context) (*Discovery, Endpoints, error) {
	found, err := Discover(ctx, p.settings, p.client)
	return found, p.settings.Resolve(found), err
}
