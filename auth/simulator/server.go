// Package simulator is a Trust Centre that runs on this machine: a real HTTP
// server that behaves like Digidentity's as far as public sources describe it
// (authorize.json, both token path spellings, user_info.json, client
// authentication, sessions that expire, discovery, keys and signed ID
// tokens), with a page where a tester picks a test person, types its PIN and
// approves or denies, and faults that tests can switch on.
//
// It must not import the engine: the engine's tests import it.
package simulator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The simulator's client registration and product scope. They are not
// secret: every copy of the simulator has them.
const (
	DefaultClientID     = "workshop-login-simulator"
	DefaultClientSecret = "simulator-secret-not-confidential"
	DefaultProductScope = "s1mulat0rscope16"
)

// Options configures a Simulator. Zero values take the defaults named.
type Options struct {
	// Issuer is the base address the kiosk reaches; it is the discovery
	// document's and the ID tokens' issuer. Listen sets it when empty.
	Issuer string
	// PublicURL is the base of each qr_code_uri (a LAN address lets a phone
	// open it); default Issuer.
	PublicURL string
	// Clients maps client ids to secrets; default {DefaultClientID: DefaultClientSecret}.
	Clients map[string]string
	// ProductScope is the 16-character scope the clients must ask for; default DefaultProductScope.
	ProductScope string
	// SessionLifetime is how long a QR code (or a web sign-in's code) can be
	// approved and exchanged, on the Now clock; any positive value works (10
	// s, 5 minutes); zero or less takes the default, 2 minutes. Once it has
	// passed, the code's token requests answer session_not_found.
	SessionLifetime time.Duration
	// TokenLifetime is the access token's; default 1 hour.
	TokenLifetime time.Duration
	// ApprovedLifetime is how long an approved code can still be exchanged
	// after the approval, past the QR code's own end; default 1 minute.
	ApprovedLifetime time.Duration
	// IgnoreFreshLogin makes the web login's single sign-on ignore prompt=login
	// and max_age, as a Trust Centre that does not honour them would.
	IgnoreFreshLogin bool
	// OmitIDToken answers token requests without an id_token. Discovery and
	// the keys are still served as usual.
	OmitIDToken bool
	// IDTokenAlg is how ID tokens are signed: "RS256" (the default, RSA 2048)
	// or "ES256" (ECDSA P-256). The key at /oauth2/keys carries the same
	// "alg", and discovery's id_token_signing_alg_values_supported names it
	// alone. New refuses any other value.
	IDTokenAlg string
	// TokenPaths says which token path spellings answer: "" or "both" (the
	// default: /oauth2/token and /oauth2/token.json), "token" (only
	// /oauth2/token) or "token.json" (only /oauth2/token.json). The other
	// spelling then answers 404 with a JSON error body. Discovery's
	// token_endpoint names the served one (/oauth2/token when both are).
	// New refuses any other value.
	TokenPaths string
	// SeparateUserInfoHost serves /user_info.json from a second host: Listen
	// opens another listener on 127.0.0.1:0 that serves only
	// /user_info.json (the same handler, tokens and faults), sets
	// Server.UserInfoURL, and names it in discovery's userinfo_endpoint; the
	// main host's /user_info.json then answers 404. A simulator from New
	// alone has no such host: its discovery then leaves userinfo_endpoint
	// out.
	SeparateUserInfoHost bool
	// FiveDigitPINs gives every persona a 5-digit PIN, as the real
	// Digidentity app has: its 4-digit PIN followed by the digit after its
	// last one ("1234" becomes "12345", "4567" becomes "45678", a final 9 is
	// followed by 0). The page shows these, and Approve wants them. By
	// default PINs have 4 digits.
	FiveDigitPINs bool
	// Now is the simulator's clock; default time.Now.
	Now func() time.Time
	// Logger receives one line per request; it never sees a code, token or secret.
	Logger *slog.Logger
	// OnTokenRequest, when set, is called after each token request is
	// answered (after a slow answer's hold, even when the client left).
	OnTokenRequest func(TokenRequest)
}

// TokenRequest describes one answered token request, for tests and benchmarks.
type TokenRequest struct {
	At      time.Time // when it arrived
	Outcome string    // login_pending, session_not_found, access_denied, authorisation_revoked, slow_down, issued, server_error, too_many_requests, malformed, invalid_client, invalid_request, invalid_grant, cancelled (gone during latency_ms)
}

// Faults make the simulator misbehave on purpose. Counted faults hit the next
// N API requests (authorize, token, user info), or only those of one endpoint.
//
// Faults that name no endpoint (the slow answers and the 429 near a code's
// end) hit token requests only, whatever Only says.
type Faults struct {
	LatencyMS         int    `json:"latency_ms"`          // added before processing every API request
	ServerErrors      int    `json:"server_errors"`       // answer 503
	SlowDowns         int    `json:"slow_downs"`          // token requests answer slow_down
	MalformedJSON     int    `json:"malformed_json"`      // answer 200 with cut-off JSON
	TooManyRequests   int    `json:"too_many_requests"`   // answer 429 with Retry-After
	RetryAfterSeconds int    `json:"retry_after_seconds"` // for TooManyRequests; default 2
	Only              string `json:"only"`                // "", "authorize", "token" or "user_info"
	// IDToken spoils the ID tokens issued, for the kiosk's verification
	// tests: "wrong_nonce", "expired", "wrong_issuer" or "wrong_audience".
	IDToken string `json:"id_token"`
	// UserInfoSub, when set, makes user info name another person than the
	// ID token does.
	UserInfoSub  string `json:"user_info_sub"`
	LoseSessions bool   `json:"lose_sessions"` // action: forget every session now

	// SlowTokenAnswers is a count: each of the next N token requests,
	// whatever its outcome (other faults, errors, pending, issued), is
	// processed first (an approved code is used up, the token issued and
	// stored, a chain authorisation used), and its answer is then held for
	// SlowAnswerMS of real time before it is written. A client whose timeout
	// is shorter loses the answer, and its next poll of that code gets
	// session_not_found. A request whose client went away still counts with
	// its outcome (OnTokenRequest sees "issued"). Unlike LatencyMS, which
	// waits before processing.
	SlowTokenAnswers int `json:"slow_token_answers"`
	// Unauthorized answers 401 invalid_token, as a user-info host may for a
	// token it does not know yet.
	Unauthorized int `json:"unauthorized"`
	// SlowAnswerMS is how long SlowTokenAnswers hold an answer; 0 holds it
	// for no time.
	SlowAnswerMS int `json:"slow_answer_ms"`
	// TooManyNearEndSeconds, while above 0, answers 429 with Retry-After
	// (RetryAfterSeconds, default 2) to a token request for a known, pending
	// code whose remaining lifetime is below this many seconds, and leaves
	// the code as it was. Not counted: it holds until the faults change.
	TooManyNearEndSeconds int `json:"too_many_near_end_seconds"`
}

// Errors of Approve and Deny, matching the page's answers.
var (
	ErrUnknownSession  = errors.New("unknown or expired code: scan the new code on the kiosk")
	ErrAlreadyAnswered = errors.New("this code has already been answered")
	ErrUnknownPersona  = errors.New("unknown test person")
	ErrWrongPIN        = errors.New("wrong PIN")
	ErrRefused         = errors.New("refused by the Trust Centre: this person's SERMI authorisation is revoked")
	ErrChainUsed       = fmt.Errorf("%w (the chain authorisation was already used)", ErrRefused)
)

type sessionState string

const (
	statePending  sessionState = "pending"
	stateApproved sessionState = "approved"
	stateDenied   sessionState = "denied"
	stateRefused  sessionState = "refused"
)

type session struct {
	code, qrID, clientID, scope string
	created, expires            time.Time
	state                       sessionState
	persona                     Persona
	web                         *webRequest // a browser sign-in (/oauth2/authorize); nil for a QR code
	authTime                    time.Time   // when the person authenticated: the approval, or the browser session's
}

type grant struct {
	persona Persona
	expires time.Time
}

// Simulator is the Trust Centre's state and HTTP handler.
type Simulator struct {
	opts        Options
	keys        signingKey
	mux         *http.ServeMux
	userInfoURL string // the other host's base, with SeparateUserInfoHost; set by Listen before serving

	mu         sync.Mutex
	sessions   map[string]*session       // by authorisation code
	byQR       map[string]*session       // by the id in the QR code's address
	tokens     map[string]grant          // by access token
	expiries   expiryHeap                // every session and token, by expiry (store.go)
	usedChains map[string]bool           // persona ids whose chain authorisation is used
	browsers   map[string]browserSession // Digidentity's single sign-on, by the browser's cookie
	faults     Faults
}

// New returns a simulator; serve its Handler, or use Listen.
func New(opts Options) (*Simulator, error) {
	if opts.Clients == nil {
		opts.Clients = map[string]string{DefaultClientID: DefaultClientSecret}
	}
	if opts.ProductScope == "" {
		opts.ProductScope = DefaultProductScope
	}
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = 2 * time.Minute
	}
	if opts.ApprovedLifetime <= 0 {
		opts.ApprovedLifetime = time.Minute
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch opts.IDTokenAlg {
	case "":
		opts.IDTokenAlg = "RS256"
	case "RS256", "ES256":
	default:
		return nil, fmt.Errorf("simulator: IDTokenAlg %q: use RS256 or ES256", opts.IDTokenAlg)
	}
	switch opts.TokenPaths {
	case "":
		opts.TokenPaths = "both"
	case "both", "token", "token.json":
	default:
		return nil, fmt.Errorf("simulator: TokenPaths %q: use both, token or token.json", opts.TokenPaths)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	keys, err := newSigningKey(opts.IDTokenAlg)
	if err != nil {
		return nil, err
	}
	s := &Simulator{opts: opts, keys: keys}
	s.reset()
	s.routes()
	return s, nil
}

func (s *Simulator) routes() {
	m := http.NewServeMux()
	m.HandleFunc("/oauth2/authorize.json", s.handleAuthorize)
	m.HandleFunc("GET /oauth2/authorize", s.handleWebAuthorize)
	for _, path := range []string{"/oauth2/token", "/oauth2/token.json"} {
		if s.servesTokenPath(path) {
			m.HandleFunc(path, s.handleToken)
		} else {
			m.HandleFunc(path, notFound)
		}
	}
	if s.opts.SeparateUserInfoHost {
		m.HandleFunc("/user_info.json", notFound) // served by the other host
	} else {
		m.HandleFunc("/user_info.json", s.handleUserInfo)
	}
	m.HandleFunc("GET /.well-known/openid-configuration", s.handleDiscovery)
	m.HandleFunc("GET /oauth2/keys", s.handleKeys)
	m.HandleFunc("GET /sim/login/{id}", s.handleLoginPage)
	m.HandleFunc("POST /sim/login/{id}", s.handleLoginForm)
	m.HandleFunc("GET /sim/sessions", s.handleSessions)
	m.HandleFunc("GET /sim/faults", s.handleGetFaults)
	m.HandleFunc("POST /sim/faults", s.handleSetFaults)
	m.HandleFunc("POST /sim/reset", s.handleReset)
	s.mux = m
}

// Handler serves the simulator.
func (s *Simulator) Handler() http.Handler { return s.mux }

// userInfoHandler serves only /user_info.json, for SeparateUserInfoHost.
func (s *Simulator) userInfoHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/user_info.json", s.handleUserInfo)
	m.HandleFunc("/", notFound)
	return m
}

// servesTokenPath says whether TokenPaths serves path.
func (s *Simulator) servesTokenPath(path string) bool {
	return s.opts.TokenPaths == "both" || path == "/oauth2/"+s.opts.TokenPaths
}

// tokenEndpoint is the token path discovery names.
func (s *Simulator) tokenEndpoint() string {
	if s.servesTokenPath("/oauth2/token") {
		return "/oauth2/token"
	}
	return "/oauth2/token.json"
}

func notFound(w http.ResponseWriter, r *http.Request) {
	oauthError(w, http.StatusNotFound, "not_found", r.URL.Path+" is not served here")
}

// SetFaults replaces the faults; LoseSessions acts at once.
func (s *Simulator) SetFaults(f Faults) {
	if f.LoseSessions {
		s.LoseSessions()
		f.LoseSessions = false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// LoseSessions forgets every session, as a Trust Centre restart would.
func (s *Simulator) LoseSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions, s.byQR = map[string]*session{}, map[string]*session{}
	// Their heap entries stay until they expire, and are skipped then.
}

// Reset forgets sessions and tokens, restores chain authorisations and
// clears the faults.
func (s *Simulator) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

func (s *Simulator) reset() {
	s.sessions, s.byQR = map[string]*session{}, map[string]*session{}
	s.tokens, s.usedChains = map[string]grant{}, map[string]bool{}
	s.browsers = map[string]browserSession{}
	s.expiries = nil
	s.faults = Faults{}
}

// Approve answers the code at qrCodeURI as the persona with pin, by the
// page's rules: a wrong PIN leaves the code open; a revoked person or a used
// chain authorisation ends it as refused.
func (s *Simulator) Approve(qrCodeURI, personaID, pin string) error {
	return s.answer(qrIDOf(qrCodeURI), "approve", personaID, pin)
}

// Deny answers the code at qrCodeURI with "no".
func (s *Simulator) Deny(qrCodeURI string) error {
	return s.answer(qrIDOf(qrCodeURI), "deny", "", "")
}

// PendingQRCodeURIs lists the addresses of the codes still open, newest first.
func (s *Simulator) PendingQRCodeURIs() []string {
	var out []string
	for _, info := range s.sessionInfos() {
		if info.State == string(statePending) {
			out = append(out, info.QRCodeURI)
		}
	}
	return out
}

func qrIDOf(uri string) string {
	if u, err := url.Parse(uri); err == nil {
		uri = u.Path
	}
	return uri[strings.LastIndex(uri, "/")+1:]
}

func (s *Simulator) answer(qrID, decision, personaID, pin string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.prune(now)
	sess := s.sessionByQR(qrID, now)
	switch {
	case sess == nil:
		return ErrUnknownSession
	case sess.state != statePending:
		return ErrAlreadyAnswered
	}
	if decision == "deny" {
		sess.state = stateDenied
		return nil
	}
	p, ok := s.findPersona(personaID)
	if !ok {
		return ErrUnknownPersona
	}
	if pin != p.PIN {
		return ErrWrongPIN
	}
	sess.persona = p
	switch {
	case p.Revoked:
		sess.state = stateRefused
		return ErrRefused
	case p.ChainAuthorisation && s.usedChains[p.ID]:
		sess.state = stateRefused
		return ErrChainUsed
	}
	sess.state = stateApproved
	sess.authTime = s.opts.Now()
	// An approved code is an OAuth authorization code from now on, with a
	// life of its own: a kiosk polling every few seconds still collects an
	// approval given just before the QR code's end.
	if until := s.opts.Now().Add(s.opts.ApprovedLifetime); until.After(sess.expires) {
		sess.expires = until
	}
	return nil
}

func (s *Simulator) forget(sess *session) {
	delete(s.sessions, sess.code)
	delete(s.byQR, sess.qrID)
}

// The API ----------------------------------------------------------------------

func (s *Simulator) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if s.fault(w, r, "authorize") {
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the request cannot be read")
		return
	}
	clientID := r.Form.Get("client_id")
	if _, ok := s.opts.Clients[clientID]; !ok {
		s.log(r, "authorize", "invalid_client")
		oauthError(w, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	}
	if rt := r.Form.Get("response_type"); rt != "code" {
		oauthError(w, http.StatusBadRequest, "unsupported_response_type", fmt.Sprintf("response_type %q is not code", rt))
		return
	}
	scope := r.Form.Get("scope")
	if problem := s.checkScope(scope); problem != "" {
		s.log(r, "authorize", "invalid_scope")
		oauthError(w, http.StatusBadRequest, "invalid_scope", problem)
		return
	}
	now := s.opts.Now()
	sess := &session{code: randomID(), qrID: randomID(), clientID: clientID, scope: scope,
		created: now, expires: now.Add(s.opts.SessionLifetime), state: statePending}
	s.mu.Lock()
	s.prune(now)
	s.addSession(sess)
	s.mu.Unlock()
	s.log(r, "authorize", "qr_code")
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id":   sess.code,
		"type": "passwordless_login_session",
		"attributes": map[string]string{
			"type":        "qr_code",
			"qr_code_uri": s.publicURL() + "/sim/login/" + sess.qrID,
		},
	}})
}

func (s *Simulator) checkScope(scope string) string {
	fields := strings.Fields(scope)
	has := func(want string) bool { return slices.Contains(fields, want) }
	switch {
	case !has("openid"):
		return "scope lacks openid"
	case !has("sermi"):
		return "scope lacks sermi"
	case !has(s.opts.ProductScope):
		return "scope lacks this client's product scope"
	}
	return ""
}

func (s *Simulator) handleToken(w http.ResponseWriter, r *http.Request) {
	arrived := s.opts.Now()
	s.mu.Lock()
	slow := s.faults.SlowTokenAnswers > 0
	if slow {
		s.faults.SlowTokenAnswers--
	}
	hold := time.Duration(s.faults.SlowAnswerMS) * time.Millisecond
	s.mu.Unlock()
	var outcome string
	if slow {
		// Process first, then hold the answer: the client may be gone by then.
		held := newHeldAnswer()
		outcome = s.token(held, r)
		s.log(r, "token", "fault slow_answer")
		if hold > 0 {
			t := time.NewTimer(hold)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		held.writeTo(w)
	} else {
		outcome = s.token(w, r)
	}
	if s.opts.OnTokenRequest != nil {
		s.opts.OnTokenRequest(TokenRequest{At: arrived, Outcome: outcome})
	}
}

// token answers one token request and names its outcome.
func (s *Simulator) token(w http.ResponseWriter, r *http.Request) string {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return "invalid_request"
	}
	if outcome := s.tokenFault(w, r); outcome != "" {
		return outcome
	}
	if err := parseBody(r); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the form cannot be read")
		return "invalid_request"
	}
	clientID, ok := s.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="trust-centre"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return s.logged(r, "token", "invalid_client")
	}
	if gt := r.PostForm.Get("grant_type"); gt != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not authorization_code", gt))
		return "invalid_request"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.prune(now)
	sess := s.sessionByCode(r.PostForm.Get("code"), now)
	if sess == nil || sess.clientID != clientID {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "session_not_found")
		return s.logged(r, "token", "session_not_found")
	}
	switch sess.state {
	case statePending:
		if near := s.faults.TooManyNearEndSeconds; near > 0 && sess.expires.Sub(now) < time.Duration(near)*time.Second {
			retryAfter := s.faults.RetryAfterSeconds
			if retryAfter <= 0 {
				retryAfter = 2
			}
			w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
			oauthError(w, http.StatusTooManyRequests, "too_many_requests", "slow down")
			s.log(r, "token", "fault too_many_near_end")
			return "too_many_requests"
		}
		oauthError(w, http.StatusBadRequest, "invalid_grant", "login_pending")
		return s.logged(r, "token", "login_pending")
	case stateDenied:
		s.forget(sess)
		oauthError(w, http.StatusBadRequest, "access_denied", "access_denied")
		return s.logged(r, "token", "access_denied")
	case stateRefused:
		s.forget(sess)
		oauthError(w, http.StatusBadRequest, "access_denied", "authorisation_revoked")
		return s.logged(r, "token", "authorisation_revoked")
	}
	if sess.web != nil {
		if problem := sess.web.checkExchange(r.PostForm); problem != "" {
			s.forget(sess) // a code is tried once
			oauthError(w, http.StatusBadRequest, "invalid_grant", problem)
			return s.logged(r, "token", "invalid_grant")
		}
	}
	// Approved: the exchange works once, and uses up a chain authorisation.
	s.forget(sess)
	if sess.persona.ChainAuthorisation {
		s.usedChains[sess.persona.ID] = true
	}
	access, refresh := randomID(), randomID()
	s.addToken(access, grant{persona: sess.persona, expires: now.Add(s.opts.TokenLifetime)})
	body := map[string]any{
		"access_token":  access,
		"refresh_token": refresh,
		"token_type":    "Bearer",
		"expires_in":    int(s.opts.TokenLifetime / time.Second),
		"scope":         sess.scope,
	}
	if !s.opts.OmitIDToken {
		claims := idClaims{issuer: s.issuer(), audience: clientID, subject: sess.persona.Claims["sub"], now: now, authTime: sess.authTime}
		if sess.web != nil {
			claims.nonce = sess.web.nonce
		}
		idToken, err := s.keys.sign(s.tamper(claims))
		if err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", "signing the ID token failed")
			return "server_error"
		}
		body["id_token"] = idToken
	}
	writeJSON(w, http.StatusOK, body)
	return s.logged(r, "token", "issued")
}

// authenticate checks HTTP Basic (raw or form-encoded values, RFC 6749
// §2.3.1) or client_secret_post, and returns the client id.
func (s *Simulator) authenticate(r *http.Request) (string, bool) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if want, ok := s.opts.Clients[id]; ok && id != "" && secret == want {
		return id, true
	}
	if basic {
		decodedID, err1 := url.QueryUnescape(id)
		decodedSecret, err2 := url.QueryUnescape(secret)
		if want, ok := s.opts.Clients[decodedID]; ok && err1 == nil && err2 == nil && decodedSecret == want {
			return decodedID, true
		}
	}
	return "", false
}

// parseBody reads a form sent urlencoded or as multipart/form-data (as some
// integrations do).
func parseBody(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(1 << 20)
	}
	return r.ParseForm()
}

func (s *Simulator) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	if s.fault(w, r, "user_info") {
		return
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	now := s.opts.Now()
	s.prune(now)
	g, found := s.grantOf(token, now)
	s.mu.Unlock()
	if !ok || !found {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "the access token is unknown or expired")
		s.log(r, "user_info", "bearer_refused")
		return
	}
	s.log(r, "user_info", "ok")
	claims := g.persona.Claims
	s.mu.Lock()
	otherSub := s.faults.UserInfoSub != ""
	s.mu.Unlock()
	if otherSub {
		claims = maps.Clone(claims)
		claims["sub"] = "00000000-someone-else"
	}
	writeJSON(w, http.StatusOK, claims)
}

// fault applies the faults to an API request and reports whether it answered.
func (s *Simulator) fault(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	return s.applyFault(w, r, endpoint, false) != ""
}

func (s *Simulator) tokenFault(w http.ResponseWriter, r *http.Request) string {
	return s.applyFault(w, r, "token", true)
}

func (s *Simulator) applyFault(w http.ResponseWriter, r *http.Request, endpoint string, token bool) string {
	s.mu.Lock()
	f := &s.faults
	latency := time.Duration(f.LatencyMS) * time.Millisecond
	outcome := ""
	if f.Only == "" || f.Only == endpoint {
		switch {
		case f.ServerErrors > 0:
			f.ServerErrors--
			outcome = "server_error"
		case f.TooManyRequests > 0:
			f.TooManyRequests--
			outcome = "too_many_requests"
		case f.MalformedJSON > 0:
			f.MalformedJSON--
			outcome = "malformed"
		case token && f.SlowDowns > 0:
			f.SlowDowns--
			outcome = "slow_down"
		case f.Unauthorized > 0:
			f.Unauthorized--
			outcome = "unauthorized"
		}
	}
	retryAfter := f.RetryAfterSeconds
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return "cancelled"
		}
	}
	switch outcome {
	case "server_error":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "<html><body><h1>503 Service Unavailable</h1></body></html>")
	case "too_many_requests":
		if retryAfter <= 0 {
			retryAfter = 2
		}
		w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
		oauthError(w, http.StatusTooManyRequests, "too_many_requests", "slow down")
	case "malformed":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"data": {"id": "`)
	case "slow_down":
		oauthError(w, http.StatusBadRequest, "slow_down", "slow_down")
	case "unauthorized":
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "the access token is not (yet) known here")
	}
	if outcome != "" {
		s.log(r, endpoint, "fault "+outcome)
	}
	return outcome
}

// Control endpoints ----------------------------------------------------------

// SessionInfo describes a code for /sim/sessions; it never holds the
// authorisation code, which only the kiosk may know.
type SessionInfo struct {
	QRCodeURI string    `json:"qr_code_uri"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	State     string    `json:"state"`
}

func (s *Simulator) sessionInfos() []SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.prune(now)
	out := make([]SessionInfo, 0, len(s.byQR))
	for _, sess := range s.byQR { // a control endpoint: it may walk
		if sess.web != nil || !now.Before(sess.expires) {
			continue // not a QR code, or gone
		}
		out = append(out, SessionInfo{QRCodeURI: s.publicURL() + "/sim/login/" + sess.qrID,
			CreatedAt: sess.created, ExpiresAt: sess.expires, State: string(sess.state)})
	}
	// Newest first; equal times (a coarse clock) keep a stable order by address.
	sortSessions(out)
	return out
}

func (s *Simulator) handleSessions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"sessions": s.sessionInfos()})
}

func (s *Simulator) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, f)
}

func (s *Simulator) handleSetFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "faults: "+err.Error())
		return
	}
	s.SetFaults(f)
	s.handleGetFaults(w, r)
}

func (s *Simulator) handleReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// Helpers ----------------------------------------------------------------------

func (s *Simulator) issuer() string { return strings.TrimRight(s.opts.Issuer, "/") }

func (s *Simulator) publicURL() string {
	if s.opts.PublicURL != "" {
		return strings.TrimRight(s.opts.PublicURL, "/")
	}
	return s.issuer()
}

func (s *Simulator) log(r *http.Request, endpoint, outcome string) {
	s.opts.Logger.Info("simulator", "endpoint", endpoint, "outcome", outcome, "from", r.RemoteAddr)
}

func (s *Simulator) logged(r *http.Request, endpoint, outcome string) string {
	s.log(r, endpoint, outcome)
	return outcome
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// heldAnswer keeps an answer to write later (the slow_token_answers fault).
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newHeldAnswer() *heldAnswer { return &heldAnswer{header: http.Header{}} }

func (h *heldAnswer) Header() http.Header { return h.header }
func (h *heldAnswer) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}
func (h *heldAnswer) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

// writeTo writes the held answer; a client that went away loses it.
func (h *heldAnswer) writeTo(w http.ResponseWriter) {
	maps.Copy(w.Header(), h.header)
	if h.status == 0 {
		h.status = http.StatusOK
	}
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
}

// randomID is 192 random bits, URL-safe.
func randomID() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Server is a simulator listening on an address.
type Server struct {
	URL string // the issuer: http://host:port
	// UserInfoURL is the base (http://host:port, no path) of the host that
	// serves /user_info.json when Options.SeparateUserInfoHost is set; else
	// empty.
	UserInfoURL string
	*Simulator
	server   *http.Server
	userInfo *http.Server // with SeparateUserInfoHost
}

// Listen starts a simulator on addr (e.g. "127.0.0.1:0" for a free port).
// An empty Issuer becomes http://<the address>; on an unspecified address
// (0.0.0.0, ::) the issuer is the loopback address and, unless PublicURL is
// set, the QR codes point at this machine's first LAN address so a phone on
// the same network can open them.
func Listen(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	tcp := ln.Addr().(*net.TCPAddr)
	if opts.Issuer == "" {
		host := tcp.IP.String()
		if tcp.IP.IsUnspecified() {
			host = "127.0.0.1"
		}
		opts.Issuer = "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
	}
	if opts.PublicURL == "" && tcp.IP.IsUnspecified() {
		if lan := firstLANAddress(); lan != "" {
			opts.PublicURL = "http://" + net.JoinHostPort(lan, fmt.Sprint(tcp.Port))
		}
	}
	sim, err := New(opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &Server{URL: sim.issuer(), Simulator: sim,
		server: &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	var userInfoLn net.Listener
	if opts.SeparateUserInfoHost {
		userInfoLn, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("listening for user info: %w", err)
		}
		srv.UserInfoURL = "http://" + userInfoLn.Addr().String()
		sim.userInfoURL = srv.UserInfoURL
		srv.userInfo = &http.Server{Handler: sim.userInfoHandler(), ReadHeaderTimeout: 10 * time.Second}
		go srv.userInfo.Serve(userInfoLn)
	}
	go srv.server.Serve(ln)
	return srv, nil
}

// Close stops the server (and the user info host) at once.
func (s *Server) Close() error {
	err := shutdown(s.server)
	if s.userInfo != nil {
		err = errors.Join(err, shutdown(s.userInfo))
	}
	return err
}

func shutdown(srv *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

func firstLANAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ipnet, ok := a.(*net.IPNet); ok && !ipnet.IP.IsLoopback() && ipnet.IP.To4() != nil {
			return ipnet.IP.String()
		}
	}
	return ""
}
