package auth

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
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
// A program that reads them from a file names them there (platform/config
// maps each field to its key); errors name a setting by its field.
type Settings struct {
	Issuer        string // base URL, e.g. https://auth.digidentity.eu
	AuthorizePath string // QR session request; no discovery field names it
	// TokenPath is "/oauth2/token" or "/oauth2/token.json"; empty: discovery's
	// token_endpoint, else /oauth2/token with a switch to the other spelling
	// when the Trust Centre answers 404.
	TokenPath string
	// UserInfoHost is the scheme and host serving user info; empty means
	// discovery's userinfo_endpoint, else the issuer's.
	UserInfoHost string
	UserInfoPath string // empty: discovery's, else /user_info.json
	// IDTokenIssuer is the iss an ID token must carry; empty means discovery's
	// issuer, else Issuer.
	IDTokenIssuer string
	// JWKSURL is where the ID token's signing keys are; empty means the one
	// the issuer's discovery document names.
	JWKSURL      string
	ClientID     string
	ClientSecret Secret
	// ClientAuth is how the token request authenticates; empty: what
	// discovery lists (basic preferred), else basic.
	ClientAuth   ClientAuth
	ProductScope string
	ExtraScopes  []string
	PollInterval time.Duration
	// QRLifetime is how long a QR code can be scanned, when Digidentity has
	// said so. Zero (the default): unknown, learnt from when the Trust
	// Centre says a code is gone. Either way it only decides when a new code
	// is shown: a code is polled until the Trust Centre says it is gone, or
	// for MaxCodeAge.
	QRLifetime time.Duration
	// MinQRLifetime: while QRLifetime is not known, a code leaves the
	// screen (a new one replaces it) at this age at the latest, so no code
	// stays on screen past its end before the lifetime is learnt; 0 keeps
	// a code until the Trust Centre says it is gone.
	MinQRLifetime time.Duration
	QRRefreshLead time.Duration // a new code is shown this long before the old one expires
	// MaxCodeAge bounds how long any code is polled; while the lifetime is
	// unknown, a code on screen is replaced after half of it.
	MaxCodeAge   time.Duration
	HTTPTimeout  time.Duration // per quick request: QR code, user info, keys, discovery
	TokenTimeout time.Duration // per token poll: an answer cut off may be a used-up approval
	MaxRetryWait time.Duration // cap of the back-off and of Retry-After
	// IdentityRetryLimit bounds how long an issued token's identity (user
	// info, ID-token keys) is retried, within the token's own lifetime.
	IdentityRetryLimit time.Duration

	// The web login (browser, authorization code with PKCE).
	WebAuthorizePath string // empty: discovery's authorization_endpoint, else /oauth2/authorize
	// RedirectURI is the loopback address the browser returns to, e.g.
	// http://127.0.0.1:53682/callback. Empty: a free port and /callback,
	// which only pre-production and the simulator accept.
	RedirectURI string
	// AllowedRedirectURIs are the redirect URIs Digidentity has allowlisted
	// for this client; in production RedirectURI must be one of them.
	AllowedRedirectURIs []string
	WebLoginTimeout     time.Duration
	// WebPromptLogin sends prompt=login: the person authenticates again even
	// if the browser still holds someone's Digidentity session (single
	// sign-on, which a shared kiosk must not give the next person).
	WebPromptLogin bool
	// WebMaxAge is sent as max_age, and an ID token's auth_time must be
	// within it (OIDC Core 3.1.2.1); negative: not sent, not checked.
	WebMaxAge time.Duration
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
	// adds 5 s each); each new code starts again from PollInterval.
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
		AuthorizePath: "/oauth2/authorize.json",
		// BankID's collect interval: a kiosk polls only while someone is
		// signing in (codes on demand), so a short wait costs little.
		PollInterval:       2 * time.Second,
		MinQRLifetime:      15 * time.Second,
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
		if extra != "" && !slices.Contains(scopes, extra) {
			scopes = append(scopes, extra)
		}
	}
	return strings.Join(scopes, " ")
}

func (s Settings) endpoint(path string) string { return strings.TrimRight(s.Issuer, "/") + path }

// SettingError names the setting that is wrong, by its field of Settings
// (e.g. "PollInterval"), and what to do about it. Whoever reads the settings
// names them for its users (platform/config: the file's keys), also where
// the problem or the fix mentions another setting.
type SettingError struct {
	Field        string
	problem, fix text
}

// Problem says what is wrong; name gives the name of each other setting it
// mentions, from its field (nil: the field's name).
func (e *SettingError) Problem(name func(field string) string) string { return e.problem.in(name) }

// Fix says what to do, naming other settings with name as Problem does.
func (e *SettingError) Fix(name func(field string) string) string { return e.fix.in(name) }

func (e *SettingError) Error() string { return e.Field + ": " + e.Problem(nil) + "; " + e.Fix(nil) }

// text is a message whose setting arguments name other settings by field.
type text struct {
	format string
	args   []any
}

// setting, as an argument of a text, is another setting's field.
type setting string

func plain(s string) text                  { return text{"%s", []any{s}} }
func says(format string, args ...any) text { return text{format, args} }

func (t text) in(name func(field string) string) string {
	args := make([]any, len(t.args))
	for i, a := range t.args {
		if f, ok := a.(setting); ok && name != nil {
			a = name(string(f))
		} else if ok {
			a = string(f)
		}
		args[i] = a
	}
	return fmt.Sprintf(t.format, args...)
}

func settingError(field, problem, fix string) error {
	return &SettingError{Field: field, problem: plain(problem), fix: plain(fix)}
}

var productScope = regexp.MustCompile(`^[A-Za-z0-9]{16}$`)

// Validate checks the settings before anything is sent, so a wrong value stops
// the program at start with one message instead of failing at the first login.
func (s Settings) Validate() error {
	bad := settingError
	if err := checkTrustCentreURL("Issuer", s.Issuer, false); err != nil {
		return err
	}
	if s.UserInfoHost != "" {
		if err := checkTrustCentreURL("UserInfoHost", s.UserInfoHost, false); err != nil {
			return err
		}
	}
	if s.JWKSURL != "" {
		if err := checkTrustCentreURL("JWKSURL", s.JWKSURL, true); err != nil {
			return err
		}
	}
	for _, p := range []struct{ field, path string }{
		{"AuthorizePath", s.AuthorizePath}, {"TokenPath", s.TokenPath}, {"UserInfoPath", s.UserInfoPath},
	} {
		if p.path != "" && !strings.HasPrefix(p.path, "/") {
			return bad(p.field, fmt.Sprintf("%q is not a path", p.path), `write it with a leading slash, for example "/oauth2/token"`)
		}
	}
	if s.ClientID == "" {
		return bad("ClientID", "missing", "set it to the client id Digidentity gave your organisation at onboarding")
	}
	switch s.ClientAuth {
	case "", ClientAuthBasic, ClientAuthPost:
		if s.ClientSecret == "" {
			return bad("ClientSecret", "missing", "set it to the client secret Digidentity gave with the client id")
		}
	case ClientAuthNone:
	default:
		return bad("ClientAuth", fmt.Sprintf("%q is not a known method", s.ClientAuth), `use "basic", "post", "none" for a public client, or leave it out to follow discovery`)
	}
	if !productScope.MatchString(s.ProductScope) {
		return bad("ProductScope", fmt.Sprintf("%q is not exactly 16 letters and digits", s.ProductScope),
			"set it to the product scope Digidentity gave at onboarding, for example e9x4a6m254p663l4")
	}
	for _, extra := range s.ExtraScopes {
		if extra == "" || strings.ContainsAny(extra, " \t\"\\") {
			return bad("ExtraScopes", fmt.Sprintf("%q is not a single scope", extra), "list each scope as its own string, without spaces")
		}
	}
	return s.ValidateTimings()
}

// ValidateTimings checks the engine's waits and bounds: what a kiosk on a
// relay needs of its settings too.
func (s Settings) ValidateTimings() error {
	bad := settingError
	for _, d := range []struct {
		field       string
		value       time.Duration
		least, most time.Duration
		fix         string
	}{
		{"PollInterval", s.PollInterval, MinPollInterval, MaxPollInterval, `use "2s" unless Digidentity says otherwise`},
		{"MaxCodeAge", s.MaxCodeAge, time.Minute, time.Hour, `use "10m"`},
		{"HTTPTimeout", s.HTTPTimeout, 100 * time.Millisecond, 2 * time.Minute, `use "10s"`},
		{"TokenTimeout", s.TokenTimeout, time.Second, 5 * time.Minute, `use "60s": a token answer cut off is an approval lost`},
		{"MaxRetryWait", s.MaxRetryWait, time.Second, 10 * time.Minute, `use "30s"`},
		{"IdentityRetryLimit", s.IdentityRetryLimit, 30 * time.Second, time.Hour, `use "10m"`},
	} {
		if d.value < d.least || d.value > d.most {
			return bad(d.field, fmt.Sprintf("%s is outside %s to %s", d.value, d.least, d.most), d.fix)
		}
	}
	if s.QRLifetime != 0 && (s.QRLifetime < 10*time.Second || s.QRLifetime > s.MaxCodeAge) {
		return &SettingError{Field: "QRLifetime", problem: says("%s is outside 10s to %s (%s)", s.QRLifetime, setting("MaxCodeAge"), s.MaxCodeAge),
			fix: plain(`leave it out to learn it from the Trust Centre, or give the lifetime Digidentity states, for example "2m"`)}
	}
	if s.MinQRLifetime != 0 && (s.MinQRLifetime < 10*time.Second || s.MinQRLifetime > s.MaxCodeAge/2) {
		return &SettingError{Field: "MinQRLifetime", problem: says("%s is outside 10s to half of %s (%s)", s.MinQRLifetime, setting("MaxCodeAge"), s.MaxCodeAge),
			fix: plain(`use "15s", or "0s" to keep each code until the Trust Centre says it is gone`)}
	}
	if s.QRLifetime != 0 && s.PollInterval > s.QRLifetime/3 {
		return &SettingError{Field: "PollInterval", problem: says("%s leaves fewer than three polls in %s (%s)", s.PollInterval, setting("QRLifetime"), s.QRLifetime),
			fix: plain(`use "2s"`)}
	}
	if s.QRRefreshLead < 0 || s.QRRefreshLead > time.Minute || (s.QRLifetime != 0 && s.QRRefreshLead > s.QRLifetime/2) {
		return &SettingError{Field: "QRRefreshLead", problem: says("%s is not between 0s and a minute, within half of %s", s.QRRefreshLead, setting("QRLifetime")),
			fix: plain(`use "10s"`)}
	}
	return nil
}

// checkTrustCentreURL refuses anything but https, except on a loopback
// address, where the simulator and test servers run: tokens must never cross
// a network in clear text.
func checkTrustCentreURL(field, raw string, pathAllowed bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return settingError(field, fmt.Sprintf("%q is not a web address", raw), "write it as https://host, for example "+ProductionIssuer)
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return settingError(field, fmt.Sprintf("%q is not https", raw), "use the https address; plain http is only allowed on this machine (127.0.0.1, ::1)")
	}
	if !pathAllowed && strings.Trim(u.Path, "/") != "" {
		return settingError(field, fmt.Sprintf("%q has a path", raw), "give the scheme and host only; paths are separate settings")
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
	bad := func(problem string, fix text) error {
		return &SettingError{Field: "RedirectURI", problem: plain(problem), fix: fix}
	}
	if s.WebAuthorizePath != "" && !strings.HasPrefix(s.WebAuthorizePath, "/") {
		return settingError("WebAuthorizePath", fmt.Sprintf("%q is not a path", s.WebAuthorizePath), `write it with a leading slash, for example "/oauth2/authorize"`)
	}
	if s.WebMaxAge > 24*time.Hour {
		return settingError("WebMaxAge", fmt.Sprintf("%s is over a day", s.WebMaxAge), `use "0s" on a shared kiosk, or "-1s" to send none`)
	}
	if s.WebLoginTimeout < 30*time.Second || s.WebLoginTimeout > time.Hour {
		return settingError("WebLoginTimeout", fmt.Sprintf("%s is outside 30s to 1h", s.WebLoginTimeout), `use "5m"`)
	}
	ask := says("ask Digidentity's implementation team to allowlist a loopback redirect URI such as http://127.0.0.1:53682/callback for client %q, then set %s to it and list it in %s",
		s.ClientID, setting("RedirectURI"), setting("AllowedRedirectURIs"))
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
			plain("use a loopback address as RFC 8252 asks of a desktop app, for example http://127.0.0.1:53682/callback"))
	case u.RawQuery != "" || u.Fragment != "":
		return bad(fmt.Sprintf("%q has a query or fragment", s.RedirectURI), plain("give host, port and path only"))
	case env == EnvProduction && (u.Port() == "" || u.Port() == "0" || strings.Trim(u.Path, "/") == ""):
		return bad(fmt.Sprintf("%q does not fix the port and path", s.RedirectURI), ask)
	case env == EnvProduction && !slices.Contains(s.AllowedRedirectURIs, s.RedirectURI):
		return &SettingError{Field: "RedirectURI", problem: says("%q is not among %s", s.RedirectURI, setting("AllowedRedirectURIs")), fix: ask}
	}
	return nil
}
