package auth

import (
	"slices"
	"time"
)

// How long a code lives, and so when it leaves the screen. Digidentity
// publishes no lifetime: it is QRLifetime when set, else learnt from when
// the Trust Centre says a code is gone. Until it is learnt, a code gets a
// provisional lifetime on the safe side (MinQRLifetime, or twice the age
// any code was seen alive at), so that no code stays on screen past its
// end; the codes it replaced are polled until they are gone, which is how
// the real lifetime is learnt, and the code on screen then gets its real end.

// CodeLifetime is the code lifetime in use: QRLifetime, or what the Trust
// Centre showed; zero while unknown.
func (p *Passwordless) CodeLifetime() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lifetime
}

// newCodeLifetime is the lifetime a new code is given, and whether it is
// provisional; zero when neither known nor guessed (MinQRLifetime 0).
func (p *Passwordless) newCodeLifetime() (lifetime time.Duration, provisional bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lifetime > 0 {
		return p.lifetime, false
	}
	if p.settings.MinQRLifetime <= 0 {
		return 0, false
	}
	// Doubling what was seen reaches a long lifetime in a few codes; a
	// guess past the real end is corrected when the first code dies,
	// which is before this one does.
	return min(max(p.settings.MinQRLifetime, 2*p.seenAlive), p.settings.MaxCodeAge/2), true
}

// sawAlive notes that a code was still pending at age.
func (p *Passwordless) sawAlive(age time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seenAlive = max(p.seenAlive, age)
}

// learn takes what a gone code showed: it was still pending at age seen,
// and reports whether the lifetime changed. A code that left the screen
// was not ended by its successor (gone only counts when it was seen alive
// after it left), so it can only raise the lifetime. The code on screen
// had no successor, so its age is the lifetime; but one early end (a Trust
// Centre restart, say) must not shorten every later code, so it takes two
// in a row to lower it.
func (p *Passwordless) learn(seen time.Duration, onScreen bool) bool {
	if seen < 10*time.Second {
		return false // ended before anyone could scan it: no lifetime to learn
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	was := p.lifetime
	switch {
	case seen >= p.lifetime:
		p.lifetime, p.shorter = seen, 0
	case !onScreen:
	case p.shorter > 0:
		p.lifetime, p.shorter = max(p.shorter, seen), 0
	default:
		p.shorter = seen
	}
	if p.lifetime != was {
		p.log.Info("learnt the Trust Centre's code lifetime", "lifetime", p.lifetime, "was", was)
	}
	return p.lifetime != was
}

// setLifetime gives a new code its end, and the moment its successor is
// fetched.
func (a *attempt) setLifetime(code *liveCode) {
	lifetime, provisional := a.p.newCodeLifetime()
	code.provisional = provisional
	if lifetime <= 0 {
		// No end on screen: the code stays until the Trust Centre says
		// it is gone.
		code.ExpiresAt = time.Time{}
		code.rotateAt = code.IssuedAt.Add(a.p.settings.MaxCodeAge / 2)
		return
	}
	code.ExpiresAt = code.IssuedAt.Add(lifetime)
	code.rotateAt = code.ExpiresAt.Add(-min(a.p.settings.QRRefreshLead, lifetime/4))
}

// learnFrom learns the lifetime from a code the Trust Centre says is gone,
// and gives the code on screen its real end when that was a guess.
func (a *attempt) learnFrom(code *liveCode, onScreen bool) {
	if code.uncertain || code.lastPending.IsZero() || !onScreen && !code.lastPending.After(code.retiredAt) {
		return
	}
	if !a.p.learn(code.lastPending.Sub(code.IssuedAt), onScreen) {
		return
	}
	c := a.current
	if c == nil || c == code || !c.provisional {
		return
	}
	a.setLifetime(c)
	// Same address, its real end: the screen takes it off in time.
	a.emit(Event{Kind: EventQRReady, QR: c.QRCode})
}

// retire takes the code on screen off it, for a successor or because
// nobody is there. The Trust Centre may still hold it, and a person may
// have scanned it, so it is polled until it is gone.
func (a *attempt) retire(now time.Time) {
	a.current.retiredAt = now
	a.older = append([]*liveCode{a.current}, a.older...)
	a.current, a.waiting = nil, false
	if len(a.older) < MaxLiveCodes {
		return
	}
	// Too many alive at once: stop polling the oldest, the least likely
	// scanned; while the lifetime is being learnt, the one before it, so
	// that the oldest's end teaches the lifetime.
	drop := len(a.older) - 1
	if a.p.CodeLifetime() == 0 {
		drop--
	}
	a.p.log.Warn("stopped polling an old code: too many codes alive at once", "live", len(a.older)+1)
	a.older = slices.Delete(a.older, drop, drop+1)
}
