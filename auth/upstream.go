package auth

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Upstream is the Trust Centre as the relay meets it: one call at a time,
// each answer reduced to what the kiosk's engine on the other side of the
// relay acts on. It has no loop of its own: the kiosk paces the polls, so
// the engine's guarantees (no approval lost unawares, a bounded request
// rate) hold through the relay as they do direct.
type Upstream struct {
	settings Settings
	tc       *httpTrustCentre
	identity *identityReader
}

// NewUpstream checks the settings (client id and secret included) and
// returns the relay's view of the Trust Centre.
func NewUpstream(s Settings, opts ...Option) (*Upstream, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	o := newOptions(append([]Option{WithHTTPClient(upstreamClient())}, opts...))
	tc := newHTTPTrustCentre(s, o.client, o.clock.Now)
	return &Upstream{settings: s, tc: tc, identity: &identityReader{settings: s, tc: tc,
		idTokens: &idTokenVerifier{settings: s, client: o.client, now: o.clock.Now},
		clock:    o.clock, random: o.random, log: o.log}}, nil
}

// upstreamIdleConns is how many connections to the Trust Centre the relay
// keeps open between polls: more than are ever in flight at once (a
// thousand polls a second of a few milliseconds each is a handful).
const upstreamIdleConns = 256

// UpstreamMaxConns bounds the relay's connections to the Trust Centre, and
// so its calls in flight there: a slow Digidentity makes calls wait for a
// connection (and the relay shed kiosks' calls) instead of opening file
// descriptors without end.
const UpstreamMaxConns = upstreamIdleConns

// upstreamClient is the relay's client for the Trust Centre. Go's default
// keeps two idle connections per host, so a relay polling for thousands of
// kiosks would close and reopen connections all the time: a TLS handshake
// each at Digidentity, and the relay's ports filling with TIME_WAIT.
func upstreamClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = upstreamIdleConns, upstreamIdleConns
	t.MaxConnsPerHost = UpstreamMaxConns
	return &http.Client{Transport: t}
}

// Settings returns the settings the upstream was made with.
func (u *Upstream) Settings() Settings { return u.settings }

// Endpoints are the Trust Centre addresses in use, from the settings and the
// discovery document.
func (u *Upstream) Endpoints(ctx context.Context) Endpoints { return u.tc.endpoints(ctx) }

// QRStart is a new QR code and the authorisation code it is polled with.
type QRStart struct {
	Code Secret // never leaves the relay except sealed
	URI  string // what the QR code shows
}

// RequestQR asks for a new QR code. A failure's PollAnswer (Classify) is
// never pending, slow_down, gone or refused: those are a poll's answers.
func (u *Upstream) RequestQR(ctx context.Context) (QRStart, error) {
	qr, err := u.tc.requestQR(ctx)
	if err != nil {
		return QRStart{}, asNonPollFailure(err, MsgUnexpected)
	}
	return QRStart{Code: qr.code, URI: qr.uri}, nil
}

// PollState is what one poll of a code came to.
type PollState string

const (
	PollPending     PollState = "pending"     // nobody approved yet
	PollSlowDown    PollState = "slow_down"   // poll 5 s slower
	PollGone        PollState = "gone"        // the code expired, or was used
	PollRefused     PollState = "refused"     // the person or Digidentity said no
	PollBusy        PollState = "busy"        // HTTP 429: wait RetryAfter
	PollUnavailable PollState = "unavailable" // no answer, or a 5xx: retry later
	PollFailed      PollState = "failed"      // anything else
	PollIssued      PollState = "issued"      // a token: Token is set
)

// PollAnswer is one classified answer.
type PollAnswer struct {
	State PollState
	// RetryAfter is how long the Trust Centre asked to wait (PollBusy),
	// capped by MaxRetryWait; zero when it did not say.
	RetryAfter time.Duration
	// Lost (PollUnavailable): the request may have been handled but its
	// answer never came, so an approval may have been used up.
	Lost  bool
	Token IssuedToken
	Err   *Error // set for every state but pending and issued
}

// IssuedToken is a token the Trust Centre issued for an approved code.
type IssuedToken struct {
	AccessToken, RefreshToken, IDToken Secret
	Scope                              string
	ExpiresIn                          time.Duration // zero when the answer did not say
}

// Poll asks once whether code was approved.
func (u *Upstream) Poll(ctx context.Context, code Secret) PollAnswer {
	token, err := u.tc.exchange(ctx, code)
	if err != nil {
		return Classify(err, u.settings.MaxRetryWait)
	}
	return PollAnswer{State: PollIssued, Token: IssuedToken{
		AccessToken: token.AccessToken, RefreshToken: token.RefreshToken, IDToken: token.IDToken,
		Scope: token.Scope, ExpiresIn: token.ExpiresIn,
	}}
}

// Classify reduces an error of RequestQR or Poll to a PollAnswer;
// Retry-After is capped at maxWait.
func Classify(err error, maxWait time.Duration) PollAnswer {
	var ce *callError
	if !errors.As(err, &ce) {
		return PollAnswer{State: PollFailed, Err: AsError(err)}
	}
	a := PollAnswer{Err: ce.err}
	switch ce.verdict {
	case verdictPending:
		a.State, a.Err = PollPending, nil
	case verdictSlowDown:
		a.State = PollSlowDown
	case verdictGone:
		a.State = PollGone
	case verdictRefused:
		a.State = PollRefused
	case verdictRetryAfter:
		a.State = PollBusy
		a.RetryAfter = min(parseRetryAfter(ce.retryAfter, time.Now()), maxWait)
	case verdictTransient:
		a.State, a.Lost = PollUnavailable, ce.lost
	default:
		a.State = PollFailed
	}
	return a
}

// ReadIdentity makes one try at reading the identity of an issued token:
// the ID token checked where there is one, then user info. An error that
// Retryable reports may pass (an outage, a cut-off answer); any other is a
// wrong answer and final.
func (u *Upstream) ReadIdentity(ctx context.Context, token IssuedToken) (Identity, error) {
	checked := token.IDToken == ""
	var sub string
	return u.identity.readOnce(ctx, tokenResponse{
		AccessToken: token.AccessToken, RefreshToken: token.RefreshToken, IDToken: token.IDToken,
		TokenType: "Bearer", Scope: token.Scope, ExpiresIn: token.ExpiresIn,
	}, freshness{maxAge: -1}, &checked, &sub)
}

// Retryable reports whether a failure of ReadIdentity may pass if tried again.
func Retryable(err error) bool { return retryable(err) }
