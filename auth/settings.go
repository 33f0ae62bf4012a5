package auth

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Environment is which Trust Centre the kiosk talks to.
type Environment string

const (
	EnvSimulator     Environment = "simulator"
	EnvPreproduction Environment = "preproduction"
	EnvProduction    Environment = "production"
)

// ClientAuth is how the kiosk authenticates to the token endpoint.
type ClientAuth string

const (
	ClientAuthBasic ClientAuth = "basic" // HTTP Basic, as Digidentity's examples do
	ClientAuthPost  ClientAuth = "post"  // client_id and client_secret as form fields
	// ClientAuthNone is a public client: no secret, only client_id; PKCE
	// protects the code. Only Digidentity can say whether a client is public.
	ClientAuthNone ClientAuth = "none"
)

// Settings is everything the engine needs to know about one Trust Centre.
// Digidentity publishes little, so every path, host and timing is a setting.
// An empty endpoint setting means: what the Trust Centre's discovery
// document says, else the fallback its documentation suggests (see
// Endpoints). A setting that is given always wins over discovery.
// The toml tags are the setting names a person writes in config.toml.
type Settings struct {
	Issuer        string `toml:"issuer"`         // base URL, e.g. https://auth.digidentity.eu
	AuthorizePath string `toml:"authorize_path"` // QR session request; no discovery field names it
	// TokenPath is "/oauth2/token" or "/oauth2/token.json"; empty: discovery's
	// token_endpoint, else /oauth2/token with a switch to the other spelling
	// when the Trust Centre answers 404.
	TokenPath string `toml:"token_path"`
	// UserInfoHost is the scheme and host serving user info; empty means
	// discovery's userinfo_endpoint, else the issuer's.
	UserInfoHost string `toml:"user_info_host"`
	UserInfoPath string `toml:"user_info_path"` // empty: discovery's, else /user_info.json
	// IDTokenIssuer is the iss an ID token must carry; empty means discovery's
	// issuer, else Issuer.
	IDTokenIssuer string `toml:"id_token_issuer"`
	// JWKSURL is where the ID token's signing keys are; empty means the one
	// the issuer's discovery document names.
	JWKSURL      string `toml:"jwks_url"`
	ClientID     string `toml:"client_id"`
	ClientSecret Secret `toml:"client_secret"`
	// ClientAuth is how the token request authenticates; empty: what
	// discovery lists (basic preferred), else basic.
	ClientAuth   ClientAuth    `toml:"client_auth"`
	ProductScope string        `toml:"product_scope"`
	ExtraScopes  []string      `toml:"extra_scopes"`
	PollInterval time.Duration `toml:"poll_interval"`
	// QRLifetime is how long a QR code can be scanned, when Digidentity has
	// said so. Zero (the default): unknown, learnt from when the Trust
	// Centre says a code is gone. Either way it only decides when a new code
	// is shown: a code is polled until the Trust Centre says it is gone, or
	// for MaxCodeAge.
	QRLifetime    time.Duration `toml:"qr_lifetime"`
	QRRefreshLead time.Duration `toml:"qr_refresh_lead"` // a new code is shown this long before the old one expires
	// MaxCodeAge bounds how long any code is polled; while the lifetime is
	// unknown, a code on screen is replaced after half of it.
	MaxCodeAge   time.Duration `toml:"max_code_age"`
	HTTPTimeout  time.Duration `toml:"http_timeout"`   // per quick request: QR code, user info, keys, discovery
	TokenTimeout time.Duration `toml:"token_timeout"`  // per token poll: an answer cut off may be a used-up approval
	MaxRetryWait time.Duration `toml:"max_retry_wait"` // cap of the back-off and of Retry-After
	// IdentityRetryLimit bounds how long an issued token's identity (user
	// info, ID-token keys) is retried, within the token's own lifetime.
	IdentityRetryLimit time.Duration `toml:"identity_retry_limit"`

	// The web login (browser, authorization code with PKCE).
	WebAuthorizePath string `toml:"web_authorize_path"` // empty: discovery's authorization_endpoint, else /oauth2/authorize
	// RedirectURI is the loopback address the browser returns to, e.g.
	// http://127.0.0.1:53682/callback. Empty: a free port and /callback,
	// which only pre-production and the simulator accept.
	RedirectURI string `toml:"redirect_uri"`
	// AllowedRedirectURIs are the redirect URIs Digidentity has allowlisted
	// for this client; in production RedirectURI must be one of them.
	AllowedRedirectURIs []string      `toml:"allowed_redirect_uris"`
	WebLoginTimeout     time.Duration `toml:"web_login_timeout"`
	// WebPromptLogin sends prompt=login: the person authenticates again even
	// if the browser still holds someone's Digidentity session (single
	// sign-on, which a shared kiosk must not give the next person).
	WebPromptLogin bool `toml:"web_prompt_login"`
	// WebMaxAge is sent as max_age, and an ID token's auth_time must be
	// within it (OIDC Core 3.1.2.1); negative: not sent, not checked.
	WebMaxAge time.Duration `toml:"web_max_age"`
}

// Hosts of Digidentity's environments.
const (
	PreproductionIssuer = "https://auth.digidentity-preproduction.eu"
	ProductionIssuer    = "https://auth.digidentity.eu"
)

// Bounds of the timings, so that polling stays meaningful: a poll interval
// well under any code's lifetime, and waits in minutes, not hours.
const (
	MinPollInterval = time.Second      // faster gains nothing a person notices and loads Digidentity
	MaxPollInterval = 15 * time.Second // a person who approved waits at most this long
	// MaxSlowDownInterval caps what slow_down answers add up to (RFC 8628
	// adds 5 s each); each new code starts again from poll_interval.
	MaxSlowDownInterval = 30 * time.Second
	// MaxLiveCodes is how many codes are polled at once: the one on screen
	// and those it replaced that the Trust Centre may still hold.
	MaxLiveCodes = 3
)

// Fallbacks where neither a setting nor discovery names an endpoint.
const (
	FallbackTokenPath        = "/oauth2/token"
	FallbackTokenPathJSON    = "/oauth2/token.json"
	FallbackUserInfoPath     = "/user_info.json"
	FallbackWebAuthorizePath = "/oauth2/authorize"
)

// DefaultSettings returns the defaults for an environment. For the simulator
// the issuer is left empty: the program fills in its embedded simulator's address.
func DefaultSettings(env Environment) Settings {
	s := Settings{
		AuthorizePath:      "/oauth2/authorize.json",
		PollInterval:       5 * time.Second,
		QRRefreshLead:      10 * time.Second,
		MaxCodeAge:         10 * time.Minute,
		HTTPTimeout:        10 * time.Second,
		TokenTimeout:       60 * time.Second,
		MaxRetryWait:       30 * time.Second,
		IdentityRetryLimit: 10 * time.Minute,
		WebLoginTimeout:    5 * time.Minute,
		WebPromptLogin:     true,
		WebMaxAge:          0, // authenticated for this sign-in, not before
	}
	switch env {
	case EnvPreproduction:
		s.Issuer = PreproductionIssuer
	case EnvProduction:
		s.Issuer = ProductionIssuer
	}
	return s
}

// Scope is what the authorisation request asks for: the product scope, then
// openid (for user info) and sermi (for the UIDs), then any extra scopes.
func (s Settings) Scope() string {
	scopes := []string{s.ProductScope, "openid", "sermi"}
	for _, extra := range s.ExtraScopes {
		if extra != "" && !contains(scopes, extra) {
			scopes = append(scopes, extra)
		}
	}
	return strings.Join(scopes, " ")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (s Settings) endpoint(path string) string { return strings.TrimRight(s.Issuer, "/") + path }

// SettingError names the setting that is wrong and what to do about it.
type SettingError struct {
	Key     string // the setting's name, as in config.toml
	Problem string
	Fix     string
}

func (e *SettingError) Error() string { return e.Key + ": " + e.Problem + "; " + e.Fix }

var productScope = regexp.MustCompile(`^[A-Za-z0-9]{16}$`)

// Validate checks the settings before anything is sent, so a wrong value stops
// the program at start with one message instead of failing at the first login.
func (s Settings) Validate() error {
	bad := func(key, problem, fix string) error { return &SettingError{Key: key, Problem: problem, Fix: fix} }
	if err := checkTrustCentreURL("issuer", s.Issuer, false); err != nil {
		return err
	}
	if s.UserInfoHost != "" {
		if err := checkTrustCentreURL("user_info_host", s.UserInfoHost, false); err != nil {
			return err
		}
	}
	if s.JWKSURL != "" {
		if err := checkTrustCentreURL("jwks_url", s.JWKSURL, true); err != nil {
			return err
		}
	}
	for _, p := range []struct{ key, path string }{
		{"authorize_path", s.AuthorizePath}, {"token_path", s.TokenPath}, {"user_info_path", s.UserInfoPath},
	} {
		if p.path != "" && !strings.HasPrefix(p.path, "/") {
			return bad(p.key, fmt.Sprintf("%q is not a path", p.path), `write it with a leading slash, for example "/oauth2/token"`)
		}
	}
	if s.ClientID == "" {
		return bad("client_id", "missing", "set it to the client id Digidentity gave your organisation at onboarding")
	}
	switch s.ClientAuth {
	case "", ClientAuthBasic, ClientAuthPost:
		if s.ClientSecret == "" {
			return bad("client_secret", "missing", "set it to the client secret Digidentity gave with the client id")
		}
	case ClientAuthNone:
	default:
		return bad("client_auth", fmt.Sprintf("%q is not a known method", s.ClientAuth), `use "basic", "post", "none" for a public client, or leave it out to follow discovery`)
	}
	if !productScope.MatchString(s.ProductScope) {
		return bad("product_scope", fmt.Sprintf("%q is not exactly 16 letters and digits", s.ProductScope),
			"set it to the product scope Digidentity gave at onboarding, for example e9x4a6m254p663l4")
	}
	for _, extra := range s.ExtraScopes {
		if extra == "" || strings.ContainsAny(extra, " \t\"\\") {
			return bad("extra_scopes", fmt.Sprintf("%q is not a single scope", extra), "list each scope as its own string, without spaces")
		}
	}
	for _, d := range []struct {
		key         string
		value       time.Duration
		least, most time.Duration
		fix         string
	}{
		{"poll_interval", s.PollInterval, MinPollInterval, MaxPollInterval, `use "5s" unless Digidentity says otherwise`},
		{"max_code_age", s.MaxCodeAge, time.Minute, time.Hour, `use "10m"`},
		{"http_timeout", s.HTTPTimeout, 100 * time.Millisecond, 2 * time.Minute, `use "10s"`},
		{"token_timeout", s.TokenTimeout, time.Second, 5 * time.Minute, `use "60s": a token answer cut off is an approval lost`},
		{"max_retry_wait", s.MaxRetryWait, time.Second, 10 * time.Minute, `use "30s"`},
		{"identity_retry_limit", s.IdentityRetryLimit, 30 * time.Second, time.Hour, `use "10m"`},
	} {
		if d.value < d.least || d.value > d.most {
			return bad(d.key, fmt.Sprintf("%s is outside %s to %s", d.value, d.least, d.most), d.fix)
		}
	}
	if s.QRLifetime != 0 && (s.QRLifetime < 10*time.Second || s.QRLifetime > s.MaxCodeAge) {
		return bad("qr_lifetime", fmt.Sprintf("%s is outside 10s to max_code_age (%s)", s.QRLifetime, s.MaxCodeAge),
			`leave it out to learn it from the Trust Centre, or give the lifetime Digidentity states, for example "2m"`)
	}
	if s.QRLifetime != 0 && s.PollInterval > s.QRLifetime/3 {
		return bad("poll_interval", fmt.Sprintf("%s leaves fewer than three polls in qr_lifetime (%s)", s.PollInterval, s.QRLifetime), `use "5s"`)
	}
	if s.QRRefreshLead < 0 || s.QRRefreshLead > time.Minute || (s.QRLifetime != 0 && s.QRRefreshLead > s.QRLifetime/2) {
		return bad("qr_refresh_lead", fmt.Sprintf("%s is not between 0s and a minute, within half of qr_lifetime", s.QRRefreshLead), `use "10s"`)
	}
	return nil
}

// checkTrustCentreURL refuses anything but https, except on a loopback
// address, where the simulator and test servers run: tokens must never cross
// a network in clear text.
func checkTrustCentreURL(key, raw string, pathAllowed bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return &SettingError{Key: key, Problem: fmt.Sprintf("%q is not a web address", raw),
			Fix: "write it as https://host, for example " + ProductionIssuer}
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return &SettingError{Key: key, Problem: fmt.Sprintf("%q is not https", raw),
			Fix: "use the https address; plain http is only allowed on this machine (127.0.0.1, ::1)"}
	}
	if !pathAllowed && strings.Trim(u.Path, "/") != "" {
		return &SettingError{Key: key, Problem: fmt.Sprintf("%q has a path", raw),
			Fix: "give the scheme and host only; paths are separate settings"}
	}
	return nil
}

// IsLoopbackHost reports whether host is this machine: localhost or a
// loopback IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ValidateWeb checks the web login's settings for an environment. In
// production the redirect URI must be fixed (host, port and path) and one
// Digidentity has allowlisted: an unlisted one fails at the first sign-in,
// in front of a technician, so the program refuses to start instead.
func (s Settings) ValidateWeb(env Environment) error {
	bad := func(problem, fix string) error { return &SettingError{Key: "redirect_uri", Problem: problem, Fix: fix} }
	if s.WebAuthorizePath != "" && !strings.HasPrefix(s.WebAuthorizePath, "/") {
		return &SettingError{Key: "web_authorize_path", Problem: fmt.Sprintf("%q is not a path", s.WebAuthorizePath), Fix: `write it with a leading slash, for example "/oauth2/authorize"`}
	}
	if s.WebMaxAge > 24*time.Hour {
		return &SettingError{Key: "web_max_age", Problem: fmt.Sprintf("%s is over a day", s.WebMaxAge), Fix: `use "0s" on a shared kiosk, or "-1s" to send none`}
	}
	if s.WebLoginTimeout < 30*time.Second || s.WebLoginTimeout > time.Hour {
		return &SettingError{Key: "web_login_timeout", Problem: fmt.Sprintf("%s is outside 30s to 1h", s.WebLoginTimeout), Fix: `use "5m"`}
	}
	ask := fmt.Sprintf("ask Digidentity's implementation team to allowlist a loopback redirect URI such as http://127.0.0.1:53682/callback for client %q, then set trust_centre.redirect_uri to it and list it in trust_centre.allowed_redirect_uris", s.ClientID)
	if s.RedirectURI == "" {
		if env == EnvProduction {
			return bad("not set, and production needs a fixed, allowlisted one", ask)
		}
		return nil
	}
	u, err := url.Parse(s.RedirectURI)
	switch {
	case err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1"):
		return bad(fmt.Sprintf("%q is not http on 127.0.0.1 or [::1]", s.RedirectURI),
			"use a loopback address as RFC 8252 asks of a desktop app, for example http://127.0.0.1:53682/callback")
	case u.RawQuery != "" || u.Fragment != "":
		return bad(fmt.Sprintf("%q has a query or fragment", s.RedirectURI), "give host, port and path only")
	case env == EnvProduction && (u.Port() == "" || u.Port() == "0" || strings.Trim(u.Path, "/") == ""):
		return bad(fmt.Sprintf("%q does not fix the port and path", s.RedirectURI), ask)
	case env == EnvProduction && !contains(s.AllowedRedirectURIs, s.RedirectURI):
		return bad(fmt.Sprintf("%q is not among allowed_redirect_uris", s.RedirectURI), ask)
	}
	return nil
}
