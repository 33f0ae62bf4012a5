package auth

import (
	"context"
	"errors"
	"slices"
	"time"
)

// One sign-in attempt of the QR code engine: which codes are alive, when
// each is polled, and what each answer means.

// liveCode is a QR session the engine still polls.
type liveCode struct {
	qrSession
	QRCode
	rotateAt    time.Time // when its successor is fetched
	lastPending time.Time // the last "still waiting" answer about it
	retiredAt   time.Time // when it left the screen (a successor, or rest)
	// provisional: the lifetime was not known when it was fetched, so
	// ExpiresAt is a guess on the safe side, corrected once it is learnt.
	provisional bool
	// uncertain: a poll's answer was lost on the way, so an approval may
	// have been used up at the Trust Centre.
	uncertain bool
}

// attempt is the state of one sign-in attempt. Only its goroutine touches it,
// and it makes one request at a time, so two polls are never in flight.
type attempt struct {
	p      *Passwordless
	ctx    context.Context
	events chan<- Event

	interval time.Duration // PollInterval, plus 5 s per slow_down, capped; reset with each code
	// current is the code on screen; older are those it replaced, polled
	// until the Trust Centre says they are gone (or MaxCodeAge), so a
	// person who scanned one just before the swap still gets in.
	current         *liveCode
	older           []*liveCode
	nextPoll        time.Time
	lastFetch       time.Time  // codes are fetched at most once per interval
	notBefore       time.Time  // no request before this: back-off, Retry-After
	nextCodeMessage MessageKey // what the status line says with the next code
	waiting         bool       // a pending answer confirmed the current code
	retries         int        // consecutive network failures
	failures        int        // consecutive failed attempts
}

func (a *attempt) run() {
	for a.ctx.Err() == nil {
		now := a.p.clock.Now()
		a.dropOld(now)
		resting, changed := a.p.demand()
		if resting && a.current != nil {
			a.retire(now) // off the screen, still polled until it is gone
		}
		fetchAt, pollAt := a.fetchDue(resting), a.pollDue()
		if fetchAt.IsZero() && pollAt.IsZero() {
			// At rest, and no code alive: nothing to ask anyone until
			// someone is there.
			if !a.wait(-1, changed) {
				return
			}
			continue
		}
		fetch := !fetchAt.IsZero() && (pollAt.IsZero() || !pollAt.Before(fetchAt))
		due := pollAt
		if fetch {
			due = fetchAt
		}
		if now.Before(due) {
			if !a.wait(due.Sub(now), changed) {
				return
			}
			continue
		}
		if fetch {
			a.fetchCode()
		} else if a.poll() {
			return
		}
	}
}

// fetchDue is when the next code is fetched: now when none is on screen,
// else when the one on screen is to be replaced; never at rest.
func (a *attempt) fetchDue(resting bool) time.Time {
	if resting {
		return time.Time{}
	}
	if a.current == nil {
		return later(a.notBefore, a.lastFetch.Add(a.interval))
	}
	return later(a.current.rotateAt, a.notBefore)
}

// pollDue is when the live codes are next polled; zero when there are none.
func (a *attempt) pollDue() time.Time {
	if a.current == nil && len(a.older) == 0 {
		return time.Time{}
	}
	return later(a.nextPoll, a.notBefore)
}

// sleep waits on the engine's clock, cut short by RetryNow (which also ends
// any back-off), and reports whether the attempt goes on.
func (a *attempt) sleep(d time.Duration) bool { return a.wait(d, nil) }

// wait is sleep, cut short too when changed is closed (someone came, or
// left: see OnDemand); d < 0 waits for that alone.
func (a *attempt) wait(d time.Duration, changed <-chan struct{}) bool {
	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	woken := make(chan struct{})
	go func() {
		select {
		case <-a.p.wake:
			close(woken)
			cancel()
		case <-changed:
			cancel()
		case <-ctx.Done():
		}
	}()
	if d < 0 {
		<-ctx.Done()
	} else if a.p.clock.Sleep(ctx, d) {
		return true
	}
	select {
	case <-woken:
		a.notBefore, a.retries = time.Time{}, 0
		a.p.log.Info("trying again now, as the person asked")
	default:
	}
	return a.ctx.Err() == nil
}

// dropOld stops polling codes older than MaxCodeAge: the bound on how
// long a code the Trust Centre never declares gone is polled.
func (a *attempt) dropOld(now time.Time) {
	tooOld := func(c *liveCode) bool { return now.Sub(c.IssuedAt) >= a.p.settings.MaxCodeAge }
	a.older = slices.DeleteFunc(a.older, tooOld)
	if a.current != nil && tooOld(a.current) {
		a.current = nil // only when fetching its successor kept failing
	}
}

func (a *attempt) fetchCode() {
	// The code's life begins at the Trust Centre after this moment: its
	// end is counted from here, on the safe side.
	asked := a.p.clock.Now()
	qr, err := a.p.tc.requestQR(a.ctx)
	if err != nil {
		a.handle(asNonPollFailure(err, MsgUnexpected), nil)
		return
	}
	s := a.p.settings
	now := a.p.clock.Now()
	noneAlive := a.current == nil && len(a.older) == 0
	if a.current != nil {
		a.retire(now)
	}
	code := &liveCode{qrSession: qr, QRCode: QRCode{URI: qr.uri, IssuedAt: asked}}
	a.setLifetime(code)
	// Each code starts from PollInterval again (slow_down is reset); codes
	// already polled keep their turn if it comes sooner.
	if noneAlive || a.nextPoll.After(now.Add(s.PollInterval)) {
		a.nextPoll = now.Add(s.PollInterval)
	}
	a.current = code
	a.lastFetch = now
	a.interval = s.PollInterval
	a.retries, a.waiting = 0, false
	msg := a.nextCodeMessage
	a.nextCodeMessage = MsgScanCode
	a.emit(Event{Kind: EventQRReady, Message: msg, QR: code.QRCode})
}

// poll asks once about each live code, newest first, and reports whether the
// attempt is over.
func (a *attempt) poll() (done bool) {
	codes := append([]*liveCode{a.current}, a.older...)
	for _, code := range codes {
		if code == nil || (code != a.current && !slices.Contains(a.older, code)) {
			continue // dropped by an earlier answer of this round
		}
		token, err := a.p.tc.exchange(a.ctx, code.code)
		if err != nil {
			if !a.handle(err, code) {
				return a.ctx.Err() != nil
			}
			continue
		}
		return a.signIn(token)
	}
	return false
}

// signIn reads the identity of an issued token; the token is kept, and the
// identity retried, until it is read or cannot be.
func (a *attempt) signIn(token tokenResponse) (done bool) {
	a.current, a.older = nil, nil // used: nothing more to poll or show
	a.emit(Event{Kind: EventSigningIn, Message: MsgSigningIn})
	session, err := a.p.identity.read(a.ctx, token, freshness{}, a.sleep, func(wait time.Duration, e *Error) {
		a.report(EventSigningIn, MsgSigningIn, e, wait)
	})
	if a.ctx.Err() != nil {
		return true
	}
	if err != nil {
		a.nextCodeMessage = KeyOf(err)
		a.report(EventFailed, KeyOf(err), AsError(err), 0)
		return false
	}
	a.p.log.Info("signed in", "role", session.Identity.Role, "sub", session.Identity.Sub)
	a.emit(Event{Kind: EventApproved, Message: MsgSignedIn, Session: &session})
	return true
}

// handle acts on a failed call (about code, or nil for any other call) and
// reports whether polling may go on with the other live codes.
func (a *attempt) handle(err error, code *liveCode) (goOn bool) {
	var ce *callError
	if !errors.As(err, &ce) {
		if a.ctx.Err() != nil {
			return false
		}
		ce = &callError{verdict: verdictFailed, err: NewError(MsgFailed, err, "unexpected failure")}
	}
	now := a.p.clock.Now()
	switch ce.verdict {
	case verdictPending:
		a.nextPoll = now.Add(a.interval)
		a.retries, a.failures = 0, 0
		code.lastPending = now
		a.p.sawAlive(now.Sub(code.IssuedAt))
		if code == a.current && !a.waiting {
			a.waiting = true
			a.emit(Event{Kind: EventWaiting, Message: MsgScanCode})
		}
		return true
	case verdictSlowDown:
		a.interval = min(a.interval+5*time.Second, a.slowDownCap())
		a.nextPoll = now.Add(a.interval)
		a.p.log.Info("Digidentity asked to poll more slowly", "interval", a.interval)
		return true
	case verdictGone:
		return a.gone(code, ce)
	case verdictRefused:
		a.current, a.older = nil, nil
		// A relay's own refusal (another garage's person) keeps its words.
		a.nextCodeMessage = ce.err.Key
		a.report(EventRefused, ce.err.Key, ce.err, 0)
	case verdictRetryAfter:
		wait := min(max(parseRetryAfter(ce.retryAfter, now), a.interval), a.p.settings.MaxRetryWait)
		a.notBefore = now.Add(wait)
		a.waiting = false
		a.report(EventOffline, MsgBusy, ce.err, wait)
	case verdictTransient:
		if code != nil && ce.lost {
			code.uncertain = true
		}
		wait := backoff(a.p.settings, a.p.random, a.retries)
		a.retries++
		a.notBefore = now.Add(wait)
		a.waiting = false
		a.report(EventOffline, MsgOffline, ce.err, wait)
	default:
		// A fresh code at once after one failure; if failures repeat (a
		// rejected client id, say), back off so Digidentity is not hammered.
		if a.failures > 0 {
			a.notBefore = now.Add(backoff(a.p.settings, a.p.random, a.failures-1))
		}
		a.failures++
		a.current, a.older = nil, nil
		a.nextCodeMessage = MsgFailed
		a.report(EventFailed, ce.err.Key, ce.err, 0)
	}
	return false
}

// gone handles the Trust Centre saying a code no longer exists: it expired,
// or it was used by an answer that never arrived.
func (a *attempt) gone(code *liveCode, ce *callError) (goOn bool) {
	onScreen := code == a.current
	a.learnFrom(code, onScreen)
	msg := MsgCodeExpired
	if code.uncertain {
		msg = MsgApprovalLost
	}
	if !onScreen {
		a.older = slices.DeleteFunc(a.older, func(c *liveCode) bool { return c == code })
		if code.uncertain {
			a.report(EventLost, msg, ce.err, 0)
		}
		return true
	}
	a.current = nil
	a.nextCodeMessage = msg
	a.report(EventExpired, msg, ce.err, 0)
	return len(a.older) > 0
}

// slowDownCap keeps slow_down answers from slowing polling past use: 30 s,
// or a third of a known code lifetime.
func (a *attempt) slowDownCap() time.Duration {
	limit := MaxSlowDownInterval
	if lifetime := a.p.CodeLifetime(); lifetime > 0 {
		limit = min(limit, lifetime/3)
	}
	return max(limit, a.p.settings.PollInterval)
}

func (a *attempt) report(kind EventKind, msg MessageKey, err *Error, retryIn time.Duration) {
	a.p.log.Warn("sign-in "+string(kind), "message", msg, "detail", err.Error(), "retry_in", retryIn)
	a.emit(Event{Kind: kind, Message: msg, Err: err, RetryIn: retryIn})
}

// backoff is the wait before retry n (from 0): doubling from 2 s up to
// MaxRetryWait, with jitter so many kiosks do not retry in step.
func backoff(s Settings, random func() float64, n int) time.Duration {
	d := s.MaxRetryWait
	if n < 16 {
		d = min(2*time.Second<<n, d)
	}
	return d/2 + time.Duration(random()*float64(d/2))
}

func (a *attempt) emit(e Event) {
	e.At = a.p.clock.Now()
	select {
	case a.events <- e:
	case <-a.ctx.Done():
	}
}

// asNonPollFailure narrows the verdict of a call other than the token poll to what
// it can mean: a poll's answers (pending, slow_down, gone, refused) from the
// QR request are failures, never a reason to wait or to fetch again at once,
// which would spin.
func asNonPollFailure(err error, key MessageKey) error {
	var ce *callError
	if !errors.As(err, &ce) {
		return err
	}
	switch ce.verdict {
	case verdictTransient, verdictRetryAfter, verdictFailed:
		return err
	}
	return &callError{verdict: verdictFailed, err: NewError(key, ce.err, "the Trust Centre answered like a token poll")}
}

// AsError is err as the engine's own error: unknown errors are MsgFailed.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return NewError(MsgFailed, err, "unexpected failure")
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
