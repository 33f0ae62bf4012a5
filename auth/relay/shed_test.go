package relay_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// shedRelay is a replica served as relaycmd serves one (the server's own
// http.Server and listener), whose calls to the Trust Centre pass through
// rt, and what it logged.
type shedRelay struct {
	url  string
	keys authtest.RelayKeys
	sim  *simulator.Server
	log  *bytes.Buffer
	srv  *relay.Server
}

func startShedRelay(t *testing.T, rt func(http.RoundTripper) http.RoundTripper, change func(*relay.ServerConfig)) *shedRelay {
	t.Helper()
	sim := authtest.Simulator(t, simulator.Options{})
	settings := authtest.Settings(sim)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	var opts []auth.Option
	if rt != nil {
		opts = append(opts, auth.WithHTTPClient(&http.Client{Transport: rt(transport)}))
	}
	up, err := auth.NewUpstream(settings, opts...)
	if err != nil {
		t.Fatal(err)
	}
	keys := authtest.NewRelayKeys(t)
	sealer, err := relay.NewSealer(relay.SealerConfig{Current: keys.Seal, MaxAge: time.Hour, SessionMaxAge: 8 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	signer, err := relay.NewSigner(relay.SignerConfig{Issuer: url, Audience: authtest.RelayAudience, Current: keys.Signing})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cfg := relay.ServerConfig{Upstream: up, Sealer: sealer, Signer: signer, Kiosks: keys.Kiosks, PublicURL: url,
		SessionMaxAge: 8 * time.Hour,
		Log:           slog.New(slog.NewTextHandler(&lockedWriter{w: &log, mu: &sync.Mutex{}}, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if change != nil {
		change(&cfg)
	}
	srv, err := relay.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := srv.HTTPServer(nil)
	go hs.Serve(srv.Listener(ln))
	t.Cleanup(func() { hs.Close() })
	return &shedRelay{url: url, keys: keys, sim: sim, log: &log, srv: srv}
}

// gate holds the Trust Centre's token calls until opened, counting them.
type gate struct {
	open            chan struct{}
	once            sync.Once
	inside, maxSeen atomic.Int32
}

// newGate is closed, and opens by itself when the test ends.
func newGate(t *testing.T) *gate {
	g := &gate{open: make(chan struct{})}
	t.Cleanup(g.release)
	return g
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func (g *gate) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			n := g.inside.Add(1)
			defer g.inside.Add(-1)
			for {
				seen := g.maxSeen.Load()
				if n <= seen || g.maxSeen.CompareAndSwap(seen, n) {
					break
				}
			}
			<-g.open
		}
		return next.RoundTrip(r)
	})
}

// startCode asks the relay for a QR code and returns its handle.
func (r *shedRelay) startCode(t *testing.T) string {
	t.Helper()
	status, _, body := r.call(t, relayapi.PathStart, "")
	var answer relayapi.StartAnswer
	if status != http.StatusCreated || json.Unmarshal(body, &answer) != nil {
		t.Fatalf("a QR code: HTTP %d %s", status, body)
	}
	return answer.Handle
}

func (r *shedRelay) call(t *testing.T, path, handle string) (int, http.Header, []byte) {
	t.Helper()
	var body io.Reader
	if handle != "" {
		b, _ := json.Marshal(relayapi.PollRequest{Handle: handle})
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(http.MethodPost, r.url+path, body)
	req.Header.Set("Authorization", "Bearer "+r.keys.KioskKey)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Errorf("%s: %v", path, err) // not Fatal: polls run in goroutines too
		return 0, http.Header{}, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// checkShed says whether an answer is the relay's fast "busy, come back
// later": 503, Retry-After, state busy, which the kiosk waits on.
func checkShed(t *testing.T, status int, header http.Header, body []byte) {
	t.Helper()
	var answer relayapi.PollAnswer
	_ = json.Unmarshal(body, &answer)
	if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" || answer.State != relayapi.Busy {
		t.Errorf("beyond the bound: HTTP %d Retry-After %q %s, want 503 busy with Retry-After", status, header.Get("Retry-After"), body)
	}
}

// pollsWaiting starts n polls that wait in the Trust Centre, and waits
// until the gate holds want of them.
func pollsWaiting(t *testing.T, r *shedRelay, g *gate, handles []string, want int32) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	for _, h := range handles {
		wg.Go(func() { r.call(t, relayapi.PathPoll, h) })
	}
	waitUntil(t, func() bool { return g.inside.Load() == want })
	return &wg
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for range 3000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("waited 30 s")
}

// Calls to the Trust Centre are bounded: beyond the bound a poll is
// answered at once with 503 busy and Retry-After (its code untouched, as
// the Trust Centre never saw it), and once the calls in flight end the
// next poll goes through.
func TestTrustCentreCallsAreBounded(t *testing.T) {
	g := newGate(t)
	r := startShedRelay(t, g.wrap, func(c *relay.ServerConfig) {
		c.Shedding = relay.Shedding{MaxTrustCentreCalls: 2, MaxInFlight: 100}
	})
	handles := []string{r.startCode(t), r.startCode(t), r.startCode(t)}
	wg := pollsWaiting(t, r, g, handles[:2], 2)
	status, header, body := r.call(t, relayapi.PathPoll, handles[2])
	checkShed(t, status, header, body)
	if n := g.maxSeen.Load(); n != 2 {
		t.Errorf("%d token calls at once at the Trust Centre, want 2", n)
	}
	g.release()
	wg.Wait()
	if status, _, body := r.call(t, relayapi.PathPoll, handles[2]); status != http.StatusOK {
		t.Errorf("after the overload: HTTP %d %s, want 200", status, body)
	}
}

// Kiosk calls in flight are bounded too, whatever they wait on.
func TestKioskCallsInFlightAreBounded(t *testing.T) {
	g := newGate(t)
	r := startShedRelay(t, g.wrap, func(c *relay.ServerConfig) {
		c.Shedding = relay.Shedding{MaxInFlight: 1, MaxTrustCentreCalls: 100}
	})
	handles := []string{r.startCode(t), r.startCode(t)}
	wg := pollsWaiting(t, r, g, handles[:1], 1)
	status, header, body := r.call(t, relayapi.PathPoll, handles[1])
	checkShed(t, status, header, body)
	g.release()
	wg.Wait()
	if status, _, body := r.call(t, relayapi.PathPoll, handles[1]); status != http.StatusOK {
		t.Errorf("after the overload: HTTP %d %s, want 200", status, body)
	}
	if !strings.Contains(get(t, r.url+relayapi.PathMetrics), `workshop_login_relay_kiosk_rejections_total{reason="overloaded"} 1`) {
		t.Error("the shed call is not counted as overloaded")
	}
}

// Beyond the bound on open connections, a new connection gets a fast 503
// with Retry-After and is closed; once one closes, new ones are served.
func TestConnectionsAreBounded(t *testing.T) {
	r := startShedRelay(t, nil, func(c *relay.ServerConfig) { c.Shedding = relay.Shedding{MaxConnections: 2} })
	addr := strings.TrimPrefix(r.url, "http://")
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if status := rawGet(t, c); status != "HTTP/1.1 200 OK" {
			t.Fatalf("within the bound: %q", status)
		}
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	fmt.Fprintf(extra, "GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
	_ = extra.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(extra), nil)
	if err != nil {
		t.Fatalf("beyond the bound: %v, want a 503", err)
	}
	b, _ := io.ReadAll(resp.Body)
	checkShed(t, resp.StatusCode, resp.Header, b)
	held[0].Close()
	waitUntil(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer c.Close()
		return rawGet(t, c) == "HTTP/1.1 200 OK"
	})
}

// rawGet asks for /healthz on c, keeping it open, and returns the status line.
func rawGet(t *testing.T, c net.Conn) string {
	t.Helper()
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err.Error()
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Proto + " " + resp.Status
}

// A kiosk call whose body never comes is cut off after the body timeout,
// not held open for as long as the client likes.
func TestARequestBodyThatNeverComesIsCutOff(t *testing.T) {
	r := startShedRelay(t, nil, func(c *relay.ServerConfig) { c.BodyTimeout = 200 * time.Millisecond })
	c, err := net.Dial("tcp", strings.TrimPrefix(r.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"handle\":",
		relayapi.PathPoll, r.keys.KioskKey)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err = io.ReadAll(c) // an answer then the close, or the close alone
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the relay still held the call open after 30 s")
	}
}

// Wrong kiosk keys are counted in the log, a line an interval, not a line
// each: 2,000 of them write two lines, the second with the count.
func TestRejectedKeysAreLoggedAsACount(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	r := startShedRelay(t, nil, func(c *relay.ServerConfig) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	client := &http.Client{Timeout: 30 * time.Second}
	refuse := func(n int) {
		for range n {
			req, _ := http.NewRequest(http.MethodGet, r.url+relayapi.PathKiosk, nil)
			req.Header.Set("Authorization", "Bearer wlk_"+strings.Repeat("x", 43))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	refuse(2000)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	refuse(1)
	lines := strings.Count(r.log.String(), "not enrolled")
	if lines > 2 {
		t.Fatalf("2,001 wrong keys wrote %d lines, want at most 2", lines)
	}
	if !strings.Contains(r.log.String(), "count=2000") && !strings.Contains(r.log.String(), "count=1999") {
		t.Errorf("no line counts the refusals:\n%.2000s", r.log.String())
	}
}

// A UID with a right-to-left override is not signed: the relay answers
// that the identity is invalid, as the verifier would refuse it anyway.
func TestRelayDoesNotSignABidiUID(t *testing.T) {
	bidi := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := next.RoundTrip(req)
			if err != nil || !strings.Contains(req.URL.Path, "user_info") {
				return resp, err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			b = bytes.ReplaceAll(b, []byte("GARAGE JANSEN"), []byte(`GARAGE \u202eNESNAJ`))
			resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			resp.Header.Del("Content-Length")
			return resp, nil
		})
	}
	r := startShedRelay(t, bidi, nil)
	e := signIn(t, kiosk(t, r.url, r.keys.KioskKey), func(e auth.Event) bool {
		approveWith(t, r.sim, "ioe", "1234")(e)
		return e.Kind == auth.EventFailed
	})
	if e.Kind != auth.EventFailed || e.Message != auth.MsgIdentityInvalid {
		t.Errorf("a garage named with a bidi override: %s %s, want failed %s", e.Kind, e.Message, auth.MsgIdentityInvalid)
	}
	if m := get(t, r.url+relayapi.PathMetrics); strings.Contains(m, "assertions_signed_total 1") {
		t.Error("the relay signed an assertion for it")
	}
}

// A kiosk whose QR request the relay sheds waits as long as the relay says
// and tells the person the service is busy, not that the network is down
// (which would send a garage to check its cables).
func TestShedQRRequestWaitsAsTheRelaySays(t *testing.T) {
	g := newGate(t)
	r := startShedRelay(t, g.wrap, func(c *relay.ServerConfig) {
		c.Shedding = relay.Shedding{MaxInFlight: 1, MaxTrustCentreCalls: 100}
	})
	wg := pollsWaiting(t, r, g, []string{r.startCode(t)}, 1)
	defer wg.Wait()
	defer g.release()
	engine, err := auth.NewRelayed(auth.RelaySettings{URL: r.url, KioskKey: auth.Secret(r.keys.KioskKey)}, auth.DefaultSettings(auth.EnvSimulator))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e := <-engine.Start(ctx)
	if e.Kind != auth.EventOffline || e.Message != auth.MsgBusy || e.RetryIn < 2*time.Second || e.RetryIn > 5*time.Second {
		t.Errorf("a shed QR request: %s %s, wait %s; want %s %s for the relay's Retry-After (2 to 5 s)",
			e.Kind, e.Message, e.RetryIn, auth.EventOffline, auth.MsgBusy)
	}
}

// An enrolment's QR request is a Trust Centre call like a sign-in's: at
// the bound it is shed too, never added on top of the calls in flight.
func TestEnrolmentCodesCountAgainstTheTrustCentreBound(t *testing.T) {
	g := newGate(t)
	r := startShedRelay(t, g.wrap, func(c *relay.ServerConfig) {
		c.Shedding = relay.Shedding{MaxTrustCentreCalls: 1, MaxInFlight: 100}
		c.Enrolment = relay.EnrolmentConfig{Garage: true, Limits: relay.EnrolLimits{PerSource: 100, PerSourceBurst: 100, Global: 100, GlobalBurst: 100}}
	})
	wg := pollsWaiting(t, r, g, []string{r.startCode(t)}, 1)
	defer wg.Wait()
	defer g.release()
	resp, err := http.Post(r.url+relayapi.PathEnrol, "application/json", strings.NewReader(`{"name":"werkplaats-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	checkShed(t, resp.StatusCode, resp.Header, body)
}
