package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/workshop-login/workshop-login/auth/clock"
)

// EventBrowserOpened says the web login's address is open in the browser
// (BrowserURL); the person finishes there. Its message says whether that is
// a private window (MsgWebContinue) or the shared browser
// (MsgWebContinueShared).
const EventBrowserOpened EventKind = "browser_opened"

// WebLogin is the browser variant of sign-in, as RFC 8252 and RFC 9700 ask
// of a desktop app: the system browser, never a web view; a redirect to a
// server on this machine's loopback address, listening before the browser
// opens and answering one callback; state, nonce and PKCE (S256) on every
// request. Unlike the QR code it can reuse the browser's Digidentity
// session (single sign-on).
type WebLogin struct {
	settings Settings
	env      Environment
	tc       *httpTrustCentre
	identity *identityReader
	client   *http.Client
	clock    clock.Clock
	log      *slog.Logger
	// open shows the address to the person: a private browser window in
	// the kiosk, through a launcher (BrowserStart), or a printed line in
	// the terminal (WithPrintedAddress). Its ctx ends when this
	// sign-in ends (a moment after, so the browser can show the last page):
	// a browser started for this sign-in ends with it.
	open func(ctx context.Context, start BrowserStart) error
	// printed: the person opens the address themselves (WithPrintedAddress).
	printed bool
	// pageText gives the browser's pages their words, in the kiosk's
	// language of the moment.
	pageText atomic.Pointer[func(MessageKey) string]

	mu   sync.Mutex
	last webSignInMark // the last sign-in's provider session, refused to the next
}

// ErrBrowserNotPrivate is what an open function returns (wrapped) when it
// opened the address, but in the shared browser, not a private window that
// ends with the sign-in: the person is told to sign out of Digidentity
// there (MsgWebContinueShared). Any other error fails the sign-in.
var ErrBrowserNotPrivate = errors.New("opened in the shared browser: no private browser window")

// browserGrace is how long a browser started for a sign-in outlives it, so
// that the callback page, answered as the sign-in ends, is shown; real
// time, as it is the browser's.
var browserGrace = 2 * time.Second

// NewWebLogin checks the settings for the environment (in production the
// redirect URI must be fixed and allowlisted) and returns the flow. open
// shows the address (see WebLogin.open and BrowserStart): its ctx ends
// when the sign-in does; it returns an error wrapping ErrBrowserNotPrivate
// when the address opened in the shared browser. Unless the address is
// printed (WithPrintedAddress), the callback takes answers only from the
// browser that came through BrowserStart's launcher.
func NewWebLogin(s Settings, env Environment, open func(ctx context.Context, start BrowserStart) error, opts ...Option) (*WebLogin, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := s.ValidateWeb(env); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	tc := newHTTPTrustCentre(s, o.client, o.clock.Now)
	return &WebLogin{
		settings: s, env: env, client: o.client, clock: o.clock, log: o.log, open: open, tc: tc, printed: o.printedAddress,
		identity: &identityReader{settings: s, tc: tc, idTokens: &idTokenVerifier{settings: s, client: o.client, now: o.clock.Now},
			clock: o.clock, random: o.random, log: o.log},
	}, nil
}

// SetPageText sets the words of the browser's pages (the kiosk's language).
func (w *WebLogin) SetPageText(text func(MessageKey) string) { w.pageText.Store(&text) }

func (w *WebLogin) text(key MessageKey) string {
	if f := w.pageText.Load(); f != nil {
		return (*f)(key)
	}
	return string(key)
}

// Start implements SignIn: one browser sign-in. Its events end with
// approved, refused, expired (the timeout) or failed; the channel then
// closes. The loopback server keeps refusing replays until ctx ends.
func (w *WebLogin) Start(ctx context.Context) <-chan Event {
	events := make(chan Event)
	go func() {
		defer close(events)
		emit := func(e Event) {
			e.At = w.clock.Now()
			select {
			case events <- e:
			case <-ctx.Done():
			}
		}
		session, err := w.run(ctx, emit)
		switch {
		case ctx.Err() != nil:
		case err == nil:
			emit(Event{Kind: EventApproved, Message: MsgSignedIn, Session: session})
		default:
			e := asError(err)
			kind := map[MessageKey]EventKind{MsgRefused: EventRefused, MsgWebTimeout: EventExpired}[e.Key]
			if kind == "" {
				kind = EventFailed
			}
			w.log.Warn("web sign-in ended", "outcome", string(kind), "detail", e.Error())
			emit(Event{Kind: kind, Message: e.Key, Err: e})
		}
	}()
	return events
}

// run is one sign-in: listen, open the browser, wait for the callback,
// exchange the code, then the identity step shared with the QR code. The
// browser's page waits for the outcome, so it says "signed in" only when the
// kiosk has signed the person in.
func (w *WebLogin) run(ctx context.Context, emit func(Event)) (session *Session, err error) {
	cb, err := w.listen(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { cb.settle(err) }()
	e := w.tc.endpoints(ctx)
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	cb.mu.Lock() // the server is already answering (an old tab, say)
	cb.state = state
	if o := originOf(e.WebAuthorize); o != "" {
		cb.origins = []string{o}
	}
	cb.mu.Unlock()
	config := w.oauth2Config(cb.redirectURI, e)
	params := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)}
	if w.settings.WebPromptLogin {
		params = append(params, oauth2.SetAuthURLParam("prompt", "login"))
	}
	if w.settings.WebMaxAge >= 0 {
		params = append(params, oauth2.SetAuthURLParam("max_age", strconv.Itoa(int(w.settings.WebMaxAge/time.Second))))
	}
	began := w.clock.Now()
	address := config.AuthCodeURL(state, params...)
	// The browser lives as long as this sign-in, and a moment more: the
	// callback page is answered as run returns.
	browserCtx, endBrowser := context.WithCancel(ctx)
	defer func() { time.AfterFunc(browserGrace, endBrowser) }()
	message := MsgWebContinue
	if err := w.open(browserCtx, cb.prepareLaunch(address, w.printed)); errors.Is(err, ErrBrowserNotPrivate) {
		w.log.Warn("web sign-in: no private browser window; the shared browser was opened", "detail", err.Error())
		message = MsgWebContinueShared
	} else if err != nil {
		return nil, newError(MsgFailed, err, "opening the browser")
	}
	emit(Event{Kind: EventBrowserOpened, Message: message, BrowserURL: address})

	timedOut := make(chan struct{})
	waitCtx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	go func() {
		if w.clock.Sleep(waitCtx, w.settings.WebLoginTimeout) {
			close(timedOut)
		}
	}()
	var answer callback
	select {
	case answer = <-cb.answers:
	case <-timedOut:
		return nil, newError(MsgWebTimeout, nil, "nobody finished the browser sign-in within %s", w.settings.WebLoginTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if answer.err != "" {
		key := MsgFailed
		if answer.err == "access_denied" {
			key = MsgRefused
		}
		return nil, newError(key, nil, "the Trust Centre answered %s: %s", answer.err, answer.description)
	}

	exchangeCtx, cancel := context.WithTimeout(context.WithValue(ctx, oauth2.HTTPClient, w.client), w.settings.TokenTimeout)
	defer cancel()
	token, err := config.Exchange(exchangeCtx, answer.code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		switch {
		case errors.As(err, &re) && re.ErrorCode == "access_denied":
			return nil, newError(MsgRefused, nil, "token request: access_denied")
		case errors.As(err, &re) && re.ErrorCode == "invalid_client":
			return nil, newError(MsgClientRejected, nil, "token request: invalid_client")
		case errors.As(err, &re):
			return nil, newError(MsgFailed, nil, "token request: %s %s", re.ErrorCode, re.ErrorDescription)
		}
		return nil, newError(MsgFailed, err, "token request")
	}
	// Without an id_token (Digidentity does not say it sends one) the
	// identity comes from user info alone; state and PKCE still bind the
	// code to this sign-in.
	rawIDToken, _ := token.Extra("id_token").(string)
	scope, _ := token.Extra("scope").(string)
	issued := tokenResponse{AccessToken: Secret(token.AccessToken), RefreshToken: Secret(token.RefreshToken),
		IDToken: Secret(rawIDToken), TokenType: "Bearer", Scope: scope, ExpiresIn: time.Duration(token.ExpiresIn) * time.Second}
	emit(Event{Kind: EventSigningIn, Message: MsgSigningIn})
	sleep := func(d time.Duration) bool { return w.clock.Sleep(ctx, d) }
	var seen webSignInMark
	w.mu.Lock()
	want := freshness{nonce: nonce, began: began, maxAge: w.settings.WebMaxAge, last: w.last, seen: &seen}
	w.mu.Unlock()
	s, err := w.identity.read(ctx, issued, want, sleep, func(wait time.Duration, e *Error) {
		emit(Event{Kind: EventSigningIn, Message: MsgSigningIn, RetryIn: wait, Err: e})
	})
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.last = seen // the next person must not come back with it
	w.mu.Unlock()
	return &s, nil
}

func (w *WebLogin) oauth2Config(redirectURI string, e Endpoints) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if e.ClientAuth != ClientAuthBasic {
		style = oauth2.AuthStyleInParams // post, and none: client_id only
	}
	return &oauth2.Config{
		ClientID:     w.settings.ClientID,
		ClientSecret: w.settings.ClientSecret.Reveal(),
		Endpoint:     oauth2.Endpoint{AuthURL: e.WebAuthorize, TokenURL: e.Token, AuthStyle: style},
		RedirectURL:  redirectURI,
		Scopes:       strings.Fields(w.settings.Scope()),
	}
}

// randomToken is 256 random bits, base64url: state and nonce.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("no randomness: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
