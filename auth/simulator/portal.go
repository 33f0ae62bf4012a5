package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/workshop-login/workshop-login/auth/assertion"
	"github.com/workshop-login/workshop-login/auth/webpage"
)

// The demo repair portal: what a vehicle manufacturer's portal does with
// the kiosk's hand-off on a relay, in small. The kiosk's browser posts an
// HTML form to PortalPath with the relay's signed identity in "assertion"
// (the identity's other fields and expires_at beside it are display-only,
// and ignored here); the portal verifies it against the relay's published
// keys and welcomes the person, once: a second post of the same assertion
// (its jti) is refused, as a real portal must refuse it.

// PortalPath is the demo repair portal's address on the simulator.
const PortalPath = "/portal"

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

// portal is the demo portal's state, apart from the Trust Centre's: a
// reset of the simulator does not make a used hand-off usable again.
type portal struct {
	client *http.Client // one per simulator: assertion caches the relay's keys per client

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
func (s *Simulator) SetRelayURL(raw string) error {
	if raw != "" {
		if err := ValidRelayURL(raw); err != nil {
			return err
		}
	}
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	s.portal.relayURL = strings.TrimRight(raw, "/")
	return nil
}

// AddRelayURL adds the relay of another demo manufacturer, and returns
// the portal's hand-off address for it: a hand-off there is checked
// against that relay only, so one manufacturer's portal never accepts
// what another's relay signed.
func (s *Simulator) AddRelayURL(raw string) (string, error) {
	if err := ValidRelayURL(raw); err != nil {
		return "", err
	}
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	s.portal.others = append(s.portal.others, strings.TrimRight(raw, "/"))
	return fmt.Sprintf("%s?relay=%d", PortalPath, len(s.portal.others)), nil
}

// relayFor is the relay a hand-off to r must come from: the one of its
// ?relay=n, else the first.
func (s *Simulator) relayFor(r *http.Request) string {
	n, err := strconv.Atoi(r.URL.Query().Get("relay"))
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	if err != nil || n < 1 {
		return s.portal.relayURL
	}
	if n > len(s.portal.others) {
		return ""
	}
	return s.portal.others[n-1]
}

// RelayURL is the relay the demo portal trusts, or "".
func (s *Simulator) RelayURL() string {
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	return s.portal.relayURL
}

// relayInfo is what the portal reads from the relay's /v1/info (auth.RelayInfo;
// the simulator does not import the engine).
type relayInfo struct {
	APIVersion int    `json:"api_version"`
	Issuer     string `json:"issuer"`
	Audience   string `json:"audience"`
	JWKSURI    string `json:"jwks_uri"`
}

// relayInfoPath is the relay's info (auth.RelayPathInfo).
const relayInfoPath = "/v1/info"

func (s *Simulator) readRelayInfo(ctx context.Context, base string) (relayInfo, error) {
	var info relayInfo
	ctx, cancel := context.WithTimeout(ctx, relayTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+relayInfoPath, nil)
	if err != nil {
		return info, err
	}
	resp, err := s.portal.client.Do(req)
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

func (s *Simulator) handlePortal(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.log(r, "portal", "page")
		s.portalPage(w, http.StatusOK, portalData{Title: "Demo repair portal", Heading: "Demo repair portal",
			Paragraphs: []string{"This page opens from the kiosk: sign in there, then press its repair portal button. " +
				"The kiosk hands over who signed in, signed by its relay, and this portal checks that signature."}})
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		s.log(r, "portal", "method_not_allowed")
		s.portalPage(w, http.StatusMethodNotAllowed, portalData{Title: "Demo repair portal", Heading: "Demo repair portal",
			Paragraphs: []string{"Open this page from the kiosk's repair portal button."}})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPortalForm)
	if err := r.ParseForm(); err != nil {
		s.portalRefusal(w, r, http.StatusBadRequest, "unreadable", "The hand-off cannot be read",
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
		s.portalRefusal(w, r, http.StatusUnauthorized, "no_assertion", "Not signed in: no signed identity", why)
		return
	}
	relayURL := s.relayFor(r)
	if relayURL == "" {
		s.portalRefusal(w, r, http.StatusForbidden, "no_relay", "Not signed in: this portal trusts no relay",
			"The portal has no relay to check signatures against, so it accepts no hand-off. "+
				"Start the simulator with --relay-url (make run does this for its embedded relay).")
		return
	}
	info, err := s.readRelayInfo(r.Context(), relayURL)
	if err != nil {
		s.portalRefusal(w, r, http.StatusBadGateway, "relay_unreachable", "Not signed in: the relay cannot be reached",
			fmt.Sprintf("The portal cannot read how to check signatures from the relay at %s (%v).", relayURL, err))
		return
	}
	now := s.opts.Now()
	id, err := assertion.Verify(r.Context(), raw, assertion.Options{JWKSURL: info.JWKSURI, Issuer: info.Issuer,
		Audience: info.Audience, HTTPClient: s.portal.client, Now: s.opts.Now})
	if err != nil {
		status, outcome, why := portalWhy(err)
		s.portalRefusal(w, r, status, outcome, "Not signed in: the signed identity is refused", why)
		return
	}
	s.portal.mu.Lock()
	fresh, full := s.portal.used.take(id.ID, id.Expiry.Add(assertion.DefaultLeeway), now)
	s.portal.mu.Unlock()
	switch {
	case full:
		w.Header().Set("Retry-After", "60")
		s.portalRefusal(w, r, http.StatusServiceUnavailable, "busy", "Too many hand-offs at once",
			"The portal remembers every hand-off until it expires, and cannot take more now. Try again in a minute.")
		return
	case !fresh:
		s.log(r, "portal", "replayed")
		s.portalPage(w, http.StatusForbidden, portalData{Title: "Hand-off already used", Class: "bad",
			Heading: "This hand-off has already been used",
			Paragraphs: []string{
				"Each hand-off from the kiosk works once, so that a copy (from this browser's history, or seen on its way) cannot sign anyone in again.",
				"Go back to the kiosk and press the repair portal button for a new one.",
			}})
		return
	}
	s.log(r, "portal", "verified")
	s.portalPage(w, http.StatusOK, welcome(id, info.Audience, now))
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

func (s *Simulator) portalRefusal(w http.ResponseWriter, r *http.Request, status int, outcome, heading, why string) {
	s.log(r, "portal", outcome)
	s.portalPage(w, status, portalData{Title: heading, Heading: heading, Class: "bad", Paragraphs: []string{why,
		"What this means: the portal shows nothing of any vehicle. Go back to the kiosk and press the repair portal " +
			"button again; if this happens again, tell your administrator."}})
}

// welcome is the page for a verified hand-off.
func welcome(id assertion.Identity, audience string, now time.Time) portalData {
	garage := orgName(id.IOUID)
	role := "technician of"
	if id.Role == assertion.RoleRSSE {
		role = "remote specialist for"
	}
	heading := fmt.Sprintf("Welcome, %s %s (authorisation %s), verified", role, garage, id.AuthorisationUID)
	d := portalData{Title: "Demo repair portal: " + garage, Heading: heading, Class: "good"}
	if id.Role == assertion.RoleRSSE {
		d.Paragraphs = append(d.Paragraphs, fmt.Sprintf("You work for %s, on a chain authorisation that %s granted: it works once.",
			orgName(id.RSSUID), garage))
	}
	d.Paragraphs = append(d.Paragraphs, "The relay's signature on this hand-off checks out against its published keys. "+
		"This portal will not accept the same hand-off again: the kiosk's button makes a new one.")
	d.Rows = []portalRow{
		{"Garage", id.IOUID},
		{"Authorisation UID", id.AuthorisationUID},
		{"Role", id.Role},
		{"Kiosk", id.Kiosk},
		{"Signed by", id.Issuer},
		{"For", audience},
		{"Valid until", fmt.Sprintf("%s (in %s)", id.Expiry.UTC().Format("15:04:05 UTC, 2 January 2006"), id.Expiry.Sub(now).Round(time.Second))},
		{"Hand-off", id.ID},
	}
	if id.Role == assertion.RoleRSSE {
		d.Rows = append(d.Rows[:2], append([]portalRow{{"Remote services supplier", id.RSSUID}}, d.Rows[2:]...)...)
	}
	d.Note = "A real portal pins the relay's address and its own audience in its configuration; " +
		"this demo reads them from the relay the simulator was given (--relay-url, or make run's embedded relay)."
	return d
}

// orgName is an organisation's name: the first part of its UID
// ("NAME/ADDRESS/TAXID").
func orgName(uid string) string {
	name, _, _ := strings.Cut(uid, "/")
	return name
}

type portalRow struct{ Caption, Value string }

type portalData struct {
	Title, Heading, Class string
	Paragraphs            []string
	Rows                  []portalRow
	Note                  string
}

func (s *Simulator) portalPage(w http.ResponseWriter, status int, d portalData) {
	webpage.Secure(w.Header())
	w.WriteHeader(status)
	_ = portalTemplate.Execute(w, d)
}

var portalTemplate = template.Must(template.New("portal").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:44rem;margin:1.5rem auto;padding:0 1rem;color:#111}
h1{font-size:1.5rem;padding:.8rem;border-radius:.4rem;background:#eef} h1.good{background:#dfd} h1.bad{background:#fdd}
.note{color:#555;font-size:.9rem} table{border-collapse:collapse;margin:1rem 0}
th{text-align:left;padding:.3rem 1rem .3rem 0;vertical-align:top} td{padding:.3rem 0;word-break:break-all}
</style></head><body>
<p class="note">Demo repair portal, served by the Trust Centre simulator: not a vehicle manufacturer's.</p>
<h1{{if .Class}} class="{{.Class}}"{{end}}>{{.Heading}}</h1>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{if .Rows}}<table>
{{range .Rows}}<tr><th>{{.Caption}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}{{if .Note}}<p class="note">{{.Note}}</p>
{{end}}</body></html>
`))
