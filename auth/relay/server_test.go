package relay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/assertion"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// testRelay is a relay replica on loopback in front of a simulator, with
// one enrolled kiosk, and what it logged.
type testRelay struct {
	sim      *simulator.Server
	server   *relay.Server
	http     *httptest.Server
	kioskKey string
	log      *bytes.Buffer
}

// replica starts one relay replica with keys, in front of sim.
func replica(t *testing.T, sim *simulator.Server, keys authtest.RelayKeys, limits relay.Limits) *testRelay {
	return replicaWith(t, sim, keys, limits, authtest.Settings(sim))
}

func replicaWith(t *testing.T, sim *simulator.Server, keys authtest.RelayKeys, limits relay.Limits, settings auth.Settings) *testRelay {
	t.Helper()
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &log, mu: &sync.Mutex{}}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := authtest.StartReplica(t, settings, keys, limits, logger)
	return &testRelay{sim: sim, server: r.Server, http: r.HTTP, kioskKey: keys.KioskKey, log: &log}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func newTestRelay(t *testing.T) *testRelay {
	sim := authtest.Simulator(t, simulator.Options{})
	return replica(t, sim, authtest.NewRelayKeys(t), relay.Limits{})
}

// kiosk is a kiosk's engine on the relay, with the kiosk's key.
func kiosk(t *testing.T, relayURL, key string, opts ...auth.Option) *auth.Passwordless {
	t.Helper()
	s := auth.DefaultSettings(auth.EnvSimulator)
	s.PollInterval = auth.MinPollInterval
	p, err := auth.NewRelayed(auth.RelaySettings{URL: relayURL, KioskKey: auth.Secret(key)}, s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// signIn runs one attempt, calling act on each event, until it is approved
// or act says stop; it returns the last event.
func signIn(t *testing.T, p *auth.Passwordless, act func(auth.Event) bool) auth.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var last auth.Event
	for e := range p.Start(ctx) {
		last = e
		if e.Kind == auth.EventApproved || act(e) {
			return e
		}
	}
	t.Fatalf("the attempt ended without an approval; last event %s %s", last.Kind, last.Message)
	return last
}

func approveWith(t *testing.T, sim *simulator.Server, persona, pin string) func(auth.Event) bool {
	return func(e auth.Event) bool {
		if e.Kind == auth.EventQRReady {
			if err := sim.Approve(e.QR.URI, persona, pin); err != nil {
				t.Errorf("approving: %v", err)
			}
		}
		return false
	}
}

func TestSignInThroughRelay(t *testing.T) {
	t.Parallel()
	r := newTestRelay(t)
	p := kiosk(t, r.http.URL, r.kioskKey)
	e := signIn(t, p, approveWith(t, r.sim, "ioe", "1234"))
	s := e.Session
	if s.Identity.Role != auth.RoleIOE || s.Identity.IOEUID.AuthorisationUID == "" || !strings.Contains(s.Identity.IOUID.Name, "JANSEN") {
		t.Errorf("identity through the relay = %+v, want the IOE persona of GARAGE JANSEN", s.Identity)
	}
	if s.AccessToken != "" {
		t.Error("the kiosk received Digidentity's access token; it must stay at the relay")
	}
	if s.ExpiresAt.IsZero() {
		t.Error("the session has no end")
	}
	// A tool verifies the assertion with the relay's published keys.
	opts := assertion.Options{JWKSURL: r.http.URL + relayapi.PathJWKS, Issuer: r.http.URL, Audience: authtest.RelayAudience}
	first, err := assertion.Verify(context.Background(), s.Assertion.Reveal(), opts)
	if err != nil {
		t.Fatalf("the sign-in's assertion does not verify: %v", err)
	}
	if first.Kiosk != "garage-jansen-1" || first.Subject != s.Identity.Sub || first.IOEUID != s.Identity.IOEUID.Raw {
		t.Errorf("assertion = %+v, want kiosk garage-jansen-1 and the session's person", first)
	}
	// A later hand-off gets a fresh assertion, another jti, the same person.
	fresh, _, err := p.Relay().Assertion(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	second, err := assertion.Verify(context.Background(), fresh.Reveal(), opts)
	if err != nil {
		t.Fatalf("a fresh assertion does not verify: %v", err)
	}
	if second.ID == first.ID || second.Subject != first.Subject {
		t.Errorf("fresh assertion jti %q sub %q; want a new jti for the same subject %q", second.ID, second.Subject, first.Subject)
	}
}

func TestChainAuthorisationThroughRelay(t *testing.T) {
	t.Parallel()
	r := newTestRelay(t)
	e := signIn(t, kiosk(t, r.http.URL, r.kioskKey), approveWith(t, r.sim, "rsse", "2345"))
	if e.Session.Identity.Role != auth.RoleRSSE || e.Session.Identity.RSSEUID == nil {
		t.Errorf("identity = %+v, want the remote specialist on a chain authorisation", e.Session.Identity)
	}
}

func TestUnknownKioskIsToldItIsNotEnrolled(t *testing.T) {
	t.Parallel()
	r := newTestRelay(t)
	key, _, _ := relay.NewKioskKey() // never enrolled
	e := signIn(t, kiosk(t, r.http.URL, key), func(e auth.Event) bool { return e.Kind == auth.EventFailed })
	if e.Message != auth.MsgNotEnrolled {
		t.Errorf("an unknown kiosk saw %s %s, want %s", e.Kind, e.Message, auth.MsgNotEnrolled)
	}
	// A kiosk whose keyring holds no key says the same without asking.
	e = signIn(t, kiosk(t, r.http.URL, ""), func(e auth.Event) bool { return e.Kind == auth.EventFailed })
	if e.Message != auth.MsgNotEnrolled {
		t.Errorf("a kiosk without a key saw %s %s, want %s", e.Kind, e.Message, auth.MsgNotEnrolled)
	}
}

func TestRevokedKioskIsRefusedAtOnce(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	keys := authtest.NewRelayKeys(t)
	dir := t.TempDir()
	path := dir + "/kiosks"
	_, hash, _ := relay.NewKioskKey()
	writeFile(t, path, "garage-jansen-1 "+relay.HashKioskKey(keys.KioskKey)+"\nother "+hash+"\n")
	file, err := relay.OpenKioskFile(path, func(err error) { t.Log(err) })
	if err != nil {
		t.Fatal(err)
	}
	if name, err := file.Authenticate(keys.KioskKey); err != nil || name != "garage-jansen-1" {
		t.Fatalf("enrolled kiosk: %q, %v", name, err)
	}
	_ = sim
	// Deleting the line revokes the key: within a second, without a restart.
	writeFile(t, path, "other "+hash+"\n")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := file.Authenticate(keys.KioskKey); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a deleted kiosk line still authenticates after 5 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A poll whose handle is answered by another replica: the relay keeps
// nothing between calls.
func TestAnyReplicaAnswersAnyPoll(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	keys := authtest.NewRelayKeys(t)
	a, b := replica(t, sim, keys, relay.Limits{}), replica(t, sim, keys, relay.Limits{})
	var turn atomic.Int64
	hosts := map[string]*atomic.Int64{a.http.Listener.Addr().String(): {}, b.http.Listener.Addr().String(): {}}
	alternate := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Path != relayapi.PathJWKS && req.URL.Path != relayapi.PathInfo {
			target := a.http.Listener.Addr().String()
			if turn.Add(1)%2 == 0 {
				target = b.http.Listener.Addr().String()
			}
			req.URL.Host = target
			hosts[target].Add(1)
		}
		return http.DefaultTransport.RoundTrip(req)
	})
	p := kiosk(t, a.http.URL, keys.KioskKey, auth.WithHTTPClient(&http.Client{Transport: alternate}))
	polled := 0
	e := signIn(t, p, func(e auth.Event) bool {
		if e.Kind == auth.EventWaiting && polled == 0 {
			polled++
			if err := sim.Approve(pendingURI(t, sim), "ioe", "1234"); err != nil {
				t.Error(err)
			}
		}
		return false
	})
	if e.Session.Identity.Role != auth.RoleIOE {
		t.Errorf("identity %+v", e.Session.Identity)
	}
	for host, n := range hosts {
		if n.Load() == 0 {
			t.Errorf("replica %s answered no call; the test proves nothing", host)
		}
	}
}

func pendingURI(t *testing.T, sim *simulator.Server) string {
	uris := sim.PendingQRCodeURIs()
	if len(uris) == 0 {
		t.Fatal("no code is pending")
	}
	return uris[len(uris)-1]
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// User info that fails after the approval: the relay keeps the token sealed
// in the kiosk's handle and reads the identity on a later poll.
func TestIdentityOutageAfterApprovalStillSignsIn(t *testing.T) {
	t.Parallel()
	r := newTestRelay(t)
	p := kiosk(t, r.http.URL, r.kioskKey)
	var sawSigningIn bool
	e := signIn(t, p, func(e auth.Event) bool {
		switch e.Kind {
		case auth.EventQRReady:
			r.sim.SetFaults(simulator.Faults{ServerErrors: 2, Only: "user_info"})
			if err := r.sim.Approve(e.QR.URI, "ioe", "1234"); err != nil {
				t.Error(err)
			}
		case auth.EventSigningIn:
			sawSigningIn = true
		}
		return false
	})
	if !sawSigningIn || e.Session == nil {
		t.Fatalf("signing in: saw signing_in %v, last %s", sawSigningIn, e.Kind)
	}
	if !strings.Contains(r.log.String(), "the kiosk will ask again") {
		t.Error("the relay did not retry the identity on a later poll")
	}
}

func TestRefusalThroughRelay(t *testing.T) {
	t.Parallel()
	r := newTestRelay(t)
	e := signIn(t, kiosk(t, r.http.URL, r.kioskKey), func(e auth.Event) bool {
		if e.Kind == auth.EventQRReady && e.Message == auth.MsgScanCode {
			if err := r.sim.Deny(e.QR.URI); err != nil {
				t.Error(err)
			}
		}
		return e.Kind == auth.EventRefused
	})
	if e.Message != auth.MsgRefused {
		t.Errorf("denied on the phone: %s %s, want refused", e.Kind, e.Message)
	}
}

func TestKioskRateLimit(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	keys := authtest.NewRelayKeys(t)
	r := replica(t, sim, keys, relay.Limits{PerKiosk: 0.1, PerKioskBurst: 2, Global: 100, GlobalBurst: 100})
	statuses := []int{}
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, r.http.URL+relayapi.PathStart, nil)
		req.Header.Set("Authorization", "Bearer "+keys.KioskKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if statuses[0] != http.StatusCreated || statuses[2] != http.StatusTooManyRequests {
		t.Errorf("statuses %v, want 201 first and 429 past the burst of 2", statuses)
	}
	metrics := get(t, r.http.URL+relayapi.PathMetrics)
	for _, want := range []string{
		`workshop_login_relay_kiosk_rejections_total{reason="kiosk_rate_limited"} 1`,
		`workshop_login_relay_sign_ins_started_total 2`,
		`workshop_login_relay_trust_centre_request_seconds_count{call="qr"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// Nothing secret reaches the relay's log: not the kiosk's key, the
// authorisation codes, the handles, the tokens or the assertion.
func TestRelayNeverLogsSecrets(t *testing.T) {
	t.Parallel()
	r := newTestRelay(t)
	var handles []string
	transport := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil && strings.HasPrefix(req.URL.Path, "/v1/sign-ins") {
			body, _ := io.ReadAll(resp.Body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			var a struct{ Handle, Assertion, Session string }
			_ = json.Unmarshal(body, &a)
			handles = append(handles, a.Handle, a.Assertion, a.Session)
		}
		return resp, err
	})
	r.sim.SetFaults(simulator.Faults{ServerErrors: 1, Only: "user_info"})
	e := signIn(t, kiosk(t, r.http.URL, r.kioskKey, auth.WithHTTPClient(&http.Client{Transport: transport})), approveWith(t, r.sim, "ioe", "1234"))
	log := r.log.String()
	secrets := append(handles, r.kioskKey, e.Session.Assertion.Reveal(), simulator.DefaultClientSecret)
	for _, s := range secrets {
		if len(s) > 8 && strings.Contains(log, s) {
			t.Errorf("the relay's log holds a secret (%.12s…)", s)
		}
	}
	if !strings.Contains(log, "signed in") {
		t.Error("the log does not say who signed in at which kiosk: the test read the wrong log")
	}
}

func TestInfoAndHealth(t *testing.T) {
	t.Parallel()
	r := newTestRelay(t)
	var info relayapi.Info
	if err := json.Unmarshal([]byte(get(t, r.http.URL+relayapi.PathInfo)), &info); err != nil {
		t.Fatal(err)
	}
	if info.JWKSURI != r.http.URL+relayapi.PathJWKS || info.Audience != authtest.RelayAudience || info.AssertionTTL != 300 {
		t.Errorf("info = %+v", info)
	}
	if got := get(t, r.http.URL+relayapi.PathReady); got != "ready\n" {
		t.Errorf("readyz = %q", got)
	}
	r.server.SetReady(false)
	resp, err := http.Get(r.http.URL + relayapi.PathReady)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a draining replica's readyz = %d, want 503", resp.StatusCode)
	}
	if err := kiosk(t, r.http.URL, "").Relay().Reachable(context.Background()); err != nil {
		t.Errorf("the relay is not reachable: %v", err)
	}
	st, err := kiosk(t, r.http.URL, r.kioskKey).Relay().Check(context.Background())
	if err != nil || st.Kiosk != "garage-jansen-1" || st.JWKSKeys != 1 {
		t.Errorf("check = %+v, %v", st, err)
	}
}

func TestKioskRefusesPlainHTTPOffLoopback(t *testing.T) {
	t.Parallel()
	s := auth.DefaultSettings(auth.EnvSimulator)
	_, err := auth.NewRelayed(auth.RelaySettings{URL: "http://relay.example.com", KioskKey: "wlk_x"}, s)
	if err == nil {
		t.Fatal("a kiosk accepted a plain-HTTP relay that is not on loopback")
	}
	u, _ := url.Parse("https://relay.example.com")
	if _, err := auth.NewRelayed(auth.RelaySettings{URL: u.String(), KioskKey: "wlk_x"}, s); err != nil {
		t.Errorf("https relay refused: %v", err)
	}
}

func get(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// The Trust Centre handles an approved poll but its answer never reaches
// the relay: the kiosk must not silently show a fresh code as if nothing
// happened, but say the approval may have been lost.
func TestApprovalLostBetweenTrustCentreAndRelayIsSaid(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	settings := authtest.Settings(sim)
	settings.TokenTimeout = time.Second
	keys := authtest.NewRelayKeys(t)
	r := replicaWith(t, sim, keys, relay.Limits{}, settings)
	approved := false
	e := signIn(t, kiosk(t, r.http.URL, keys.KioskKey), func(e auth.Event) bool {
		if e.Kind == auth.EventWaiting && !approved {
			approved = true
			sim.SetFaults(simulator.Faults{SlowTokenAnswers: 1, SlowAnswerMS: 2500})
			if err := sim.Approve(pendingURI(t, sim), "ioe", "1234"); err != nil {
				t.Error(err)
			}
		}
		return e.Kind == auth.EventExpired || e.Kind == auth.EventLost || e.Kind == auth.EventFailed
	})
	if e.Message != auth.MsgApprovalLost {
		t.Errorf("after an approval whose answer was lost the kiosk saw %s %s, want %s", e.Kind, e.Message, auth.MsgApprovalLost)
	}
}
