// Package portal is the demo repair portal: what a vehicle manufacturer's
// portal does with the kiosk's hand-off on a relay, in small, as a plain
// http.Handler that the default run mounts beside the Trust Centre
// simulator. The kiosk's browser posts an HTML form to Path with the
// relay's signed identity in "assertion" (the identity's other fields and
// expires_at beside it are display-only, and ignored here); the portal verifies it against the relay's published
// keys and welcomes the person, once: a second post of the same assertion
// (its jti) is refused, as a real portal must refuse it.
package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/workshop-login/workshop-login/auth/assertion"
)

// Path is where the default run serves the demo repair portal.
const Path = "/portal"

// Limits of the portal.
const (
	// maxPortalForm bounds a hand-off: an assertion of about a kilobyte and
	// the identity's fields.
	maxPortalForm = 16 << 10
	// maxUsedHandoffs bounds the assertions remembered as used: each is
	// kept until it expires (5 minutes at the relay's default), so this
	// holds 33 hand-offs a second; past it, new ones are refused rather
	// than a remembered one forgotten, which would let it be used again.
	maxUsedHandoffs = 10000
	// relayTimeout bounds reading the relay's info.
	relayTimeout = 10 * time.Second
)

// Options configure a Portal.
type Options struct {
	// RelayURL is the base address of the relay whose signed identities
	// the portal accepts: https, or http on loopback. Empty, the portal
	// refuses every hand-off until SetRelayURL names one.
	RelayURL string
	// Now is the portal's clock; default time.Now.
	Now func() time.Time
	// Logger receives one line per request; it never sees an assertion.
	Logger *slog.Logger
}

// Portal is the demo repair portal. Its state is its own, apart from the
// Trust Centre simulator's: a reset of the simulator does not make a used
// hand-off usable again.
type Portal struct {
	client *http.Client // one per portal: assertion caches the relay's keys per client
	now    func() time.Time
	logger *slog.Logger

	mu       sync.Mutex
	relayURL string
	// others are more relays, one per demo manufacturer: the portal
	// address of the n-th (from 1) carries ?relay=n (AddRelayURL).
	others []string
	used   usedHandoffs
}

// ValidRelayURL checks a relay's base address for the portal: https, or
// http on this machine only, where nobody else can answer in its place.
func ValidRelayURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("the relay's address %q is not an http or https address, for example http://127.0.0.1:8788", raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("the relay's address %q is plain http off this machine: use https", raw)
	}
	return nil
}

// New is a portal trusting opts.RelayURL.
func New(opts Options) (*Portal, error) {
	if opts.RelayURL != "" {
		if err := ValidRelayURL(opts.RelayURL); err != nil {
			return nil, fmt.Errorf("portal: RelayURL: %w", err)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Portal{client: &http.Client{Timeout: relayTimeout}, now: opts.Now, logger: opts.Logger,
		relayURL: strings.TrimRight(opts.RelayURL, "/")}, nil
}

func (p *Portal) log(r *http.Request, outcome string) {
	p.logger.Info("portal", "outcome", outcome, "from", r.RemoteAddr)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SetRelayURL names the relay whose assertions the demo portal accepts,
// once it is listening (an embedded relay starts after the simulator it
// stands in front of); "" makes the portal refuse every hand-off.
func (p *Portal) SetRelayURL(raw string) error {
	if raw != "" {
		if err := ValidRelayURL(raw); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.relayURL = strings.TrimRight(raw, "/")
	return nil
}

// AddRelayURL adds the relay of another demo manufacturer, and returns
// the portal's hand-off address for it: a hand-off there is checked
// against that relay only, so one manufacturer's portal never accepts
// what another's relay signed.
func (p *Portal) AddRelayURL(raw string) (string, error) {
	if err := ValidRelayURL(raw); err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.others = append(p.others, strings.TrimRight(raw, "/"))
	return fmt.Sprintf("%s?relay=%d", Path, len(p.others)), nil
}

// relayFor is the relay a hand-off to r must come from: the one of its
// ?relay=n, else the first.
func (p *Portal) relayFor(r *http.Request) string {
	n, err := strconv.Atoi(r.URL.Query().Get("relay"))
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil || n < 1 {
		return p.relayURL
	}
	if n > len(p.others) {
		return ""
	}
	return p.others[n-1]
}

// RelayURL is the relay the demo portal trusts, or "".
func (p *Portal) RelayURL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.relayURL
}

// relayInfo is what the portal reads from the relay's /v1/info (auth.RelayInfo;
// the portal does not import the engine).
type relayInfo struct {
	APIVersion int    `json:"api_version"`
	Issuer     string `json:"issuer"`
	Audience   string `json:"audience"`
	JWKSURI    string `json:"jwks_uri"`
}

// relayInfoPath is the relay's info (auth.RelayPathInfo).
const relayInfoPath = "/v1/info"

func (p *Portal) readRelayInfo(ctx context.Context, base string) (relayInfo, error) {
	var info relayInfo
	ctx, cancel := context.WithTimeout(ctx, relayTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+relayInfoPath, nil)
	if err != nil {
		return info, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return info, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return info, err
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &info) != nil || info.Issuer == "" || info.Audience == "" || info.JWKSURI == "" {
		return info, fmt.Errorf("%s answered %s without the issuer, audience and key set", relayInfoPath, resp.Status)
	}
	if info.APIVersion != 1 {
		return info, fmt.Errorf("the relay speaks API version %d; this portal knows version 1", info.APIVersion)
	}
	return info, nil
}

// usedHandoffs remembers accepted assertions by jti until they could no
// longer verify (their exp plus the clock skew Verify allows).
type usedHandoffs struct {
	until map[string]time.Time
}

// take records id as used until then, and says whether it was new; full
// says it was not recorded because maxUsedHandoffs are remembered and none
// has expired.
func (u *usedHandoffs) take(id string, until, now time.Time) (fresh, full bool) {
	if u.until == nil {
		u.until = map[string]time.Time{}
	}
	if end, ok := u.until[id]; ok && now.Before(end) {
		return false, false
	}
	if len(u.until) >= maxUsedHandoffs {
		for k, end := range u.until {
			if !now.Before(end) {
				delete(u.until, k)
			}
		}
		if len(u.until) >= maxUsedHandoffs {
			return false, true
		}
	}
	u.until[id] = until
	return true, false
}

// ServeHTTP serves the portal's page (GET) and takes hand-offs (POST).
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		p.log(r, "page")
		p.portalPage(w, http.StatusOK, portalData{Title: "Demo repair portal", Heading: "Demo repair portal",
			Paragraphs: []string{"This page opens from the kiosk: sign in there, then press its repair portal button. " +
				"The kiosk hands over who signed in, signed by its relay, and this portal checks that signature."}})
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		p.log(r, "method_not_allowed")
		p.portalPage(w, http.StatusMethodNotAllowed, portalData{Title: "Demo repair portal", Heading: "Demo repair portal",
			Paragraphs: []string{"Open this page from the kiosk's repair portal button."}})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPortalForm)
	if err := r.ParseForm(); err != nil {
		p.portalRefusal(w, r, http.StatusBadRequest, "unreadable", "The hand-off cannot be read",
			"What the browser sent is not the kiosk's hand-off form.")
		return
	}
	raw := r.PostForm.Get("assertion")
	if raw == "" {
		why := "The kiosk sent no signed identity (no assertion)."
		if r.PostForm.Get("access_token") != "" {
			why = "The kiosk sent Digidentity's access token instead of a signed identity: it signs in without a relay. " +
				"This portal accepts only what a relay signed."
		}
		p.portalRefusal(w, r, http.StatusUnauthorized, "no_assertion", "Not signed in: no signed identity", why)
		return
	}
	relayURL := p.relayFor(r)
	if relayURL == "" {
		p.portalRefusal(w, r, http.StatusForbidden, "no_relay", "Not signed in: this portal trusts no relay",
			"The portal has no relay to check signatures against, so it accepts no hand-off. "+
				"Start the simulator with --relay-url (make run does this for its embedded relay).")
		return
	}
	info, err := p.readRelayInfo(r.Context(), relayURL)
	if err != nil {
		p.portalRefusal(w, r, http.StatusBadGateway, "relay_unreachable", "Not signed in: the relay cannot be reached",
			fmt.Sprintf("The portal cannot read how to check signatures from the relay at %s (%v).", relayURL, err))
		return
	}
	now := p.now()
	id, err := assertion.Verify(r.Context(), raw, assertion.Options{JWKSURL: info.JWKSURI, Issuer: info.Issuer,
		Audience: info.Audience, HTTPClient: p.client, Now: p.now})
	if err != nil {
		status, outcome, why := portalWhy(err)
		p.portalRefusal(w, r, status, outcome, "Not signed in: the signed identity is refused", why)
		return
	}
	p.mu.Lock()
	fresh, full := p.used.take(id.ID, id.Expiry.Add(assertion.DefaultLeeway), now)
	p.mu.Unlock()
	switch {
	case full:
		w.Header().Set("Retry-After", "60")
		p.portalRefusal(w, r, http.StatusServiceUnavailable, "busy", "Too many hand-offs at once",
			"The portal remembers every hand-off until it expires, and cannot take more now. Try again in a minute.")
		return
	case !fresh:
		p.log(r, "replayed")
		p.portalPage(w, http.StatusForbidden, portalData{Title: "Hand-off already used", Class: "bad",
			Heading: "This hand-off has already been used",
			Paragraphs: []string{
				"Each hand-off from the kiosk works once, so that a copy (from this browser's history, or seen on its way) cannot sign anyone in again.",
				"Go back to the kiosk and press the repair portal button for a new one.",
			}})
		return
	}
	p.log(r, "verified")
	p.portalPage(w, http.StatusOK, welcome(id, info.Audience, now))
}

// portalWhy is the status, the log's outcome and the page's words for an
// assertion Verify refused: 401 for one that is not a valid signed
// identity, 403 for a valid one meant for someone else, 502 when the
// relay's keys cannot be read.
func portalWhy(err error) (int, string, string) {
	switch {
	case errors.Is(err, assertion.ErrKeys):
		return http.StatusBadGateway, "relay_keys_unreadable", "The relay's keys cannot be read, so the signature cannot be checked."
	case errors.Is(err, assertion.ErrAudience):
		return http.StatusForbidden, "wrong_audience", "It was signed for another tool or portal, not for this one."
	case errors.Is(err, assertion.ErrIssuer):
		return http.StatusForbidden, "wrong_issuer", "It was signed by another relay than the one this portal trusts."
	case errors.Is(err, assertion.ErrExpired):
		return http.StatusUnauthorized, "expired", "It has expired: a hand-off is valid for a few minutes only."
	case errors.Is(err, assertion.ErrNotYet):
		return http.StatusUnauthorized, "not_yet_valid", "It is dated in the future: a clock is wrong, the kiosk's relay's or this portal's."
	case errors.Is(err, assertion.ErrSignature), errors.Is(err, assertion.ErrUnknownKey):
		return http.StatusUnauthorized, "bad_signature", "Its signature does not match the relay's keys: it was changed after it was signed, or the relay did not sign it."
	}
	return http.StatusUnauthorized, "malformed", "It is not a signed identity from a Workshop Login relay."
}

func (p *Portal) portalRefusal(w http.ResponseWriter, r *http.Request, status int, outcome, heading, why string) {
	p.log(r, outcome)
	p.portalPage(w, status, portalData{Title: heading, Heading: heading, Class: "bad", Paragraphs: []string{why,
		"What this means: the portal shows nothing of any vehicle. Go back to the kiosk and press the repair portal " +
			"button again; if this happens again, tell your administrator."}})
}
