// Package weblogin is the browser sign-in: the system browser, a loopback
// callback, state, nonce and PKCE; the identity step after it is the QR
// code's (auth.WebIdentity).
package weblogin

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
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/clock"
)

// WebLogin is the browser variant of sign-in, as RFC 8252 and RFC 9700 ask
// of a desktop app: the system browser, never a web view; a redirect to a
// server on this machine's loopback address, listening before the browser
// opens and answering one callback; state, nonce and PKCE (S256) on every
// request. Unlike the QR code it can reuse the browser's Digidentity
// session (single sign-on).
type WebLogin struct {
	settings auth.Settings
	env      auth.Environment
	identity *auth.WebIdentity
	client   *http.Client
	clock    clock.Clock
	log      *slog.Logger
	// open shows the address to the person: a private browser window in
	// the kiosk, through a launcher (BrowserStart), or a printed line in
	// the terminal (auth.WithPrintedAddress). Its ctx ends when this
	// sign-in ends (a moment after, so the browser can show the last page):
	// a browser started for this sign-in ends with it.
	open func(ctx context.Context, start BrowserStart) error
	// printed: the person opens the address themselves.
	printed bool
	// pageText gives the browser's pages their words, in the kiosk's
	// language of the moment.
	pageText atomic.Pointer[func(auth.MessageKey) string]
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

// New checks the settings for the environment (in production the
// redirect URI must be fixed and allowlisted) and returns the flow. open
// shows the address (see WebLogin.open and BrowserStart): its ctx ends
// when the sign-in does; it returns an error wrapping ErrBrowserNotPrivate
// when the address opened in the shared browser. Unless the address is
// printed (WithPrintedAddress), the callback takes answers only from the
// browser that came through BrowserStart's launcher.
func New(s auth.Settings, env auth.Environment, open func(ctx context.Context, start BrowserStart) error, opts ...auth.Option) (*WebLogin, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := s.ValidateWeb(env); err != nil {
		return nil, err
	}
	id := auth.NewWebIdentity(s, opts...)
	return &WebLogin{settings: s, env: env, identity: id, client: id.Client(), clock: id.Clock(), log: id.Log(),
		open: open, printed: id.PrintedAddress()}, nil
}

// SetPageText sets the words of the browser's pages (the kiosk's language).
func (w *WebLogin) SetPageText(text func(auth.MessageKey) string) { w.pageText.Store(&text) }

func (w *WebLogin) text(key auth.MessageKey) string {
	if f := w.pageText.Load(); f != nil {
		return (*f)(key)
	}
	return string(key)
}

// Start implements SignIn: one browser sign-in. Its events end with
// approved, refused, expired (the timeout) or failed; the channel then
// closes. The loopback server keeps refusing replays until ctx ends.
func (w *WebLogin) Start(ctx context.Context) <-chan auth.Event {
	events := make(chan auth.Event)
	go func() {
		defer close(events)
		emit := func(e auth.Event) {
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
			emit(auth.Event{Kind: auth.EventApproved, Message: auth.MsgSignedIn, Session: session})
		default:
			e := auth.AsError(err)
			kind := map[auth.MessageKey]auth.EventKind{auth.MsgRefused: auth.EventRefused, auth.MsgWebTimeout: auth.EventExpired}[e.Key]
			if kind == "" {
				kind = auth.EventFailed
			}
			w.log.Warn("web sign-in ended", "outcome", string(kind), "detail", e.Error())
			emit(auth.Event{Kind: kind, Message: e.Key, Err: e})
		}
	}()
	return events
}

// run is one sign-in: listen, open the browser, wait for the callback,
// exchange the code, then the identity step shared with the QR code. The
// browser's page waits for the outcome, so it says "signed in" only when the
// kiosk has signed the person in.
func (w *WebLogin) run(ctx context.Context, emit func(auth.Event)) (session *auth.Session, err error) {
	cb, err := w.listen(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { cb.settle(err) }()
	e := w.identity.Endpoints(ctx)
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
	message := auth.MsgWebContinue
	if err := w.open(browserCtx, cb.prepareLaunch(address, w.printed)); errors.Is(err, ErrBrowserNotPrivate) {
		w.log.Warn("web sign-in: no private browser window; the shared browser was opened", "detail", err.Error())
		message = auth.MsgWebContinueShared
	} else if err != nil {
		return nil, auth.NewError(auth.MsgFailed, err, "opening the browser")
	}
	emit(auth.Event{Kind: auth.EventBrowserOpened, Message: message, BrowserURL: address})

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
		return nil, auth.NewError(auth.MsgWebTimeout, nil, "nobody finished the browser sign-in within %s", w.settings.WebLoginTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if answer.err != "" {
		key := auth.MsgFailed
		if answer.err == "access_denied" {
			key = auth.MsgRefused
		}
		return nil, auth.NewError(key, nil, "the Trust Centre answered %s: %s", answer.err, answer.description)
	}

	exchangeCtx, cancel := context.WithTimeout(context.WithValue(ctx, oauth2.HTTPClient, w.client), w.settings.TokenTimeout)
	defer cancel()
	token, err := config.Exchange(exchangeCtx, answer.code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		switch {
		case errors.As(err, &re) && re.ErrorCode == "access_denied":
			return nil, auth.NewError(auth.MsgRefused, nil, "token request: access_denied")
		case errors.As(err, &re) && re.ErrorCode == "invalid_client":
			return nil, auth.NewError(auth.MsgClientRejected, nil, "token request: invalid_client")
		case errors.As(err, &re):
			return nil, auth.NewError(auth.MsgFailed, nil, "token request: %s %s", re.ErrorCode, re.ErrorDescription)
		}
		return nil, auth.NewError(auth.MsgFailed, err, "token request")
	}
	// Without an id_token (Digidentity does not say it sends one) the
	// identity comes from user info alone; state and PKCE still bind the
	// code to this sign-in.
	rawIDToken, _ := token.Extra("id_token").(string)
	scope, _ := token.Extra("scope").(string)
	issued := auth.IssuedToken{AccessToken: auth.Secret(token.AccessToken), RefreshToken: auth.Secret(token.RefreshToken),
		IDToken: auth.Secret(rawIDToken), Scope: scope, ExpiresIn: time.Duration(token.ExpiresIn) * time.Second}
	emit(auth.Event{Kind: auth.EventSigningIn, Message: auth.MsgSigningIn})
	sleep := func(d time.Duration) bool { return w.clock.Sleep(ctx, d) }
	s, err := w.identity.Read(ctx, issued, nonce, began, w.settings.WebMaxAge, sleep, func(wait time.Duration, e *auth.Error) {
		emit(auth.Event{Kind: auth.EventSigningIn, Message: auth.MsgSigningIn, RetryIn: wait, Err: e})
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

func (w *WebLogin) oauth2Config(redirectURI string, e auth.Endpoints) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if e.ClientAuth != auth.ClientAuthBasic {
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
