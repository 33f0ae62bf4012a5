package relay_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/assertion"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// A technician of GARAGE JANSEN approves the kiosk's enrolment; the kiosk
// then signs in with the credential alone, and its assertions name it.
func TestGarageEnrolsItsKioskAndSignsIn(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	var log authtest.Buffer
	r := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: authtest.NewRelayKeys(t),
		Enrolment: relay.EnrolmentConfig{BindToGarage: true}, Log: slog.New(slog.NewTextHandler(&log, nil))})
	got, err := authtest.Enrol(t, r.URL, sim, "werkplaats-1", "ioe", "1234")
	if err != nil {
		t.Fatal(err)
	}
	k := got.Kiosk
	if k.GarageName != "GARAGE JANSEN" || k.Name != "werkplaats-1" || len(k.Code) != 9 || !k.BoundToGarage ||
		k.Kiosk != "werkplaats-1@"+strings.ReplaceAll(k.Code, "-", "") {
		t.Errorf("enrolled kiosk = %+v, want werkplaats-1 of GARAGE JANSEN, bound, with a code", k)
	}
	e := signIn(t, kiosk(t, r.URL, got.Credential.Reveal()), approveWith(t, sim, "ioe", "1234"))
	id, err := assertion.Verify(t.Context(), e.Session.Assertion.Reveal(), assertion.Options{
		JWKSURL: r.URL + relayapi.PathJWKS, Issuer: r.URL, Audience: authtest.RelayAudience})
	if err != nil || id.Kiosk != k.Kiosk {
		t.Errorf("assertion: kiosk %q, %v; want %q", id.Kiosk, err, k.Kiosk)
	}
	who, err := relayClient(t, r.URL, got.Credential).Whoami(t.Context())
	if err != nil || who.Code != k.Code || who.GarageName != "GARAGE JANSEN" || who.Credential != "" {
		t.Errorf("GET /v1/kiosk = %+v, %v; want the same place and no renewed credential", who, err)
	}
	for _, want := range []string{"kiosk enrolled", "werkplaats-1@", "approved_by=1234567890B", "GARAGE JANSEN"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the relay's log lacks %q:\n%s", want, log.String())
		}
	}
	if strings.Contains(log.String(), got.Credential.Reveal()[4:]) {
		t.Error("the relay logged the credential")
	}
	if m := get(t, r.URL+relayapi.PathMetrics); !strings.Contains(m, `workshop_login_relay_enrolments_total{outcome="enrolled"} 1`) {
		t.Errorf("metrics lack the enrolment:\n%s", m)
	}
}

func TestRemoteSpecialistCannotEnrol(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	r := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: authtest.NewRelayKeys(t)})
	got, err := authtest.Enrol(t, r.URL, sim, "werkplaats-1", "rsse", "2345")
	if auth.KeyOf(err) != auth.MsgEnrolRSSE || got.Credential != "" {
		t.Errorf("enrolment approved by a remote specialist: %+v, %v; want refused with %s", got, err, auth.MsgEnrolRSSE)
	}
}

// A caller with no key gets no sign-in, and its enrolment calls stop at
// its limit before reaching the Trust Centre.
func TestUnenrolledCallerCannotSignInAndIsRateLimited(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	r := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: authtest.NewRelayKeys(t),
		Enrolment: relay.EnrolmentConfig{Limits: relay.EnrolLimits{PerSource: 0.01, PerSourceBurst: 3, Global: 100, GlobalBurst: 100}}})
	for _, key := range []string{"", "wlc_", "wlc_h1.s1.AAAA", "wlk_nothing"} {
		req, _ := http.NewRequest(http.MethodPost, r.URL+relayapi.PathStart, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		if status := do(t, req); status != http.StatusUnauthorized {
			t.Errorf("a sign-in with key %q: HTTP %d, want 401", key, status)
		}
	}
	var statuses []int
	for range 10 {
		req, _ := http.NewRequest(http.MethodPost, r.URL+relayapi.PathEnrol, strings.NewReader(`{"name":"k1"}`))
		statuses = append(statuses, do(t, req))
	}
	if statuses[2] != http.StatusCreated || statuses[3] != http.StatusTooManyRequests || statuses[9] != http.StatusTooManyRequests {
		t.Errorf("enrolment starts from one address: %v, want 3 × 201 then 429", statuses)
	}
	m := get(t, r.URL+relayapi.PathMetrics)
	for _, want := range []string{`trust_centre_request_seconds_count{call="qr"} 3`,
		`kiosk_rejections_total{reason="enrolment_source_rate_limited"} 7`, `kiosk_rejections_total{reason="not_enrolled"} 4`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// Many source addresses together stop at the global limit: the Trust
// Centre sees no call beyond it.
func TestEnrolmentGlobalLimitHoldsAcrossSources(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	r := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: authtest.NewRelayKeys(t),
		Enrolment: relay.EnrolmentConfig{Limits: relay.EnrolLimits{PerSource: 1, PerSourceBurst: 5, Global: 0.01, GlobalBurst: 4}}})
	created := 0
	for i := range 50 {
		req := httptest.NewRequest(http.MethodPost, relayapi.PathEnrol, strings.NewReader(`{"name":"k1"}`))
		req.RemoteAddr = "192.0.2." + string(rune('0'+i%10)) + string(rune('0'+i/10)) + ":4000"
		rec := httptest.NewRecorder()
		r.Server.Handler().ServeHTTP(rec, req)
		if rec.Code == http.StatusCreated {
			created++
		}
	}
	if created != 4 {
		t.Errorf("%d enrolment codes for 50 sources, want the global burst of 4", created)
	}
	if m := get(t, r.URL+relayapi.PathMetrics); !strings.Contains(m, `trust_centre_request_seconds_count{call="qr"} 4`) {
		t.Error("the Trust Centre was asked for more codes than the global limit lets through")
	}
}

func TestAdminPolicyKeepsEnrolmentClosed(t *testing.T) {
	t.Parallel()
	r := newTestRelay(t)
	req, _ := http.NewRequest(http.MethodPost, r.http.URL+relayapi.PathEnrol, strings.NewReader(`{"name":"k1"}`))
	if status := do(t, req); status != http.StatusNotFound {
		t.Errorf("enrolment at an admin-policy relay: HTTP %d, want 404", status)
	}
	e, _ := auth.NewEnroller(r.http.URL, "k1", authtest.Settings(r.sim))
	if p, err := e.Policy(t.Context()); p != relayapi.EnrolmentAdmin || err != nil {
		t.Errorf("policy %q, %v; want admin", p, err)
	}
}

func relayClient(t *testing.T, url string, key auth.Secret) *auth.RelayClient {
	t.Helper()
	return kiosk(t, url, key.Reveal()).Relay()
}

func do(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The relayed engine rests and wakes as the direct one does: the default
// run (codes on demand, through the embedded relay) rests it at start.
func TestRelayedEngineRestsAndWakes(t *testing.T) {
	p, err := auth.NewRelayed(auth.RelaySettings{URL: "http://127.0.0.1:1"}, auth.DefaultSettings(auth.EnvSimulator))
	if err != nil {
		t.Fatal(err)
	}
	p.Rest()
	p.Wake()
}

// Behind a trusted proxy the per-source limit is per caller, as
// X-Forwarded-For names them; from anyone else that header is ignored.
func TestEnrolmentLimitPerCallerBehindATrustedProxy(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	r := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: authtest.NewRelayKeys(t),
		Enrolment: relay.EnrolmentConfig{Limits: relay.EnrolLimits{PerSource: 0.01, PerSourceBurst: 1, Global: 100, GlobalBurst: 100},
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}})
	start := func(remote, forwarded string) int {
		req := httptest.NewRequest(http.MethodPost, relayapi.PathEnrol, strings.NewReader(`{"name":"k1"}`))
		req.RemoteAddr = remote + ":4000"
		if forwarded != "" {
			req.Header.Set("X-Forwarded-For", forwarded)
		}
		rec := httptest.NewRecorder()
		r.Server.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	got := []int{
		start("10.0.0.1", "192.0.2.1"),               // a caller behind the proxy
		start("10.0.0.1", "192.0.2.2"),               // another: its own limit
		start("10.0.0.2", "198.51.100.9, 192.0.2.1"), // the first again, whatever it wrote before
		start("203.0.113.5", "192.0.2.3"),            // not a proxy: its header is not believed
		start("203.0.113.5", "192.0.2.4"),
	}
	want := []int{http.StatusCreated, http.StatusCreated, http.StatusTooManyRequests, http.StatusCreated, http.StatusTooManyRequests}
	if !slices.Equal(got, want) {
		t.Errorf("answers %v, want %v", got, want)
	}
}
