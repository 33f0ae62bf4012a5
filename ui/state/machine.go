package state

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// Wiring is what the view gives the machine.
type Wiring struct {
	// Post hands a goroutine's result to the view's inbound loop, which
	// gives it back to Handle on the screen's goroutine. It is called from
	// the machine's goroutines, never from Handle or the other methods.
	Post func(Msg)
	// PageText is called on the screen's goroutine when a browser sign-in
	// starts: the text of the browser's pages, in the language of the moment.
	PageText func() func(auth.MessageKey) string
	// LogError records what the person need not read; nil logs nothing.
	LogError func(what string, err error)
}

// Change says how much of the screen a call changed, so that the once-a-
// second tick redraws only the countdowns.
type Change int

const (
	Unchanged  Change = iota
	Countdowns        // the countdowns, the idle warning and the window title
	Everything
)

// Machine is the kiosk's state. Its methods, Handle and View run on one
// goroutine, the screen's; only SampleIdle may be called from any.
type Machine struct {
	opts   Options
	w      Wiring
	change Change
	// The manufacturers (at least one), the one whose code is shown or
	// asked for, and each one's session; session is the first of them,
	// the person's (see manufacturers.go).
	vms      []Manufacturer
	cur      int
	sessions []*auth.Session
	adding   bool // signed in, the code of another manufacturer shows
	addNote  Text // why that second sign-in was not accepted

	code       auth.QRCode
	message    auth.MessageKey
	retryUntil time.Time
	// signingIn: the approval arrived and the identity is being read; the
	// code is used, so none is shown and none is being fetched.
	signingIn       bool
	session         *auth.Session
	handoffErr      Text
	reachable       string        // "" while checking, "ok", or why not
	sessionNotSaved bool          // the keyring refused this session
	lastInput       time.Time     // the window's own last input, or the sign-in
	idleLeft        time.Duration // time to the idle sign-out while warning, else 0
	settingsOpen    bool
	// resting: codes on demand, and nobody is there (see rest.go).
	resting bool
	// The machine's idle time at the last sample at rest, and when.
	idleThen time.Duration
	idleAt   time.Time
	// web is true while a browser sign-in is under way; webNote keeps how
	// the last one ended on screen until the next code replaces it.
	web        bool
	webNote    auth.MessageKey
	signingOut int // keyring deletes still to finish before the next code shows
	attempt    int
	cancel     context.CancelFunc // ends the current attempt
	stop       context.CancelFunc // ends the ticker

	// For the ticker goroutine: is idle time worth asking for; has its
	// failure been logged.
	signedIn      atomic.Bool
	wantIdle      atomic.Bool // the idle time decides something now
	idleErrLogged atomic.Bool
	keyring       chan func()
	// restore is the keyring's restore at start, until it is asked for:
	// after the first code (see maybeRestore).
	restore     func()
	ticksBefore int        // ticks handled while restore waited
	enrol       enrolState // enrol.go
}

// New makes the machine; Start begins signing in.
func New(opts Options, w Wiring) *Machine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if w.Post == nil {
		w.Post = func(Msg) {}
	}
	if w.LogError == nil {
		w.LogError = func(string, error) {}
	}
	m := &Machine{opts: opts, w: w, change: Everything, vms: opts.Manufacturers}
	if len(m.vms) == 0 {
		m.vms = []Manufacturer{{SignIn: opts.SignIn, Handoff: opts.Handoff}}
	}
	m.sessions = make([]*auth.Session, len(m.vms))
	if opts.Sessions != nil {
		m.startKeyringWorker()
	}
	return m
}

// Start begins signing in, and ticking. A session kept from before a
// restart, still valid, takes over as soon as the keyring has answered,
// which it is asked once the first code is on its way to the screen
// (maybeRestore). Whether Digidentity answers is asked when the about
// panel opens, the only place that shows it.
func (m *Machine) Start() {
	ctx, stop := context.WithCancel(context.Background())
	m.stop = stop
	m.ticker(ctx)
	m.resting, m.idleAt = m.restable(), time.Time{}
	m.begin() // enrol.go: the first code, or the enrolment's
	m.restore = func() {
		m.onKeyring(func(s Sessions) Msg {
			restored, err := s.Restore()
			return Restored{Sessions: restored, Err: err}
		})
	}
}

// Stop ends the current attempt and the ticker.
func (m *Machine) Stop() {
	m.endAttempt()
	if m.stop != nil {
		m.stop()
	}
}

// Handle applies a goroutine's result.
func (m *Machine) Handle(msg Msg) {
	switch msg := msg.(type) {
	case EngineEvent:
		if msg.Attempt == m.attempt {
			m.show(msg.Event)
		}
		m.maybeRestore(false)
	case Tick:
		m.tick()
		m.checkIdle(msg.Idle)
		m.checkRest(msg.Idle)
		m.maybeRestore(true)
	case Restored:
		if msg.Err != nil {
			m.w.LogError("restoring the session from the keyring", msg.Err)
		}
		if m.session == nil {
			m.takeOver(msg.Sessions)
		}
	case Saved:
		if msg.Err != nil {
			m.w.LogError("keeping the session in the keyring", msg.Err)
		}
		if m.session == msg.Session {
			m.sessionNotSaved = msg.Err != nil
			m.mark(Everything)
		}
	case Deleted:
		if msg.Err != nil {
			m.w.LogError("removing the session from the keyring", msg.Err)
		}
		if m.signingOut--; m.signingOut == 0 && m.session == nil {
			m.startAttempt()
		}
	case Reachability:
		m.reachable = "ok"
		if msg.Err != nil {
			m.reachable = msg.Err.Error()
		}
		m.mark(Everything)
	case ToolLaunched:
		m.toolLaunched(msg.Name, msg.Session, msg.Err)
	default:
		m.handleEnrol(msg)
	}
}

// TakeChange says how much changed since it was last asked.
func (m *Machine) TakeChange() Change {
	c := m.change
	m.change = Unchanged
	return c
}

func (m *Machine) mark(c Change) {
	m.change = max(m.change, c)
	m.signedIn.Store(m.session != nil)
	m.wantIdle.Store(m.session != nil && m.opts.Settings.IdleSignOut > 0 || m.session == nil && m.restable())
}

// Session is who is signed in, or nil.
func (m *Machine) Session() *auth.Session { return m.session }

// Attempt numbers the sign-in attempts: an EngineEvent must carry the
// current one.
func (m *Machine) Attempt() int { return m.attempt }

// Web says whether a browser sign-in is under way.
func (m *Machine) Web() bool { return m.web }

// LastInput is when the person last used the window (or signed in).
func (m *Machine) LastInput() time.Time { return m.lastInput }

// startAttempt starts a fresh sign-in, to the current manufacturer.
func (m *Machine) startAttempt() {
	ctx := m.newAttempt()
	m.code, m.message, m.session, m.handoffErr, m.sessionNotSaved, m.idleLeft = auth.QRCode{}, "", nil, Text{}, false, 0
	clear(m.sessions)
	m.adding, m.addNote = false, Text{}
	m.web, m.signingIn, m.retryUntil = false, false, time.Time{}
	if od := m.onDemand(); od != nil && m.resting {
		od.Rest()
	} else if od != nil {
		od.Wake()
	}
	var events <-chan auth.Event
	if m.signIn() != nil && !m.opts.Settings.WebOnly() {
		events = m.signIn().Start(ctx)
	} else {
		m.message, m.webNote = m.webNote, ""
	}
	m.mark(Everything)
	m.forward(ctx, m.attempt, events)
}

// newAttempt ends the current attempt and numbers the next.
func (m *Machine) newAttempt() context.Context {
	m.endAttempt()
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.attempt++
	return ctx
}

func (m *Machine) endAttempt() {
	if m.cancel != nil {
		m.cancel()
	}
}

// show applies one engine event.
func (m *Machine) show(e auth.Event) {
	// Any other event means the engine's wait is over: no "trying again in
	// N s", no Try again now.
	m.retryUntil = time.Time{}
	m.signingIn = e.Kind == auth.EventSigningIn
	if m.resting && m.signingIn {
		// Approved on a code shown before the rest: someone is here.
		m.wake()
		m.resting = m.resting && !m.choice()
	}
	switch e.Kind {
	case auth.EventQRReady:
		if m.resting {
			return // fetched as the rest began: nobody is there to scan it
		}
		if e.QR.URI == m.code.URI {
			m.code = e.QR // the same code, its end now known
			m.mark(Everything)
			return
		}
		m.code = e.QR
	case auth.EventOffline:
		m.retryUntil = e.At.Add(e.RetryIn)
	case auth.EventSigningIn:
		// Approved on the phone: the code is used. Retries of the identity
		// (RetryIn set) need nothing but the message.
		m.code = auth.QRCode{}
	case auth.EventLost:
		// An older code's approval may have been lost; the code on screen
		// is still good and stays.
	case auth.EventExpired, auth.EventRefused, auth.EventFailed:
		m.code = auth.QRCode{} // the old code is dead: never leave it on screen
	case auth.EventApproved:
		e.Session.Manufacturer = m.vms[m.cur].Name
		m.lastInput = m.opts.Now() // they approved on their phone, at the kiosk
		if m.adding {
			m.approvedAnother(e.Session)
			return
		}
		m.session, m.sessions[m.cur], m.web = e.Session, e.Session, false
		m.audit(AuditSignIn, e.Session, "")
		m.keep()
	}
	if e.Kind == auth.EventRefused && e.Err != nil {
		m.audit(AuditRefused, nil, e.Err.Detail)
	}
	if m.web && (e.Kind == auth.EventRefused || e.Kind == auth.EventFailed || e.Kind == auth.EventExpired) {
		// The browser sign-in is over: back to the QR code, saying why.
		m.webNote = e.Message
		m.startAttempt()
		return
	}
	if e.Kind == auth.EventQRReady && m.webNote != "" {
		e.Message, m.webNote = m.webNote, ""
	}
	// A QR event's own message says why a new code came; a bare "waiting"
	// must not wipe "Code expired: here is a new one" before anyone reads it.
	if e.Kind != auth.EventWaiting || m.message == auth.MsgOffline || m.message == auth.MsgBusy {
		m.message = e.Message
	}
	m.mark(Everything)
}

// tick moves the countdowns, drops a code that has expired, and signs out
// a session that has.
func (m *Machine) tick() {
	now := m.opts.Now()
	if m.session != nil && !m.session.ExpiresAt.IsZero() && !now.Before(m.session.ExpiresAt) {
		m.endSession(AuditSignOut, "session expired")
		return
	}
	m.expireOthers(now)
	// A code without an end (the Trust Centre's lifetime is not known yet)
	// stays until the engine says it is gone.
	if m.code.URI != "" && !m.code.ExpiresAt.IsZero() && !now.Before(m.code.ExpiresAt) {
		m.code = auth.QRCode{}
		m.mark(Everything)
		return
	}
	m.mark(Countdowns)
}
