package auth

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/workshop-login/workshop-login/auth/clock"
)

// identityStep turns an issued token into a Session: identityReader direct,
// relayIdentity through a relay.
type identityStep interface {
	read(ctx context.Context, token tokenResponse, want freshness,
		sleep func(time.Duration) bool, retrying func(time.Duration, *Error)) (Session, error)
}

// identityReader is the step after the Trust Centre issued a token, shared
// by the QR code and the web login: check the ID token where there is one,
// read user info, and make them one Session. The token cannot be asked for
// twice (a chain authorisation is used up by it), so an outage here is
// retried for as long as the token is valid, within IdentityRetryLimit;
// only an answer that is wrong, not missing, ends it at once.
type identityReader struct {
	settings Settings
	tc       trustCentre
	idTokens *idTokenVerifier
	clock    clock.Clock
	random   func() float64
	log      *slog.Logger
}

// freshness is what the web login asks of an ID token: its nonce, and an
// authentication no older than maxAge before the sign-in began (when
// maxAge >= 0 and the token says when, in auth_time), and not the last web
// sign-in's (its sid or auth_time) either.
type freshness struct {
	nonce  string
	began  time.Time
	maxAge time.Duration
	last   webSignInMark  // the last web sign-in this kiosk accepted
	seen   *webSignInMark // set to this token's, once it is checked
}

// webSignInMark is what tells one provider sign-in from another: the ID
// token's sid and auth_time (either may be missing).
type webSignInMark struct {
	sid      string
	authTime time.Time
}

// reuses says whether a token marked m comes from the same provider sign-in
// as last: a browser that kept the last person's session.
func (last webSignInMark) reuses(m webSignInMark) bool {
	return (last.sid != "" && m.sid == last.sid) || (!last.authTime.IsZero() && m.authTime.Equal(last.authTime))
}

// authTimeSkew is all the clock difference an auth_time is allowed: the
// kiosk's and the provider's clocks (NTP keeps both within a second) and
// auth_time's whole seconds. The next person at a shared kiosk comes a few
// seconds after the last one: a wider margin would let the provider's
// single sign-on hand them the last person's session.
const authTimeSkew = 3 * time.Second

// read returns the session of token. want, for the web login, is what the
// ID token must show. sleep waits between tries and reports whether to go
// on; retrying is told of each wait.
func (r *identityReader) read(ctx context.Context, token tokenResponse, want freshness,
	sleep func(time.Duration) bool, retrying func(time.Duration, *Error)) (Session, error) {
	start := r.clock.Now()
	deadline := start.Add(r.settings.IdentityRetryLimit)
	if token.ExpiresIn > 0 {
		deadline = minTime(deadline, start.Add(token.ExpiresIn))
	}
	var (
		identity Identity
		idSub    string
		checked  = token.IDToken == "" // the ID token is checked once
		err      error
	)
	for try := 0; ; try++ {
		identity, err = r.readOnce(ctx, token, want, &checked, &idSub)
		if err == nil || ctx.Err() != nil || !retryable(err) {
			break
		}
		now := r.clock.Now()
		wait := backoff(r.settings, r.random, try)
		var ce *callError
		if errors.As(err, &ce) {
			wait = max(wait, min(parseRetryAfter(ce.retryAfter, now), r.settings.MaxRetryWait))
		}
		if now.Add(wait).After(deadline) {
			return Session{}, NewError(MsgIdentityUnreadable, err,
				"the approval arrived, but the identity could not be read within %s", now.Sub(start).Round(time.Second))
		}
		retrying(wait, AsError(err))
		if !sleep(wait) {
			return Session{}, ctx.Err()
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return Session{}, ctx.Err()
		}
		return Session{}, err
	}
	now := r.clock.Now()
	session := Session{Identity: identity, AccessToken: token.AccessToken, RefreshToken: token.RefreshToken,
		Scope: token.Scope, IssuedAt: now}
	if token.ExpiresIn > 0 {
		session.ExpiresAt = start.Add(token.ExpiresIn)
	}
	return session, nil
}

// readOnce makes one try; what it has checked already stays checked.
func (r *identityReader) readOnce(ctx context.Context, token tokenResponse, want freshness, checked *bool, idSub *string) (Identity, error) {
	if !*checked {
		e := r.tc.endpoints(ctx)
		claims, err := r.idTokens.verify(ctx, token.IDToken, e)
		// max_age < 0 says the administrator accepts single sign-on.
		fresh := want.maxAge >= 0 && !want.began.IsZero()
		mark := webSignInMark{sid: claims.sid, authTime: claims.authTime}
		stale := fresh && !claims.authTime.IsZero() && claims.authTime.Before(want.began.Add(-want.maxAge-authTimeSkew))
		reused := fresh && want.last.reuses(mark)
		switch {
		case errors.Is(err, errNoKeys) && e.DiscoveryDown:
			// The key set may be named by a discovery document that cannot
			// be read just now: wait for it rather than skip the check.
			return Identity{}, &retryableError{NewError(MsgOffline, err, "the discovery document that names the ID token's keys cannot be read")}
		case errors.Is(err, errNoKeys):
			// No setting and no discovery names the keys: user info, read
			// with the access token over TLS, is the identity.
			r.log.Warn("the ID token was not checked: no key set known (no discovery, no JWKS URL set)")
		case err != nil:
			return Identity{}, err
		case want.nonce != "" && claims.nonce != want.nonce:
			return Identity{}, NewError(MsgIdentityInvalid, nil, "the ID token's nonce is not the one this sign-in sent (a replayed or injected token)")
		case stale:
			return Identity{}, NewError(MsgWebStaleLogin, nil, "the ID token's auth_time %s is before this sign-in began (%s, %s allowed for the clocks): the browser reused an earlier Digidentity sign-in",
				claims.authTime.UTC().Format(time.RFC3339), want.began.UTC().Format(time.RFC3339), authTimeSkew)
		case reused:
			return Identity{}, NewError(MsgWebStaleLogin, nil, "the ID token has the same sid or auth_time as the last web sign-in: the browser reused the last person's Digidentity sign-in")
		default:
			*idSub = claims.subject
			if want.seen != nil {
				*want.seen = mark
			}
		}
		*checked = true
	}
	body, err := r.tc.userInfo(ctx, token.AccessToken)
	if err != nil {
		return Identity{}, &retryableError{err}
	}
	identity, err := ParseUserInfo(body)
	if err != nil {
		if KeyOf(err) == MsgUnexpected { // not JSON: cut off on the way
			return Identity{}, &retryableError{err}
		}
		return Identity{}, err
	}
	if *idSub != "" && identity.Sub != *idSub {
		return Identity{}, NewError(MsgIdentityInvalid, nil, "user info sub %q differs from the ID token's %q (OIDC Core 5.3.2)", identity.Sub, *idSub)
	}
	return identity, nil
}

// retryableError marks a failure to read (not a wrong answer): any failed
// user-info call, which may be an outage, a token not yet known there, or a
// cut-off answer.
type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

func retryable(err error) bool {
	var re *retryableError
	if errors.As(err, &re) {
		return true
	}
	var ce *callError
	return errors.As(err, &ce) && (ce.verdict == verdictTransient || ce.verdict == verdictRetryAfter)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
