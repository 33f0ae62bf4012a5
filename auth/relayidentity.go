package auth

import (
	"context"
	"time"

	"github.com/workshop-login/workshop-login/auth/assertion"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// relayIdentity is the identity step through a relay: the relay reads the
// identity and signs it; the kiosk waits while it retries, and checks the
// signature of what arrives.
type relayIdentity struct {
	rc       *RelayClient
	settings Settings
	clock    interface {
		Now() time.Time
	}
	random func() float64
}

func (r *relayIdentity) read(ctx context.Context, token tokenResponse, _ freshness,
	sleep func(time.Duration) bool, retrying func(time.Duration, *Error)) (Session, error) {
	answer := token.relayed
	if answer == nil {
		return Session{}, NewError(MsgFailed, nil, "no relay answer to read the identity from")
	}
	start := r.clock.Now()
	deadline := start.Add(r.settings.IdentityRetryLimit)
	for try := 0; ; try++ {
		var err error
		if answer.State == relayapi.Approved {
			var s Session
			if s, err = r.session(ctx, *answer); err == nil {
				return s, nil
			}
			if !retryable(err) {
				return Session{}, err
			}
		}
		wait := time.Duration(answer.RetryIn) * time.Second
		if err != nil || wait <= 0 {
			wait = backoff(r.settings, r.random, try)
		}
		now := r.clock.Now()
		if now.Add(wait).After(deadline) {
			return Session{}, NewError(MsgIdentityUnreadable, err,
				"the approval arrived, but the relay could not read the identity within %s", now.Sub(start).Round(time.Second))
		}
		retrying(wait, AsError(err))
		if !sleep(wait) {
			return Session{}, ctx.Err()
		}
		if answer.State == relayapi.Approved {
			continue // only the key set was missing: check again
		}
		next, pollErr := r.rc.poll(ctx, Secret(answer.Handle))
		switch {
		case pollErr != nil && ctx.Err() != nil:
			return Session{}, ctx.Err()
		case pollErr != nil && retryable(pollErr):
			answer.RetryIn = 0 // back off on our own, keep the handle
			continue
		case pollErr != nil:
			return Session{}, pollErr
		}
		switch next.State {
		case relayapi.SigningIn, relayapi.Approved:
			answer = &next
		default:
			return Session{}, relayFailure(next)
		}
	}
}

// session makes the Session of an approval from its verified assertion.
func (r *relayIdentity) session(ctx context.Context, answer relayapi.PollAnswer) (Session, error) {
	claims, err := r.rc.verify(ctx, answer.Assertion)
	if err != nil {
		return Session{}, err
	}
	identity, err := identityOfAssertion(claims)
	if err != nil {
		return Session{}, err
	}
	s := Session{Identity: identity, Assertion: Secret(answer.Assertion), RelaySession: Secret(answer.Session),
		AccessToken: Secret(answer.AccessToken), IssuedAt: r.clock.Now()}
	if answer.ExpiresAt != nil {
		s.ExpiresAt = *answer.ExpiresAt
	}
	return s, nil
}

// identityOfAssertion reads the SERMI UIDs a verified assertion carries, as
// user info would give them.
func identityOfAssertion(a assertion.Identity) (Identity, error) {
	bad := func(err error) (Identity, error) {
		return Identity{}, NewError(MsgIdentityInvalid, err, "the relay's assertion carries an unusable SERMI UID")
	}
	id := Identity{Sub: a.Subject, Role: Role(a.Role)}
	var err error
	if id.CABUID, err = ParseCABUID(a.CABUID); err != nil {
		return bad(err)
	}
	if id.IOUID, err = ParseOrgUID("iouid", a.IOUID); err != nil {
		return bad(err)
	}
	if id.IOEUID, err = ParsePersonUID("ioeuid", a.IOEUID); err != nil {
		return bad(err)
	}
	if id.Role == RoleRSSE {
		rss, err := ParseOrgUID("rssuid", a.RSSUID)
		if err != nil {
			return bad(err)
		}
		rsse, err := ParsePersonUID("rsseuid", a.RSSEUID)
		if err != nil {
			return bad(err)
		}
		id.RSSUID, id.RSSEUID = &rss, &rsse
	}
	return id, nil
}
