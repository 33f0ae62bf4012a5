package auth

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/workshop-login/workshop-login/auth/clock"
)

// EventBrowserOpened says the web login's address is open in the browser
// (BrowserURL); the person finishes there. Its message says whether that is
// a private window (MsgWebContinue) or the shared browser
// (MsgWebContinueShared).
const EventBrowserOpened EventKind = "browser_opened"

// WebIdentity is what the browser sign-in (auth/weblogin) shares with the
// QR code's engine: the Trust Centre's endpoints, and the identity step
// after a token answer, with the ID token's freshness checks of a shared
// browser. It remembers the last sign-in it accepted, whose provider
// session the next person must not come back with.
type WebIdentity struct {
	tc       *httpTrustCentre
	identity *identityReader
	opts     options

	mu   sync.Mutex
	last webSignInMark
}

// NewWebIdentity is the identity step for settings s (checked by the
// caller).
func NewWebIdentity(s Settings, opts ...Option) *WebIdentity {
	o := newOptions(opts)
	tc := newHTTPTrustCentre(s, o.client, o.clock.Now)
	return &WebIdentity{tc: tc, opts: o,
		identity: &identityReader{settings: s, tc: tc, idTokens: &idTokenVerifier{settings: s, client: o.client, now: o.clock.Now},
			clock: o.clock, random: o.random, log: o.log}}
}

// Endpoints are the Trust Centre's, from discovery or the settings.
func (w *WebIdentity) Endpoints(ctx context.Context) Endpoints { return w.tc.endpoints(ctx) }

// Client, Clock and Log are the options the identity step was made with,
// for the rest of the browser sign-in; PrintedAddress says whether the
// address is printed for a person to open (WithPrintedAddress).
func (w *WebIdentity) Client() *http.Client { return w.opts.client }
func (w *WebIdentity) Clock() clock.Clock   { return w.opts.clock }
func (w *WebIdentity) Log() *slog.Logger    { return w.opts.log }
func (w *WebIdentity) PrintedAddress() bool { return w.opts.printedAddress }

// Read returns the session of a browser sign-in's token answer. Its ID
// token, when there is one, must carry nonce, and (unless maxAge < 0, single
// sign-on allowed) an authentication no older than maxAge before began and
// not the last accepted sign-in's. sleep waits between tries and reports
// whether to go on; retrying is told of each wait.
func (w *WebIdentity) Read(ctx context.Context, issued IssuedToken, nonce string, began time.Time, maxAge time.Duration,
	sleep func(time.Duration) bool, retrying func(time.Duration, *Error)) (Session, error) {
	token := tokenResponse{AccessToken: issued.AccessToken, RefreshToken: issued.RefreshToken, IDToken: issued.IDToken,
		TokenType: "Bearer", Scope: issued.Scope, ExpiresIn: issued.ExpiresIn}
	var seen webSignInMark
	w.mu.Lock()
	want := freshness{nonce: nonce, began: began, maxAge: maxAge, last: w.last, seen: &seen}
	w.mu.Unlock()
	s, err := w.identity.read(ctx, token, want, sleep, retrying)
	if err != nil {
		return Session{}, err
	}
	w.mu.Lock()
	w.last = seen // the next person must not come back with it
	w.mu.Unlock()
	return s, nil
}

// WithPrintedAddress is for a web login whose address a person opens in a
// browser of their choosing (`login --web --terminal`): the callback then
// takes an answer from any browser on this machine, with the right state,
// as nothing can tie it to one. Only for an address that no other user
// sees, such as one printed on the person's own terminal.
func WithPrintedAddress() Option { return func(o *options) { o.printedAddress = true } }
