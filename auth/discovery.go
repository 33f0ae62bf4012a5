package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Discovery is what a Trust Centre's /.well-known/openid-configuration says,
// as far as the kiosk uses it. Digidentity names the document but publishes
// no copy of it, so nothing here is assumed: where it answers, it settles
// the token path's spelling, the user-info host, the keys and the algorithms.
type Discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	UserInfoEndpoint      string   `json:"userinfo_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	SigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
	AuthMethods           []string `json:"token_endpoint_auth_methods_supported"`
	PKCEMethods           []string `json:"code_challenge_methods_supported"`
}

// DiscoveryPath is where OpenID Connect Discovery 1.0 puts the document.
const DiscoveryPath = "/.well-known/openid-configuration"

// Discover reads the Trust Centre's discovery document. A Trust Centre
// without one answers 404: that is ErrNoDiscovery, not a failure.
func Discover(ctx context.Context, s Settings, client *http.Client) (*Discovery, error) {
	ctx, cancel := context.WithTimeout(ctx, s.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint(DiscoveryPath), nil)
	if err != nil {
		return nil, fail(verdictFailed, MsgUnexpected, "building the discovery request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	status, header, body, err := (&httpTrustCentre{client: client}).do(req, "discovery request")
	if err != nil {
		return nil, err
	}
	if status == http.StatusNotFound || status == http.StatusGone {
		return nil, ErrNoDiscovery
	}
	if status != http.StatusOK {
		return nil, classifyError("discovery request", status, header, body)
	}
	var d Discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, &callError{verdict: verdictFailed, err: NewError(MsgUnexpected, err, "the discovery document is not valid JSON")}
	}
	// Every address it names must be one the kiosk would accept as a setting:
	// https, or http on this machine only.
	for _, e := range []struct{ name, url string }{
		{"issuer", d.Issuer}, {"authorization_endpoint", d.AuthorizationEndpoint}, {"token_endpoint", d.TokenEndpoint},
		{"userinfo_endpoint", d.UserInfoEndpoint}, {"jwks_uri", d.JWKSURI},
	} {
		if e.url == "" {
			continue
		}
		if err := checkTrustCentreURL(e.name, e.url, true); err != nil {
			return nil, fail(verdictFailed, MsgUnexpected, "the discovery document's %s is unusable: %v", e.name, err)
		}
	}
	return &d, nil
}

// ErrNoDiscovery says the Trust Centre has no discovery document.
var ErrNoDiscovery = NewError(MsgUnexpected, nil, "the Trust Centre has no discovery document (HTTP 404)")

// Endpoints are the addresses and methods the kiosk uses, each from its
// setting, else from discovery, else the fallback; Source says which.
type Endpoints struct {
	QRAuthorize   string // passwordless authorize.json: settings only
	Token         string
	UserInfo      string
	JWKS          string // empty: none known, so an ID token cannot be checked
	WebAuthorize  string
	IDTokenIssuer string
	SigningAlgs   []string
	ClientAuth    ClientAuth
	// TokenGuessed is set when neither a setting nor discovery named the token
	// path: a 404 there switches to the other spelling.
	TokenGuessed bool
	// DiscoveryDown is set when the discovery document could not be read
	// (not: there is none), so a missing key set may only be missing for now.
	DiscoveryDown bool
	Source        map[string]string // endpoint name → "setting", "discovery" or "fallback"
}

// signingAlgs are the ID-token algorithms accepted when discovery does not
// list them: asymmetric ones only (never "none" or a shared-secret HMAC).
var signingAlgs = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}

// Resolve chooses each endpoint: the setting where given, else what d says
// (d may be nil), else the fallback.
func (s Settings) Resolve(d *Discovery) Endpoints {
	if d == nil {
		d = &Discovery{}
	}
	e := Endpoints{QRAuthorize: s.endpoint(s.AuthorizePath), Source: map[string]string{}}
	pick := func(name, setting, discovered, fallback string) string {
		switch {
		case setting != "":
			e.Source[name] = "setting"
			return setting
		case discovered != "":
			e.Source[name] = "discovery"
			return discovered
		}
		e.Source[name] = "fallback"
		return fallback
	}
	var tokenSetting, userInfoSetting, webSetting string
	if s.TokenPath != "" {
		tokenSetting = s.endpoint(s.TokenPath)
	}
	if s.UserInfoHost != "" || s.UserInfoPath != "" {
		host, path := s.UserInfoHost, s.UserInfoPath
		if host == "" {
			host = s.Issuer
		}
		if path == "" {
			path = FallbackUserInfoPath
		}
		userInfoSetting = strings.TrimRight(host, "/") + path
	}
	if s.WebAuthorizePath != "" {
		webSetting = s.endpoint(s.WebAuthorizePath)
	}
	e.Token = pick("token", tokenSetting, d.TokenEndpoint, s.endpoint(FallbackTokenPath))
	e.TokenGuessed = e.Source["token"] == "fallback"
	e.UserInfo = pick("user_info", userInfoSetting, d.UserInfoEndpoint, s.endpoint(FallbackUserInfoPath))
	e.JWKS = pick("jwks", s.JWKSURL, d.JWKSURI, "")
	e.WebAuthorize = pick("web_authorize", webSetting, d.AuthorizationEndpoint, s.endpoint(FallbackWebAuthorizePath))
	e.IDTokenIssuer = pick("id_token_issuer", s.IDTokenIssuer, d.Issuer, strings.TrimRight(s.Issuer, "/"))

	e.SigningAlgs = signingAlgs
	e.Source["signing_algs"] = "fallback"
	if len(d.SigningAlgs) > 0 {
		var algs []string
		for _, a := range d.SigningAlgs {
			if slices.Contains(signingAlgs, a) {
				algs = append(algs, a)
			}
		}
		if len(algs) > 0 {
			e.SigningAlgs, e.Source["signing_algs"] = algs, "discovery"
		}
	}

	e.ClientAuth = s.ClientAuth
	e.Source["client_auth"] = "setting"
	if e.ClientAuth == "" {
		e.ClientAuth, e.Source["client_auth"] = ClientAuthBasic, "fallback"
		switch {
		case len(d.AuthMethods) == 0:
		case slices.Contains(d.AuthMethods, "client_secret_basic"):
			e.Source["client_auth"] = "discovery"
		case slices.Contains(d.AuthMethods, "client_secret_post"):
			e.ClientAuth, e.Source["client_auth"] = ClientAuthPost, "discovery"
		}
	}
	return e
}

// otherTokenSpelling is the token path Digidentity's pages and third-party
// code disagree about: /oauth2/token and /oauth2/token.json.
func otherTokenSpelling(u string) string {
	if t, ok := strings.CutSuffix(u, ".json"); ok {
		return t
	}
	return u + ".json"
}

// directory finds the endpoints once and keeps them: discovery is read at
// the first sign-in and again an hour later, or sooner after it failed, so
// a Trust Centre that was down at start is learnt when it is back.
type directory struct {
	settings Settings
	client   *http.Client
	now      func() time.Time

	mu        sync.Mutex
	endpoints *Endpoints
	found     *Discovery
	err       error // the last discovery failure, for the check command and the log
	until     time.Time
	reading   bool // a caller is reading discovery again, without mu
	// tokenSwitched records that a guessed token path answered 404 and the
	// other spelling is used.
	tokenSwitched bool
}

func (d *directory) get(ctx context.Context) Endpoints {
	d.mu.Lock()
	now := d.now()
	if d.endpoints != nil && (now.Before(d.until) || d.reading) {
		defer d.mu.Unlock()
		return *d.endpoints
	}
	if d.endpoints == nil {
		// Nothing known yet: every caller needs this first read.
		defer d.mu.Unlock()
		found, err := Discover(ctx, d.settings, d.client)
		d.keep(now, found, err)
		return *d.endpoints
	}
	// Due again: one caller reads it, without the lock, while the others
	// (a relay's thousands of polls) go on with what is known.
	d.reading = true
	d.mu.Unlock()
	found, err := Discover(ctx, d.settings, d.client)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reading = false
	d.keep(now, found, err)
	return *d.endpoints
}

// keep takes in the result of a discovery read made at now; the caller
// holds mu.
func (d *directory) keep(now time.Time, found *Discovery, err error) {
	switch {
	case err == nil:
		d.until = now.Add(time.Hour)
	case err == ErrNoDiscovery:
		d.until = now.Add(time.Hour)
	default:
		d.until = now.Add(time.Minute) // down or unreadable: the fallbacks now, discovery again soon
	}
	if err == nil || d.endpoints == nil {
		d.found = found
		e := d.settings.Resolve(found)
		if d.tokenSwitched && e.TokenGuessed {
			e.Token = otherTokenSpelling(e.Token)
		}
		d.endpoints = &e
	}
	d.endpoints.DiscoveryDown = err != nil && err != ErrNoDiscovery && d.found == nil
	d.err = err
}

// switchTokenSpelling is called after a guessed token path answered 404;
// it returns the other spelling, or "" when the path was not a guess.
func (d *directory) switchTokenSpelling(tried string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.endpoints == nil || !d.endpoints.TokenGuessed || d.endpoints.Token != tried {
		return ""
	}
	d.tokenSwitched = !d.tokenSwitched
	d.endpoints.Token = otherTokenSpelling(tried)
	return d.endpoints.Token
}

// Describe says in one line what discovery found, for workshop-login check.
func (e Endpoints) Describe() string {
	return fmt.Sprintf("token %s (%s), user info %s (%s), keys %s (%s), ID-token algorithms %s, client authentication %s (%s)",
		e.Token, e.Source["token"], e.UserInfo, e.Source["user_info"], orNone(e.JWKS), e.Source["jwks"],
		strings.Join(e.SigningAlgs, " "), e.ClientAuth, e.Source["client_auth"])
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
