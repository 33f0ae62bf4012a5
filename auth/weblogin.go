package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
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
	// the kiosk, a printed line in the terminal. Its ctx ends when this
	// sign-in ends (a moment after, so the browser can show the last page):
	// a browser started for this sign-in ends with it.
	open func(ctx context.Context, addr string) error
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
// shows the address (see WebLogin.open): its ctx ends when the sign-in
// does; it returns an error wrapping ErrBrowserNotPrivate when the address
// opened in the shared browser.
func NewWebLogin(s Settings, env Environment, open func(ctx context.Context, addr string) error, opts ...Option) (*WebLogin, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := s.ValidateWeb(env); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	tc := newHTTPTrustCentre(s, o.client, o.clock.Now)
	return &WebLogin{
		settings: s, env: env, client: o.client, clock: o.clock, log: o.log, open: open, tc: tc,
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
	defer func() { cb.finish(err) }()
	e := w.tc.endpoints(ctx)
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	cb.mu.Lock() // the server is already answering (an old tab, say)
	cb.state = state
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
	if err := w.open(browserCtx, address); errors.Is(err, ErrBrowserNotPrivate) {
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

// callback is what the browser brought back.
type callback struct{ code, err, description string }

// callbackServer is the loopback redirect target of one sign-in.
type callbackServer struct {
	w           *WebLogin
	redirectURI string
	path        string
	state       string
	answers     chan callback
	// outcome is what the browser's page says once the kiosk knows: signed
	// in, or why not. The page waits for it a while (pageWait).
	outcome chan MessageKey

	mu   sync.Mutex
	used bool
}

// listen starts the loopback server before anything is sent, so the
// browser can never come back to a port nobody listens on. It stops when
// ctx ends.
func (w *WebLogin) listen(ctx context.Context) (*callbackServer, error) {
	host, path := "127.0.0.1:0", "/callback"
	if w.settings.RedirectURI != "" {
		u, _ := url.Parse(w.settings.RedirectURI) // checked by ValidateWeb
		host, path = u.Host, u.Path
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "0")
		}
		if path == "" {
			path = "/"
		}
	}
	var ln net.Listener
	var err error
	for try := 0; try < 10; try++ { // the previous sign-in may still be letting go of a fixed port
		if ln, err = net.Listen("tcp", host); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond) // the operating system's time, not the flow's clock
	}
	if err != nil {
		return nil, newError(MsgFailed, err, "listening for the browser's return on %s", host)
	}
	cb := &callbackServer{w: w, path: path, answers: make(chan callback, 1), outcome: make(chan MessageKey, 1),
		redirectURI: (&url.URL{Scheme: "http", Host: ln.Addr().String(), Path: path}).String()}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		// Gracefully: the browser's page may still be saying how it ended.
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(shutdownCtx) != nil {
			srv.Close()
		}
	}()
	return cb, nil
}

func (cb *callbackServer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path != cb.path {
		http.NotFound(rw, r)
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		cb.w.log.Warn("web sign-in: a callback from another machine was refused", "from", host)
		cb.page(rw, http.StatusForbidden, MsgWebNotLocal)
		return
	}
	q := r.URL.Query()
	cb.mu.Lock()
	defer cb.mu.Unlock()
	switch {
	case cb.used:
		cb.w.log.Warn("web sign-in: a replayed callback was refused")
		cb.page(rw, http.StatusBadRequest, MsgWebReplayed)
	case cb.state == "" || q.Get("state") != cb.state:
		// Not ours (cross-site request forgery, or an old tab): ignored,
		// and the sign-in goes on waiting for its own answer.
		cb.w.log.Warn("web sign-in: a callback with the wrong state was ignored")
		cb.page(rw, http.StatusBadRequest, MsgWebWrongState)
	case q.Get("error") != "":
		cb.used = true
		cb.answers <- callback{err: q.Get("error"), description: q.Get("error_description")}
		cb.page(rw, http.StatusOK, MsgWebRefusedTab)
	case q.Get("code") == "":
		cb.page(rw, http.StatusBadRequest, MsgWebWrongState)
	default:
		cb.used = true
		cb.answers <- callback{code: q.Get("code")}
		cb.mu.Unlock()
		key := cb.wait(r.Context())
		cb.mu.Lock()
		cb.page(rw, http.StatusOK, key)
	}
}

// pageWait is how long the browser's page waits for the kiosk to finish
// before it says to return there; real time, as it is the browser's wait.
const pageWait = 20 * time.Second

// wait returns what the page should say: the outcome, or "finishing".
func (cb *callbackServer) wait(ctx context.Context) MessageKey {
	t := time.NewTimer(pageWait)
	defer t.Stop()
	select {
	case key := <-cb.outcome:
		return key
	case <-t.C:
	case <-ctx.Done():
	}
	return MsgWebFinishing
}

// finish tells a waiting page how the sign-in ended.
func (cb *callbackServer) finish(err error) {
	key := MsgWebReturn
	switch {
	case err == nil:
	case KeyOf(err) == MsgRefused:
		key = MsgWebRefusedTab
	case errors.Is(err, context.Canceled):
		key = MsgWebFinishing
	default:
		key = KeyOf(err)
	}
	select {
	case cb.outcome <- key:
	default:
	}
}

func (cb *callbackServer) page(rw http.ResponseWriter, status int, key MessageKey) {
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	rw.WriteHeader(status)
	callbackPage.Execute(rw, struct{ Text, Key string }{cb.w.text(key), string(key)})
}

var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Workshop Login</title></head>
<body style="font-family:sans-serif;font-size:1.5em;margin:3em;max-width:36em" data-message="{{.Key}}">
<h1>Workshop Login</h1>
<p>{{.Text}}</p>
</body></html>
`))

// randomToken is 256 random bits, base64url: state and nonce.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("no randomness: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
