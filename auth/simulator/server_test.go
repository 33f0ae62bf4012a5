package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := Listen("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type reply struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
	_ = json.Unmarshal(b, &r.json)
	return r
}

const scope = DefaultProductScope + " openid sermi"

func authorize(t *testing.T, srv *Server, query url.Values) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/oauth2/authorize.json?"+query.Encode(), nil)
	return do(t, req)
}

// newCode asks for a QR session and returns the code and the QR address.
func newCode(t *testing.T, srv *Server) (code, uri string) {
	t.Helper()
	r := authorize(t, srv, url.Values{"client_id": {DefaultClientID}, "scope": {scope}, "response_type": {"code"}})
	if r.status != 200 {
		t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	data := r.json["data"].(map[string]any)
	attrs := data["attributes"].(map[string]any)
	if data["type"] != "passwordless_login_session" || attrs["type"] != "qr_code" {
		t.Fatalf("answer %s", r.body)
	}
	code, uri = data["id"].(string), attrs["qr_code_uri"].(string)
	if strings.Contains(uri, code) {
		t.Fatal("the QR code's address holds the authorisation code")
	}
	return code, uri
}

func poll(t *testing.T, srv *Server, path, code string) reply {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(DefaultClientID, DefaultClientSecret)
	return do(t, req)
}

func description(r reply) string { s, _ := r.json["error_description"].(string); return s }

func TestAuthorizeChecksTheRequest(t *testing.T) {
	srv := start(t, Options{})
	ok := url.Values{"client_id": {DefaultClientID}, "scope": {scope}, "response_type": {"code"}}
	with := func(key, value string) url.Values {
		q := url.Values{}
		for k, v := range ok {
			q[k] = v
		}
		q.Set(key, value)
		return q
	}
	for _, tt := range []struct {
		name  string
		query url.Values
		error string
		about string
	}{
		{"unknown client", with("client_id", "other"), "invalid_client", "client_id"},
		{"wrong response type", with("response_type", "token"), "unsupported_response_type", "token"},
		{"no openid", with("scope", DefaultProductScope+" sermi"), "invalid_scope", "openid"},
		{"no sermi", with("scope", DefaultProductScope+" openid"), "invalid_scope", "sermi"},
		{"wrong product scope", with("scope", "e9x4a6m254p663l4 openid sermi"), "invalid_scope", "product scope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := authorize(t, srv, tt.query)
			if r.status != 400 || r.json["error"] != tt.error || !strings.Contains(description(r), tt.about) {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
}

// Each vehicle manufacturer's client has its own product scope: a client
// asking with another's (a relay configured with the wrong one) is refused.
func TestEachClientAsksForItsOwnProductScope(t *testing.T) {
	srv := start(t, Options{Clients: map[string]string{"vm-a": "a-secret", "vm-b": "b-secret"},
		ProductScopes: map[string]string{"vm-a": "vmaproductscope1", "vm-b": "vmbproductscope2"}})
	ask := func(client, product string) reply {
		return authorize(t, srv, url.Values{"client_id": {client}, "scope": {product + " openid sermi"}, "response_type": {"code"}})
	}
	if r := ask("vm-a", "vmaproductscope1"); r.status != 200 {
		t.Errorf("A with its own scope: %d %s", r.status, r.body)
	}
	for _, wrong := range []string{"vmbproductscope2", DefaultProductScope} {
		if r := ask("vm-a", wrong); r.status != 400 || r.json["error"] != "invalid_scope" {
			t.Errorf("A with %s: %d %s, want invalid_scope", wrong, r.status, r.body)
		}
	}
}

func TestTokenLifecycle(t *testing.T) {
	srv := start(t, Options{})
	for _, path := range []string{"/oauth2/token", "/oauth2/token.json"} {
		t.Run(path, func(t *testing.T) {
			code, uri := newCode(t, srv)
			if r := poll(t, srv, path, code); r.status != 400 || description(r) != "login_pending" {
				t.Fatalf("before approval: %d %s", r.status, r.body)
			}
			if err := srv.Approve(uri, "ioe", "0000"); err != ErrWrongPIN {
				t.Fatalf("wrong PIN: %v", err)
			}
			if r := poll(t, srv, path, code); description(r) != "login_pending" {
				t.Fatalf("a wrong PIN must leave the code open: %s", r.body)
			}
			if err := srv.Approve(uri, "ioe", "1234"); err != nil {
				t.Fatal(err)
			}
			r := poll(t, srv, path, code)
			if r.status != 200 || r.json["token_type"] != "Bearer" || r.json["access_token"] == "" || r.json["id_token"] == nil || r.json["scope"] != scope {
				t.Fatalf("approved: %d %s", r.status, r.body)
			}
			if again := poll(t, srv, path, code); description(again) != "session_not_found" {
				t.Errorf("a code exchanges once: %s", again.body)
			}
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/user_info.json", nil)
			req.Header.Set("Authorization", "Bearer "+r.json["access_token"].(string))
			if info := do(t, req); info.status != 200 || info.json["ioeuid"] != "NL/EXAMPLECAB/1234567890B" || len(info.json) != 4 {
				t.Errorf("user info: %d %s", info.status, info.body)
			}
		})
	}
}

func TestClientAuthentication(t *testing.T) {
	srv := start(t, Options{Clients: map[string]string{"kiosk-1": "p@ss:word"}})
	post := func(body io.Reader, contentType string, auth func(*http.Request)) reply {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/token", body)
		req.Header.Set("Content-Type", contentType)
		auth(req)
		return do(t, req)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {"unknown"}}
	urlencoded := "application/x-www-form-urlencoded"
	for _, tt := range []struct {
		name   string
		body   func() (io.Reader, string)
		auth   func(*http.Request)
		status int
	}{
		{"basic, raw", func() (io.Reader, string) { return strings.NewReader(form.Encode()), urlencoded },
			func(r *http.Request) { r.SetBasicAuth("kiosk-1", "p@ss:word") }, 400},
		{"basic, form-encoded (RFC 6749)", func() (io.Reader, string) { return strings.NewReader(form.Encode()), urlencoded },
			func(r *http.Request) { r.SetBasicAuth(url.QueryEscape("kiosk-1"), url.QueryEscape("p@ss:word")) }, 400},
		{"client_secret_post", func() (io.Reader, string) {
			f := url.Values{"client_id": {"kiosk-1"}, "client_secret": {"p@ss:word"}}
			for k, v := range form {
				f[k] = v
			}
			return strings.NewReader(f.Encode()), urlencoded
		}, func(*http.Request) {}, 400},
		{"multipart body", func() (io.Reader, string) {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			mw.WriteField("grant_type", "authorization_code")
			mw.WriteField("code", "unknown")
			mw.Close()
			return &b, mw.FormDataContentType()
		}, func(r *http.Request) { r.SetBasicAuth("kiosk-1", "p@ss:word") }, 400},
		{"wrong secret", func() (io.Reader, string) { return strings.NewReader(form.Encode()), urlencoded },
			func(r *http.Request) { r.SetBasicAuth("kiosk-1", "guess") }, 401},
		{"none", func() (io.Reader, string) { return strings.NewReader(form.Encode()), urlencoded },
			func(*http.Request) {}, 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := tt.body()
			r := post(body, ct, tt.auth)
			// 400 session_not_found means authenticated: the code is unknown.
			if r.status != tt.status || (tt.status == 400 && description(r) != "session_not_found") {
				t.Errorf("%d %s", r.status, r.body)
			}
			if tt.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestOutcomes(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	srv := start(t, Options{Now: clock.Now, SessionLifetime: time.Minute})

	code, uri := newCode(t, srv)
	if err := srv.Deny(uri); err != nil {
		t.Fatal(err)
	}
	if r := poll(t, srv, "/oauth2/token", code); r.json["error"] != "access_denied" || description(r) != "access_denied" {
		t.Errorf("denied: %s", r.body)
	}
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "session_not_found" {
		t.Errorf("after the refusal was told: %s", r.body)
	}

	code, uri = newCode(t, srv)
	if err := srv.Approve(uri, "revoked", "4567"); err != ErrRefused {
		t.Errorf("revoked: %v", err)
	}
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "authorisation_revoked" {
		t.Errorf("revoked: %s", r.body)
	}

	code, uri = newCode(t, srv)
	if err := srv.Approve(uri, "rsse", "2345"); err != nil {
		t.Fatal(err)
	}
	if r := poll(t, srv, "/oauth2/token", code); r.status != 200 {
		t.Fatalf("first RSSE sign-in: %s", r.body)
	}
	_, uri = newCode(t, srv)
	if err := srv.Approve(uri, "rsse", "2345"); err == nil || err.Error() != ErrChainUsed.Error() {
		t.Errorf("second RSSE sign-in: %v", err)
	}
	if err := srv.Approve(uri, "ioe", "1234"); err != ErrAlreadyAnswered {
		t.Errorf("answering twice: %v", err)
	}

	code, uri = newCode(t, srv)
	clock.Add(time.Minute)
	if err := srv.Approve(uri, "ioe", "1234"); err != ErrUnknownSession {
		t.Errorf("approving an expired code: %v", err)
	}
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "session_not_found" {
		t.Errorf("expired: %s", r.body)
	}

	srv.Reset()
	code, uri = newCode(t, srv)
	if err := srv.Approve(uri, "rsse", "2345"); err != nil {
		t.Errorf("reset restores chain authorisations: %v", err)
	}
	srv.LoseSessions()
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "session_not_found" {
		t.Errorf("lost session: %s", r.body)
	}
}

func TestUserInfoRefusesUnknownTokens(t *testing.T) {
	srv := start(t, Options{})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/user_info.json", nil)
	req.Header.Set("Authorization", "Bearer nope")
	if r := do(t, req); r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("%d %v", r.status, r.header)
	}
}

func TestIDTokenVerifiesWithDiscoveryAndKeys(t *testing.T) {
	srv := start(t, Options{})
	code, uri := newCode(t, srv)
	if err := srv.Approve(uri, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	r := poll(t, srv, "/oauth2/token", code)
	provider, err := oidc.NewProvider(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	token, err := provider.Verifier(&oidc.Config{ClientID: DefaultClientID}).Verify(context.Background(), r.json["id_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if token.Subject != "e2x0a6mp-37l0-42ps-94ef-u69755438d3o" {
		t.Errorf("sub = %s", token.Subject)
	}
	if _, err := provider.Verifier(&oidc.Config{ClientID: "another-client"}).Verify(context.Background(), r.json["id_token"].(string)); err == nil {
		t.Error("the ID token verified for another audience")
	}
}

func TestFaults(t *testing.T) {
	srv := start(t, Options{})
	set := func(f string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/sim/faults", strings.NewReader(f))
		if r := do(t, req); r.status != 200 {
			t.Fatalf("setting faults: %d %s", r.status, r.body)
		}
	}
	q := url.Values{"client_id": {DefaultClientID}, "scope": {scope}, "response_type": {"code"}}

	set(`{"server_errors": 1}`)
	if r := authorize(t, srv, q); r.status != 503 {
		t.Errorf("server error: %d", r.status)
	}
	set(`{"too_many_requests": 1, "retry_after_seconds": 7}`)
	if r := authorize(t, srv, q); r.status != 429 || r.header.Get("Retry-After") != "7" {
		t.Errorf("429: %d %v", r.status, r.header)
	}
	set(`{"malformed_json": 1}`)
	if r := authorize(t, srv, q); r.status != 200 || json.Valid([]byte(r.body)) {
		t.Errorf("malformed: %d %s", r.status, r.body)
	}
	set(`{"slow_downs": 1, "only": "token"}`)
	code, _ := newCode(t, srv) // "only" spares the authorize request
	if r := poll(t, srv, "/oauth2/token", code); r.json["error"] != "slow_down" {
		t.Errorf("slow_down: %s", r.body)
	}
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "login_pending" {
		t.Errorf("after the fault: %s", r.body)
	}
	set(`{"latency_ms": 150}`)
	began := time.Now()
	newCode(t, srv)
	if time.Since(began) < 150*time.Millisecond {
		t.Error("latency not added")
	}
	set(`{"lose_sessions": true}`)
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "session_not_found" {
		t.Errorf("lose_sessions: %s", r.body)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/sim/faults", strings.NewReader(`{"server_error": 1}`))
	if r := do(t, req); r.status != 400 {
		t.Errorf("a misspelt fault must be refused: %d", r.status)
	}
}

func TestPhonePage(t *testing.T) {
	srv := start(t, Options{})
	code, uri := newCode(t, srv)
	get, _ := http.NewRequest(http.MethodGet, uri, nil)
	page := do(t, get)
	if page.status != 200 {
		t.Fatalf("GET %d", page.status)
	}
	for _, p := range srv.Personas() {
		if !strings.Contains(page.body, "PIN "+p.PIN) || !strings.Contains(page.body, `value="`+p.ID+`"`) {
			t.Errorf("the page does not offer %s with its PIN", p.ID)
		}
	}
	if strings.Contains(page.body, code) {
		t.Error("the page shows the authorisation code")
	}
	form := func(v url.Values) reply {
		resp, err := http.PostForm(uri, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return reply{status: resp.StatusCode, body: string(b)}
	}
	if r := form(url.Values{"persona": {"ioe"}, "pin": {"9"}, "decision": {"approve"}}); r.status != 403 || !strings.Contains(r.body, "Wrong PIN") {
		t.Errorf("wrong PIN: %d", r.status)
	}
	if r := form(url.Values{"persona": {"<script>"}, "pin": {"1"}, "decision": {"approve"}}); r.status != 400 || strings.Contains(r.body, "<script>") {
		t.Errorf("unknown persona: %d", r.status)
	}
	if r := form(url.Values{"persona": {"ioe"}, "pin": {"1234"}, "decision": {"maybe"}}); r.status != 400 {
		t.Errorf("unknown decision: %d", r.status)
	}
	if r := form(url.Values{"persona": {"ioe"}, "pin": {"1234"}, "decision": {"approve"}}); r.status != 200 || !strings.Contains(r.body, "Approved") {
		t.Errorf("approve: %d", r.status)
	}
	if r := form(url.Values{"decision": {"deny"}}); r.status != 409 {
		t.Errorf("second answer: %d", r.status)
	}
	if r := do(t, get); r.status != 409 {
		t.Errorf("GET after the answer: %d", r.status)
	}
	_, revokedURI := newCode(t, srv)
	resp, _ := http.PostForm(revokedURI, url.Values{"persona": {"revoked"}, "pin": {"4567"}, "decision": {"approve"}})
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("revoked: %d", resp.StatusCode)
	}
	missing, _ := http.NewRequest(http.MethodGet, srv.URL+"/sim/login/nothing", nil)
	if r := do(t, missing); r.status != 404 || !strings.Contains(r.body, "scan the new code") {
		t.Errorf("unknown code: %d", r.status)
	}
}

func TestSessionsListNeverShowsCodes(t *testing.T) {
	srv := start(t, Options{})
	code1, uri1 := newCode(t, srv)
	_, uri2 := newCode(t, srv)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/sim/sessions", nil)
	r := do(t, req)
	if strings.Contains(r.body, code1) {
		t.Fatal("/sim/sessions shows an authorisation code")
	}
	pending := srv.PendingQRCodeURIs()
	if len(pending) != 2 || !(pending[0] == uri2 || pending[1] == uri2) || !(pending[0] == uri1 || pending[1] == uri1) {
		t.Errorf("pending = %v", pending)
	}
}

func TestPublicURLIsTheQRCodesBase(t *testing.T) {
	srv := start(t, Options{PublicURL: "http://192.0.2.10:8787"})
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("issuer %s", srv.URL)
	}
	_, uri := newCode(t, srv)
	if !strings.HasPrefix(uri, "http://192.0.2.10:8787/sim/login/") {
		t.Errorf("QR address %s does not use the public URL", uri)
	}
}

// openSessions opens n QR sessions through the handler, as many kiosks would.
func openSessions(tb testing.TB, h http.Handler, n int) {
	tb.Helper()
	q := url.Values{"client_id": {DefaultClientID}, "scope": {scope}, "response_type": {"code"}}
	for i := 0; i < n; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/oauth2/authorize.json?"+q.Encode(), nil))
		if w.Code != 200 {
			tb.Fatalf("authorize: %d %s", w.Code, w.Body)
		}
	}
}

func TestExpiredSessionsAndTokensAreForgotten(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	srv := start(t, Options{Now: clock.Now, SessionLifetime: 10 * time.Second, TokenLifetime: time.Minute})
	openSessions(t, srv.Handler(), 1000)
	code, uri := newCode(t, srv)
	if err := srv.Approve(uri, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	token := poll(t, srv, "/oauth2/token", code).json["access_token"].(string)
	clock.Add(10 * time.Second)
	// One request forgets the 1000 expired codes; the token lives on.
	if r := poll(t, srv, "/oauth2/token", "unknown"); description(r) != "session_not_found" {
		t.Fatal(r.body)
	}
	srv.mu.Lock()
	sessions, byQR, tokens, heapLen := len(srv.sessions), len(srv.byQR), len(srv.tokens), len(srv.expiries)
	srv.mu.Unlock()
	if sessions != 0 || byQR != 0 || tokens != 1 || heapLen != 1 {
		t.Errorf("after expiry: %d sessions, %d QR ids, %d tokens, %d heap entries", sessions, byQR, tokens, heapLen)
	}
	if len(srv.PendingQRCodeURIs()) != 0 {
		t.Error("expired codes are still listed")
	}
	userInfo := func() int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/user_info.json", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return do(t, req).status
	}
	if status := userInfo(); status != 200 {
		t.Errorf("user info before the token expired: %d", status)
	}
	clock.Add(time.Minute)
	if status := userInfo(); status != 401 {
		t.Errorf("user info after the token expired: %d", status)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.tokens) != 0 || len(srv.expiries) != 0 {
		t.Errorf("after the token expired: %d tokens, %d heap entries", len(srv.tokens), len(srv.expiries))
	}
}

// BenchmarkTokenRequest polls a pending code with 0 and with 10,000 other
// codes open: the two should cost about the same (the old storage walked
// every session on every request).
func BenchmarkTokenRequest(b *testing.B) {
	for _, open := range []int{0, 10_000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			sim, err := New(Options{Issuer: "http://simulator.test"})
			if err != nil {
				b.Fatal(err)
			}
			h := sim.Handler()
			openSessions(b, h, open)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/oauth2/authorize.json?"+url.Values{
				"client_id": {DefaultClientID}, "scope": {scope}, "response_type": {"code"}}.Encode(), nil))
			var answer struct {
				Data struct{ ID string } `json:"data"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
				b.Fatal(err)
			}
			body := url.Values{"grant_type": {"authorization_code"}, "code": {answer.Data.ID}}.Encode()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(DefaultClientID, DefaultClientSecret)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 400 {
					b.Fatalf("poll: %d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// setFaults posts faults as JSON to /sim/faults, as a tester's script would.
func setFaults(t *testing.T, srv *Server, faults string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/sim/faults", strings.NewReader(faults))
	if r := do(t, req); r.status != 200 {
		t.Fatalf("setting faults: %d %s", r.status, r.body)
	}
}

func get(t *testing.T, addr string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, addr, nil)
	return do(t, req)
}

func TestSessionLifetimes(t *testing.T) {
	for _, lifetime := range []time.Duration{10 * time.Second, 5 * time.Minute} {
		t.Run(lifetime.String(), func(t *testing.T) {
			clock := &testClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			srv := start(t, Options{Now: clock.Now, SessionLifetime: lifetime})

			// Approved and exchanged in its last second: it works.
			code, uri := newCode(t, srv)
			clock.Add(lifetime - time.Second)
			if r := poll(t, srv, "/oauth2/token", code); description(r) != "login_pending" {
				t.Fatalf("a second before the end: %s", r.body)
			}
			if err := srv.Approve(uri, "ioe", "1234"); err != nil {
				t.Fatal(err)
			}
			if r := poll(t, srv, "/oauth2/token", code); r.status != 200 {
				t.Fatalf("exchanged a second before the end: %d %s", r.status, r.body)
			}

			// At the end, it is gone: for the kiosk, the page and Approve.
			code, uri = newCode(t, srv)
			clock.Add(lifetime - time.Second)
			if r := get(t, uri); r.status != 200 {
				t.Errorf("the page a second before the end: %d", r.status)
			}
			clock.Add(time.Second)
			if r := poll(t, srv, "/oauth2/token", code); r.status != 400 || description(r) != "session_not_found" {
				t.Errorf("at the end: %d %s", r.status, r.body)
			}
			if r := get(t, uri); r.status != 404 {
				t.Errorf("the page at the end: %d", r.status)
			}
			if err := srv.Approve(uri, "ioe", "1234"); err != ErrUnknownSession {
				t.Errorf("approving at the end: %v", err)
			}
		})
	}
}

func TestOmitIDTokenKeepsDiscovery(t *testing.T) {
	srv := start(t, Options{OmitIDToken: true})
	if _, err := oidc.NewProvider(context.Background(), srv.URL); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if r := get(t, srv.URL+"/oauth2/keys"); r.status != 200 || len(r.json["keys"].([]any)) != 1 {
		t.Errorf("keys: %d %s", r.status, r.body)
	}
	code, uri := newCode(t, srv)
	if err := srv.Approve(uri, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	r := poll(t, srv, "/oauth2/token", code)
	if _, has := r.json["id_token"]; r.status != 200 || has || r.json["access_token"] == nil {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/user_info.json", nil)
	req.Header.Set("Authorization", "Bearer "+r.json["access_token"].(string))
	if info := do(t, req); info.status != 200 {
		t.Errorf("user info: %d", info.status)
	}
}

func TestIDTokenAlg(t *testing.T) {
	for _, tt := range []struct{ option, alg, kty string }{
		{"", "RS256", "RSA"},
		{"RS256", "RS256", "RSA"},
		{"ES256", "ES256", "EC"},
	} {
		t.Run(tt.alg+"/"+tt.option, func(t *testing.T) {
			srv := start(t, Options{IDTokenAlg: tt.option})
			keys := get(t, srv.URL+"/oauth2/keys").json["keys"].([]any)
			key := keys[0].(map[string]any)
			if len(keys) != 1 || key["alg"] != tt.alg || key["kty"] != tt.kty || key["use"] != "sig" {
				t.Errorf("keys: %v", keys)
			}
			if tt.kty == "EC" && key["crv"] != "P-256" {
				t.Errorf("curve %v", key["crv"])
			}
			discovery := get(t, srv.URL+"/.well-known/openid-configuration").json
			if algs := discovery["id_token_signing_alg_values_supported"].([]any); len(algs) != 1 || algs[0] != tt.alg {
				t.Errorf("discovery names %v", algs)
			}
			code, uri := newCode(t, srv)
			if err := srv.Approve(uri, "ioe", "1234"); err != nil {
				t.Fatal(err)
			}
			idToken := poll(t, srv, "/oauth2/token", code).json["id_token"].(string)
			provider, err := oidc.NewProvider(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			// The verifier takes the algorithms from discovery.
			if _, err := provider.Verifier(&oidc.Config{ClientID: DefaultClientID}).Verify(context.Background(), idToken); err != nil {
				t.Errorf("verify: %v", err)
			}
			other := map[string]string{"RS256": "ES256", "ES256": "RS256"}[tt.alg]
			if _, err := provider.Verifier(&oidc.Config{ClientID: DefaultClientID, SupportedSigningAlgs: []string{other}}).Verify(context.Background(), idToken); err == nil {
				t.Errorf("the ID token verified as %s", other)
			}
		})
	}
	for _, alg := range []string{"HS256", "none", "es256", "PS256"} {
		if _, err := New(Options{IDTokenAlg: alg}); err == nil {
			t.Errorf("New accepted IDTokenAlg %q", alg)
		}
	}
}

func TestTokenPaths(t *testing.T) {
	for _, tt := range []struct {
		option, served, refused string
	}{
		{"", "/oauth2/token", ""},
		{"both", "/oauth2/token", ""},
		{"token", "/oauth2/token", "/oauth2/token.json"},
		{"token.json", "/oauth2/token.json", "/oauth2/token"},
	} {
		t.Run("paths="+tt.option, func(t *testing.T) {
			srv := start(t, Options{TokenPaths: tt.option})
			discovery := get(t, srv.URL+"/.well-known/openid-configuration").json
			if discovery["token_endpoint"] != srv.URL+tt.served {
				t.Errorf("token_endpoint %v", discovery["token_endpoint"])
			}
			for _, path := range []string{"/oauth2/token", "/oauth2/token.json"} {
				r := poll(t, srv, path, "unknown")
				if path == tt.refused {
					if r.status != 404 || r.json["error"] != "not_found" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
						t.Errorf("%s: %d %s", path, r.status, r.body)
					}
					continue
				}
				if r.status != 400 || description(r) != "session_not_found" {
					t.Errorf("%s: %d %s", path, r.status, r.body)
				}
			}
			code, uri := newCode(t, srv)
			if err := srv.Approve(uri, "ioe", "1234"); err != nil {
				t.Fatal(err)
			}
			if r := poll(t, srv, tt.served, code); r.status != 200 {
				t.Errorf("sign-in through %s: %d %s", tt.served, r.status, r.body)
			}
		})
	}
	for _, paths := range []string{"token.JSON", "/oauth2/token", "none"} {
		if _, err := New(Options{TokenPaths: paths}); err == nil {
			t.Errorf("New accepted TokenPaths %q", paths)
		}
	}
}

func TestSeparateUserInfoHost(t *testing.T) {
	if srv := start(t, Options{}); srv.UserInfoURL != "" {
		t.Errorf("UserInfoURL without the option: %q", srv.UserInfoURL)
	}
	srv := start(t, Options{SeparateUserInfoHost: true})
	if !strings.HasPrefix(srv.UserInfoURL, "http://127.0.0.1:") || srv.UserInfoURL == srv.URL || strings.Count(srv.UserInfoURL, "/") != 2 {
		t.Fatalf("UserInfoURL %q (issuer %s)", srv.UserInfoURL, srv.URL)
	}
	discovery := get(t, srv.URL+"/.well-known/openid-configuration").json
	if discovery["userinfo_endpoint"] != srv.UserInfoURL+"/user_info.json" {
		t.Errorf("userinfo_endpoint %v", discovery["userinfo_endpoint"])
	}
	code, uri := newCode(t, srv)
	if err := srv.Approve(uri, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	token := poll(t, srv, "/oauth2/token", code).json["access_token"].(string)
	userInfo := func(base string) reply {
		req, _ := http.NewRequest(http.MethodGet, base+"/user_info.json", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return do(t, req)
	}
	if r := userInfo(srv.UserInfoURL); r.status != 200 || r.json["ioeuid"] != "NL/EXAMPLECAB/1234567890B" {
		t.Errorf("user info on its host: %d %s", r.status, r.body)
	}
	if r := userInfo(srv.URL); r.status != 404 || r.json["error"] != "not_found" {
		t.Errorf("user info on the main host: %d %s", r.status, r.body)
	}
	if r := poll(t, srv, "/oauth2/token", "unknown"); r.status != 400 {
		t.Errorf("the main host still serves tokens: %d", r.status)
	}
	for _, path := range []string{"/oauth2/token", "/.well-known/openid-configuration", "/oauth2/authorize.json"} {
		if r := get(t, srv.UserInfoURL+path); r.status != 404 {
			t.Errorf("the user info host serves %s: %d", path, r.status)
		}
	}
	setFaults(t, srv, `{"server_errors": 1, "only": "user_info"}`)
	if r := userInfo(srv.UserInfoURL); r.status != 503 {
		t.Errorf("faults on the user info host: %d", r.status)
	}

	// New alone has no other host, and discovery does not invent one.
	sim, err := New(Options{Issuer: "http://simulator.test", SeparateUserInfoHost: true})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	sim.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/.well-known/openid-configuration", nil))
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc["token_endpoint"] == nil {
		t.Fatalf("discovery without Listen: %v %s", err, w.Body)
	}
	if _, has := doc["userinfo_endpoint"]; has {
		t.Errorf("userinfo_endpoint without a host: %v", doc["userinfo_endpoint"])
	}

	other := srv.UserInfoURL
	srv.Close()
	if resp, err := http.Get(other + "/user_info.json"); err == nil {
		resp.Body.Close()
		t.Error("the user info host outlives Close")
	}
}

func TestFiveDigitPINs(t *testing.T) {
	for _, p := range start(t, Options{}).Personas() {
		if len(p.PIN) != 4 {
			t.Errorf("default PIN of %s: %q", p.ID, p.PIN)
		}
	}
	srv := start(t, Options{FiveDigitPINs: true})
	want := map[string]string{"ioe": "12345", "rsse": "23456", "ioe-non-vat": "34567", "revoked": "45678"}
	for _, p := range srv.Personas() {
		if p.PIN != want[p.ID] {
			t.Errorf("PIN of %s: %q, want %q", p.ID, p.PIN, want[p.ID])
		}
	}
	code, uri := newCode(t, srv)
	if page := get(t, uri); !strings.Contains(page.body, "PIN 12345") || strings.Contains(page.body, "PIN 1234<") {
		t.Errorf("the page does not show the 5-digit PIN")
	}
	if err := srv.Approve(uri, "ioe", "1234"); err != ErrWrongPIN {
		t.Errorf("the 4-digit PIN: %v", err)
	}
	resp, err := http.PostForm(uri, url.Values{"persona": {"ioe"}, "pin": {"12345"}, "decision": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the page with the 5-digit PIN: %d", resp.StatusCode)
	}
	if r := poll(t, srv, "/oauth2/token", code); r.status != 200 {
		t.Errorf("token: %d %s", r.status, r.body)
	}
	_, uri = newCode(t, srv)
	if err := srv.Approve(uri, "revoked", "45678"); err != ErrRefused {
		t.Errorf("revoked with its 5-digit PIN: %v", err)
	}
}

func TestSlowTokenAnswers(t *testing.T) {
	outcomes := make(chan string, 16)
	srv := start(t, Options{OnTokenRequest: func(r TokenRequest) { outcomes <- r.Outcome }})
	next := func() string {
		t.Helper()
		select {
		case o := <-outcomes:
			return o
		case <-time.After(10 * time.Second):
			t.Fatal("no token request was reported")
			return ""
		}
	}

	// A chain authorisation's sign-in whose answer comes after the client gave up.
	code, uri := newCode(t, srv)
	if err := srv.Approve(uri, "rsse", "2345"); err != nil {
		t.Fatal(err)
	}
	setFaults(t, srv, `{"slow_token_answers": 1, "slow_answer_ms": 800}`)
	impatient := &http.Client{Timeout: 100 * time.Millisecond}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(DefaultClientID, DefaultClientSecret)
	if resp, err := impatient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the impatient client got an answer: %d", resp.StatusCode)
	}
	if o := next(); o != "issued" {
		t.Errorf("outcome %q, want issued", o)
	}
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "session_not_found" {
		t.Errorf("the next poll: %s", r.body)
	}
	next()
	srv.mu.Lock()
	tokens := len(srv.tokens)
	srv.mu.Unlock()
	if tokens != 1 {
		t.Errorf("%d tokens stored, want the one issued", tokens)
	}
	_, uri = newCode(t, srv)
	if err := srv.Approve(uri, "rsse", "2345"); err == nil || err.Error() != ErrChainUsed.Error() {
		t.Errorf("the lost answer used the chain authorisation: %v", err)
	}

	// The count hits the next N token requests whatever their outcome; a
	// patient client gets its answer late.
	setFaults(t, srv, `{"slow_token_answers": 2, "slow_answer_ms": 200}`)
	code, _ = newCode(t, srv)
	for i := 0; i < 2; i++ {
		began := time.Now()
		if r := poll(t, srv, "/oauth2/token", code); description(r) != "login_pending" {
			t.Errorf("slow poll %d: %s", i, r.body)
		}
		if time.Since(began) < 200*time.Millisecond {
			t.Errorf("slow poll %d was not held", i)
		}
		if o := next(); o != "login_pending" {
			t.Errorf("outcome %q", o)
		}
	}
	if f := get(t, srv.URL+"/sim/faults").json; f["slow_token_answers"] != 0.0 || f["slow_answer_ms"] != 200.0 {
		t.Errorf("faults after the count: %v", f)
	}
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "login_pending" {
		t.Errorf("after the count: %s", r.body)
	}
}

func TestTooManyNearTheEnd(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	srv := start(t, Options{Now: clock.Now, SessionLifetime: time.Minute})
	setFaults(t, srv, `{"too_many_near_end_seconds": 10}`)
	code, uri := newCode(t, srv)
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "login_pending" {
		t.Fatalf("at the start: %d %s", r.status, r.body)
	}
	clock.Add(50 * time.Second) // 10 s left: not below 10
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "login_pending" {
		t.Fatalf("10 s before the end: %d %s", r.status, r.body)
	}
	clock.Add(time.Second)
	for i := 0; i < 2; i++ { // not counted
		if r := poll(t, srv, "/oauth2/token", code); r.status != 429 || r.header.Get("Retry-After") != "2" || r.json["error"] != "too_many_requests" {
			t.Errorf("9 s before the end: %d %v %s", r.status, r.header, r.body)
		}
	}
	setFaults(t, srv, `{"too_many_near_end_seconds": 10, "retry_after_seconds": 5}`)
	if r := poll(t, srv, "/oauth2/token", code); r.status != 429 || r.header.Get("Retry-After") != "5" {
		t.Errorf("with retry_after_seconds: %d %v", r.status, r.header)
	}
	if r := poll(t, srv, "/oauth2/token", "unknown"); description(r) != "session_not_found" {
		t.Errorf("an unknown code: %s", r.body)
	}
	// The code was left as it was: it can still be approved and exchanged.
	if err := srv.Approve(uri, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	if r := poll(t, srv, "/oauth2/token", code); r.status != 200 {
		t.Errorf("approved near the end: %d %s", r.status, r.body)
	}
	code, _ = newCode(t, srv)
	clock.Add(55 * time.Second)
	if r := poll(t, srv, "/oauth2/token", code); r.status != 429 {
		t.Errorf("pending near the end: %d", r.status)
	}
	clock.Add(5 * time.Second)
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "session_not_found" {
		t.Errorf("at the end: %d %s", r.status, r.body)
	}
	setFaults(t, srv, `{}`)
	code, _ = newCode(t, srv)
	clock.Add(59 * time.Second)
	if r := poll(t, srv, "/oauth2/token", code); description(r) != "login_pending" {
		t.Errorf("with the fault off: %d %s", r.status, r.body)
	}
}
