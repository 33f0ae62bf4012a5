package portal_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/ui/demo/portal"
)

// handoff is the form the kiosk's hand-off page posts to a portal on a
// relay: the assertion, the identity's fields (display-only) and
// expires_at.
func handoff(s *auth.Session, raw string) url.Values {
	form := url.Values{}
	if raw != "" {
		form.Set("assertion", raw)
	}
	for _, f := range s.Identity.Fields() {
		form.Set(f.Name, f.Value)
	}
	form.Set("expires_at", s.ExpiresAt.UTC().Format(time.RFC3339))
	return form
}

type page struct {
	status int
	header http.Header
	body   string
}

// served is a portal on a loopback listener of its own.
type served struct {
	*portal.Portal
	URL string // where Path is
}

func serve(t *testing.T, opts portal.Options) served {
	t.Helper()
	p, err := portal.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return served{p, srv.URL + portal.Path}
}

func post(t *testing.T, p served, form url.Values) page {
	t.Helper()
	resp, err := http.PostForm(p.URL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(b)}
}

// portalWithRelay is a portal that trusts a real relay in front of a
// simulator, named once the relay listens, as make run's embedded relay is.
func portalWithRelay(t *testing.T) (served, *authtest.Relay) {
	t.Helper()
	p := serve(t, portal.Options{})
	r := authtest.StartRelay(t, authtest.Simulator(t, simulator.Options{}))
	if err := p.SetRelayURL(r.URL); err != nil {
		t.Fatal(err)
	}
	return p, r
}

func TestPortalWelcomesAVerifiedTechnicianOnce(t *testing.T) {
	sim, r := portalWithRelay(t)
	s := r.SignIn(t, "ioe", "1234")
	form := handoff(s, s.Assertion.Reveal())

	first := post(t, sim, form)
	const welcome = "Welcome, technician of GARAGE JANSEN (authorisation 1234567890B), verified"
	if first.status != http.StatusOK || !strings.Contains(first.body, welcome) {
		t.Fatalf("first hand-off: HTTP %d, want 200 with %q:\n%s", first.status, welcome, first.body)
	}
	for _, shown := range []string{"garage-jansen-1", r.URL, authtest.RelayAudience} {
		if !strings.Contains(first.body, shown) {
			t.Errorf("the welcome page does not show %q", shown)
		}
	}
	if csp := first.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'unsafe-inline'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if first.header.Get("Cache-Control") != "no-store" || first.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers %v", first.header)
	}

	// The same hand-off again: a copy from the browser's history.
	second := post(t, sim, form)
	if second.status != http.StatusForbidden || !strings.Contains(second.body, "This hand-off has already been used") ||
		strings.Contains(second.body, "Welcome") {
		t.Errorf("the same assertion again: HTTP %d:\n%s", second.status, second.body)
	}

	// A new hand-off for the same person (the kiosk's button again) is welcome.
	again := post(t, sim, handoff(s, r.SignWith(t, s.Identity, authtest.RelayAudience, nil)))
	if again.status != http.StatusOK || !strings.Contains(again.body, welcome) {
		t.Errorf("a fresh assertion for the same person: HTTP %d:\n%s", again.status, again.body)
	}
}

func TestPortalWelcomesARemoteSpecialist(t *testing.T) {
	sim, r := portalWithRelay(t)
	s := r.SignIn(t, "rsse", "2345")
	got := post(t, sim, handoff(s, s.Assertion.Reveal()))
	const welcome = "Welcome, remote specialist for GARAGE JANSEN (authorisation 9876543210D), verified"
	if got.status != http.StatusOK || !strings.Contains(got.body, welcome) || !strings.Contains(got.body, "You work for REMOTE DIAG SERVICES") {
		t.Errorf("HTTP %d, want 200 with %q:\n%s", got.status, welcome, got.body)
	}
}

// Whatever is wrong, the portal shows a refusal and welcomes nobody.
func TestPortalRefusesWhatDoesNotVerify(t *testing.T) {
	sim, r := portalWithRelay(t)
	s := r.SignIn(t, "ioe", "1234")
	good := s.Assertion.Reveal()

	forged := r.Forge(t, s.Identity)
	direct := handoff(s, "")
	direct.Set("access_token", "a-digidentity-access-token")
	direct.Set("token_type", "Bearer")

	noRelay := serve(t, portal.Options{})
	relayDown := serve(t, portal.Options{})
	if err := relayDown.SetRelayURL(authtest.ClosedPort(t)); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name   string
		sim    served
		form   url.Values
		status int
		why    string
	}{
		{"another garage written into the signed identity", sim, handoff(s, authtest.Tamper(t, good, "GARAGE JANSEN", "GARAGE JANSEM")),
			http.StatusUnauthorized, "Its signature does not match the relay&#39;s keys"},
		{"signed with another key", sim, handoff(s, forged), http.StatusUnauthorized, "Its signature does not match"},
		{"signed for another audience", sim, handoff(s, r.SignWith(t, s.Identity, "urn:another-portal", nil)),
			http.StatusForbidden, "signed for another tool or portal"},
		{"expired", sim, handoff(s, r.SignWith(t, s.Identity, authtest.RelayAudience, func() time.Time { return time.Now().Add(-10 * time.Minute) })),
			http.StatusUnauthorized, "It has expired"},
		{"not a signed identity", sim, handoff(s, "not.a.jwt"), http.StatusUnauthorized, "not a signed identity"},
		{"a kiosk without a relay: the access token", sim, direct, http.StatusUnauthorized, "it signs in without a relay"},
		{"the portal trusts no relay", noRelay, handoff(s, good), http.StatusForbidden, "this portal trusts no relay"},
		{"the relay does not answer", relayDown, handoff(s, good), http.StatusBadGateway, "the relay cannot be reached"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, tt.sim, tt.form)
			if got.status != tt.status || !strings.Contains(got.body, tt.why) || strings.Contains(got.body, "Welcome") ||
				!strings.Contains(got.body, "Go back to the kiosk") {
				t.Errorf("HTTP %d, want %d with %q and no welcome:\n%s", got.status, tt.status, tt.why, got.body)
			}
			if csp := got.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
		})
	}
	// None of these used up the real hand-off.
	if got := post(t, sim, handoff(s, good)); got.status != http.StatusOK {
		t.Errorf("the genuine hand-off after the refusals: HTTP %d:\n%s", got.status, got.body)
	}
}

// The portal's address opened as a link (no hand-off) says where it opens
// from; an assertion in the address is never read.
func TestPortalPageWithoutAHandoff(t *testing.T) {
	sim, r := portalWithRelay(t)
	s := r.SignIn(t, "ioe", "1234")
	resp, err := http.Get(sim.URL + "?" + handoff(s, s.Assertion.Reveal()).Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "This page opens from the kiosk") || strings.Contains(string(b), "Welcome") {
		t.Errorf("GET: HTTP %d:\n%s", resp.StatusCode, b)
	}
	// The hand-off in the address did not count as used.
	if got := post(t, sim, handoff(s, s.Assertion.Reveal())); got.status != http.StatusOK {
		t.Errorf("the hand-off after a GET carrying it: HTTP %d", got.status)
	}
}

func TestPortalRelayURLMustBeTrustworthy(t *testing.T) {
	for _, bad := range []string{"http://relay.example.com", "relay.example.com:8788", "ftp://127.0.0.1/"} {
		if _, err := portal.New(portal.Options{RelayURL: bad}); err == nil {
			t.Errorf("RelayURL %q accepted", bad)
		}
	}
	for _, good := range []string{"http://127.0.0.1:8788", "http://[::1]:8788/", "https://relay.example.com"} {
		if err := portal.ValidRelayURL(good); err != nil {
			t.Errorf("%q refused: %v", good, err)
		}
	}
}
