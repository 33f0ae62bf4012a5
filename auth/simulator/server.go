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
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
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
	// ProductScopes gives a client its own product scope, by client id, as
	// Digidentity gives each vehicle manufacturer's client its own; a client
	// not named asks for ProductScope.
	ProductScopes map[string]string
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
	sid                         string      // the browser session's id (OIDC's sid), once the browser has one
}

type grant struct {
	persona Persona
	expires time.Time
}

// Simulator is the Trust Centre's state and HTTP handler.
type Simulator struct {
	opts        Options
	keys        lazyKey
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
	s := &Simulator{opts: opts, keys: lazyKey{alg: opts.IDTokenAlg}}
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

// Handle serves h at pattern beside the simulator's own pages: the
// default run mounts the demo repair portal (ui/demo/portal) here, so the
// simulator serves a vehicle manufacturer's page without knowing it.
func (s *Simulator) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

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
