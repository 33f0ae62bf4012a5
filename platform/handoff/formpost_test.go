package handoff

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/platform/browser"
)

// portal is a repair portal on loopback that records the hand-offs it gets.
type portal struct {
	*httptest.Server
	mu    sync.Mutex
	posts []*http.Request
	got   chan struct{}
}

func newPortal(t *testing.T) *portal {
	p := &portal{got: make(chan struct{}, 10)}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sermi/handoff" {
			http.NotFound(w, r)
			return
		}
		r.ParseForm()
		p.mu.Lock()
		p.posts = append(p.posts, r)
		p.mu.Unlock()
		io.WriteString(w, "<!doctype html><title>Portal</title><p>Welcome to the repair portal</p>")
		p.got <- struct{}{}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *portal) handoffURL() *url.URL {
	u, _ := url.Parse(p.URL + "/sermi/handoff")
	return u
}

func (p *portal) received() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.posts...)
}

// chromium finds Debian's Chromium; make test installs it and insists.
func chromium(t *testing.T) string {
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("WORKSHOP_LOGIN_BROWSER_TEST") == "1" {
			t.Fatal("chromium is not installed; run make deps")
		}
		t.Skip("chromium is not installed; make test installs it")
	}
	return path
}

// browse runs headless Chromium at u and prints the page it ends on.
func browse(ctx context.Context, t *testing.T, u string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, chromium(t), append(chromiumFlags(t.TempDir()), "--dump-dom", u)...)
	newProcessGroup(cmd)
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) } // its helpers too
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func chromiumFlags(profile string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile}
}

// systemBrowser makes script, run with the address as its only argument, the
// system browser for browser.Open, and returns the file its argument list is
// recorded in.
func systemBrowser(t *testing.T, script string) (argv string) {
	t.Helper()
	dir := t.TempDir()
	argv = filepath.Join(dir, "argv")
	path := filepath.Join(dir, "browser")
	body := "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" > " + argv + ".tmp && mv " + argv + ".tmp " + argv + "\n" + script
	if err := os.WriteFile(path, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv(browser.CommandEnv, path)
	return argv
}

func waitFor(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s was not written", path)
	return ""
}

// secrets are the one-time secrets of the pages not yet opened.
func (f *FormPost) secrets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []string
	for k := range f.pages {
		s = append(s, k)
	}
	return s
}

// intruder is another program on this machine: it knows the listener's
// address (from /proc/net/tcp, or a command line) but not the secret.
func intruder(t *testing.T, origin string) {
	t.Helper()
	for _, try := range []func() (*http.Response, error){
		func() (*http.Response, error) { return http.Get(origin + "/handoff") },
		func() (*http.Response, error) { return http.Get(origin + "/handoff/") },
		func() (*http.Response, error) { return http.PostForm(origin+"/handoff", url.Values{}) },
		func() (*http.Response, error) {
			return http.PostForm(origin+"/handoff", url.Values{"handoff": {"AAAAAAAAAAAAAAAAAAAAAA"}})
		},
	} {
		resp, err := try()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(b), "at-secret") {
			t.Errorf("another program got %d:\n%s", resp.StatusCode, b)
		}
	}
}

func TestPortalReceivesTheSessionFromChromiumOnce(t *testing.T) {
	chrome := chromium(t)
	p := newPortal(t)
	s := rsse(t)
	post := NewFormPost(p.handoffURL(), nil)
	defer post.Close()

	// Chromium as the system browser: like xdg-open, the opener hands the
	// address to a browser of its own and exits.
	pidFile := filepath.Join(t.TempDir(), "pid")
	argv := systemBrowser(t, "setsid "+chrome+" "+strings.Join(chromiumFlags(t.TempDir()), " ")+
		" \"$1\" >/dev/null 2>&1 </dev/null &\necho $! > "+pidFile+"\n")
	t.Cleanup(func() {
		if pid, err := strconv.Atoi(strings.TrimSpace(waitFor(t, pidFile))); err == nil {
			syscall.Kill(-pid, syscall.SIGKILL)
			for i := 0; i < 100 && syscall.Kill(-pid, 0) == nil; i++ {
				time.Sleep(20 * time.Millisecond)
			}
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var opened *url.URL
	var secrets []string
	desk := &Handover{PortalHandoff: post, OpenURL: func(u *url.URL) error {
		opened, secrets = u, post.secrets()
		intruder(t, post.origin) // first, as the attack did
		return browser.Open(ctx, u.String())
	}}
	if !desk.HasPortal() {
		t.Fatal("the portal button would be hidden")
	}
	if err := desk.OpenPortal(s); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.got:
	case <-ctx.Done():
		t.Fatal("the portal received nothing from Chromium")
	}

	// What the browser was given: a file only we can read, nothing secret.
	if opened.Scheme != "file" || len(secrets) != 1 {
		t.Fatalf("browser given %s; pages %d", opened, len(secrets))
	}
	cmdline := waitFor(t, argv)
	for _, secret := range append(secrets, "127.0.0.1", "at-secret", "EXA/NL", "e6x3a4mp", "NL/EXAMPLECAB") {
		if strings.Contains(cmdline, secret) {
			t.Errorf("the opener's command line carries %q:\n%s", secret, cmdline)
		}
	}
	if _, err := os.Stat(opened.Path); !os.IsNotExist(err) {
		t.Errorf("the launcher is still there after use: %v", err)
	}

	got := p.received()
	if len(got) != 1 {
		t.Fatalf("portal received %d posts", len(got))
	}
	r := got[0]
	if r.Method != http.MethodPost || r.URL.RawQuery != "" || r.Header.Get("Referer") != "" {
		t.Errorf("%s %s, Referer %q", r.Method, r.URL, r.Header.Get("Referer"))
	}
	want := map[string]string{
		"access_token": "at-secret-123456", "token_type": "Bearer", "sub": "e6x3a4mp-49l2-66ps-94ef-u39455005d8o",
		"role": "RSSE", "cabuid": "EXA/NL/1234/1EXA2MP34LE5",
		"iouid":             "GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01",
		"ioeuid":            "NL/EXAMPLECAB/1234567890B",
		"rssuid":            "REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02",
		"rsseuid":           "NL/EXAMPLECAB/9876543210D",
		"authorisation_uid": "9876543210D",
		"expires_at":        "2026-11-24T10:00:00Z",
	}
	for k, v := range want {
		if r.PostForm.Get(k) != v {
			t.Errorf("portal got %s=%q, want %q", k, r.PostForm.Get(k), v)
		}
	}

	// The secret sent again (the browser's back button and "resubmit") is
	// refused, and the portal hears nothing more.
	resp, err := http.PostForm(post.origin+"/handoff", url.Values{"handoff": {secrets[0]}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone || !strings.Contains(string(b), "already been used") {
		t.Errorf("second use: %d\n%s", resp.StatusCode, b)
	}
	// A browser at the bare address sees what to do, and nothing else.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel2()
	dom, err := browse(ctx2, t, post.origin+"/handoff").Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if !strings.Contains(string(dom), "opens only from the kiosk") || strings.Contains(string(dom), "at-secret") {
		t.Errorf("the bare address shows:\n%s", dom)
	}
	if n := len(p.received()); n != 1 {
		t.Errorf("after a second visit the portal received %d posts", n)
	}
}

// TestHandoffOpenerSeesNoSecret plays the browser with this test binary:
// it records the command line every local user can read, then does what a
// browser does with the file it was given.
func TestHandoffOpenerSeesNoSecret(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc")
	}
	p := newPortal(t)
	post := NewFormPost(p.handoffURL(), nil)
	defer post.Close()
	out := filepath.Join(t.TempDir(), "fake-browser")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	systemBrowser(t, "FAKE_BROWSER_RECORD="+out+" exec "+exe+" -test.run='^TestFakeBrowser$' -- \"$1\"\n")

	var secrets []string
	desk := &Handover{PortalHandoff: post, OpenURL: func(u *url.URL) error {
		secrets = post.secrets()
		intruder(t, post.origin)
		return browser.Open(context.Background(), u.String())
	}}
	if err := desk.OpenPortal(rsse(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.got:
	case <-time.After(30 * time.Second):
		t.Fatalf("the portal received nothing; the fake browser says:\n%s", waitFor(t, out))
	}
	if got := p.received(); len(got) != 1 || got[0].PostForm.Get("access_token") != "at-secret-123456" {
		t.Fatalf("portal received %d posts", len(got))
	}
	cmdline := waitFor(t, out)
	if len(secrets) != 1 || !strings.Contains(cmdline, "file://") {
		t.Fatalf("pages %d; the browser's command line:\n%s", len(secrets), cmdline)
	}
	for _, secret := range append(secrets, "127.0.0.1", "at-secret") {
		if strings.Contains(cmdline, secret) {
			t.Errorf("/proc/PID/cmdline of the browser carries %q:\n%s", secret, cmdline)
		}
	}
	// The opener has exited and been waited for.
	deadline := time.Now().Add(5 * time.Second)
	for len(zombieChildren(t)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if z := zombieChildren(t); len(z) != 0 {
		t.Errorf("zombies left: %v", z)
	}
}

// TestFakeBrowser is the browser of TestHandoffOpenerSeesNoSecret.
func TestFakeBrowser(t *testing.T) {
	record := os.Getenv("FAKE_BROWSER_RECORD")
	if record == "" {
		t.Skip("only as the fake browser")
	}
	cmdline, err := os.ReadFile("/proc/self/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	defer os.WriteFile(record, bytes.ReplaceAll(cmdline, []byte{0}, []byte{'\n'}), 0o600)
	target, err := url.Parse(os.Args[len(os.Args)-1])
	if err != nil || target.Scheme != "file" {
		t.Fatalf("given %q", os.Args[len(os.Args)-1])
	}
	body, err := os.ReadFile(target.Path)
	if err != nil {
		t.Fatal(err)
	}
	b := authtest.NewBrowser(t)
	handoff := b.Submit(&authtest.Page{URL: target, Status: 200, Body: string(body)}, nil)
	if handoff.Status != http.StatusOK {
		t.Fatalf("hand-off page: %d", handoff.Status)
	}
	b.Submit(handoff, nil)
}

// zombieChildren lists this process's children that have exited and not
// been waited for.
func zombieChildren(t *testing.T) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	var found []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[0] == "Z" && f[1] == strconv.Itoa(os.Getpid()) {
			found = append(found, pid)
		}
	}
	return found
}

var secretInLauncher = regexp.MustCompile(`name="handoff" value="([A-Za-z0-9_-]{22})"`)

// launcher makes a page and returns the launcher's path and secret.
func launcher(t *testing.T, post *FormPost) (path, secret string) {
	t.Helper()
	u, err := post.Page(rsse(t))
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(u.Path)
	if err != nil {
		t.Fatal(err)
	}
	m := secretInLauncher.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("launcher:\n%s", body)
	}
	return u.Path, m[1]
}

func TestHandoffPageRules(t *testing.T) {
	p := newPortal(t)
	post := NewFormPost(p.handoffURL(), nil)
	post.dir = t.TempDir()
	defer post.Close()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	post.now = func() time.Time { return now }
	send := func(method, secret, host string) (int, http.Header, string) {
		var body io.Reader
		if method == http.MethodPost {
			body = strings.NewReader(url.Values{"handoff": {secret}}.Encode())
		}
		req, _ := http.NewRequest(method, post.origin+"/handoff", body)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}

	t.Run("the launcher is private and posts only to the listener", func(t *testing.T) {
		path, secret := launcher(t, post)
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("launcher %v %v", fi.Mode(), err)
		}
		dir, _ := os.Stat(filepath.Dir(path))
		if dir.Mode().Perm() != 0o700 || filepath.Dir(filepath.Dir(path)) != post.dir {
			t.Errorf("launcher's folder %s %v", filepath.Dir(path), dir.Mode())
		}
		body, _ := os.ReadFile(path)
		csp := regexp.MustCompile(`http-equiv="Content-Security-Policy" content="([^"]*)"`).FindStringSubmatch(string(body))
		if csp == nil || !strings.HasSuffix(csp[1], "; form-action "+post.origin) || !strings.Contains(csp[1], "default-src &#39;none&#39;") ||
			!strings.Contains(string(body), `action="`+post.origin+`/handoff"`) || !strings.Contains(string(body), `name="referrer" content="no-referrer"`) {
			t.Errorf("launcher:\n%s", body)
		}
		if strings.Contains(string(body), "at-secret") {
			t.Error("the launcher carries the token")
		}
		code, h, _ := send(http.MethodPost, secret, "")
		if _, err := os.Stat(path); code != 200 || !os.IsNotExist(err) {
			t.Errorf("%d; after use the launcher: %v", code, err)
		}
		if !strings.HasSuffix(h.Get("Content-Security-Policy"), "; form-action "+p.URL) {
			t.Errorf("page's policy %q", h.Get("Content-Security-Policy"))
		}
	})
	t.Run("expires after 60 s", func(t *testing.T) {
		_, secret := launcher(t, post)
		now = now.Add(PageLifetime)
		if code, _, body := send(http.MethodPost, secret, ""); code != http.StatusGone || strings.Contains(body, "at-secret") {
			t.Errorf("%d %s", code, body)
		}
	})
	t.Run("opens within 60 s, with a policy that allows only the portal", func(t *testing.T) {
		_, secret := launcher(t, post)
		now = now.Add(PageLifetime - time.Second)
		code, h, body := send(http.MethodPost, secret, "")
		csp := h.Get("Content-Security-Policy")
		if code != 200 || !strings.Contains(csp, "form-action "+p.URL) || h.Get("Cache-Control") != "no-store" ||
			h.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(body, "at-secret-123456") {
			t.Errorf("%d CSP %q", code, csp)
		}
	})
	t.Run("the address alone hands nothing over", func(t *testing.T) {
		_, secret := launcher(t, post)
		for _, try := range []struct{ method, secret string }{
			{http.MethodGet, ""}, {http.MethodHead, ""}, {http.MethodPost, ""}, {http.MethodPost, "AAAAAAAAAAAAAAAAAAAAAA"},
			{http.MethodPut, secret}, {http.MethodGet, secret},
		} {
			code, h, body := send(try.method, try.secret, "")
			if code == 200 || strings.Contains(body, "at-secret") || h.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %q: %d %s", try.method, try.secret, code, body)
			}
		}
		if code, _, body := send(http.MethodGet, "", ""); code != http.StatusMethodNotAllowed || !strings.Contains(body, "opens only from the kiosk") {
			t.Errorf("GET: %d %s", code, body)
		}
		if code, _, _ := send(http.MethodPost, secret, ""); code != 200 { // none of those used it up
			t.Errorf("then the browser: %d", code)
		}
	})
	t.Run("another host name is not this page", func(t *testing.T) {
		_, secret := launcher(t, post)
		if code, _, _ := send(http.MethodPost, secret, "attacker.example:"+strings.TrimPrefix(post.origin, "http://127.0.0.1:")); code != http.StatusNotFound {
			t.Errorf("DNS-rebound request: %d", code)
		}
	})
	t.Run("sign-out drops pages not yet opened and their launchers", func(t *testing.T) {
		path, secret := launcher(t, post)
		(&Handover{PortalHandoff: post}).EndSession()
		if code, _, _ := send(http.MethodPost, secret, ""); code != http.StatusGone {
			t.Errorf("after sign-out: %d", code)
		}
		if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
			t.Errorf("launcher after sign-out: %v", err)
		}
	})
	t.Run("an unopened launcher is deleted after its lifetime", func(t *testing.T) {
		post.linger = 50 * time.Millisecond
		defer func() { post.linger = 0 }()
		path, _ := launcher(t, post)
		deadline := time.Now().Add(5 * time.Second)
		for _, err := os.Stat(path); err == nil && time.Now().Before(deadline); _, err = os.Stat(path) {
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
			t.Errorf("launcher after its lifetime: %v", err)
		}
		if n := len(post.secrets()); n != 0 {
			t.Errorf("%d pages left", n)
		}
	})
	t.Run("no browser: the page and launcher go", func(t *testing.T) {
		var opened *url.URL
		desk := &Handover{PortalHandoff: post, OpenURL: func(u *url.URL) error { opened = u; return errors.New("no browser") }}
		if err := desk.OpenPortal(rsse(t)); err == nil {
			t.Fatal("no error")
		}
		if _, err := os.Stat(filepath.Dir(opened.Path)); !os.IsNotExist(err) || len(post.secrets()) != 0 {
			t.Errorf("launcher: %v; pages %d", err, len(post.secrets()))
		}
	})
	t.Run("values are escaped", func(t *testing.T) {
		s := rsse(t)
		s.AccessToken = `a"><script>alert(1)</script>`
		u, _ := post.Page(s)
		body, _ := os.ReadFile(u.Path)
		secret := secretInLauncher.FindStringSubmatch(string(body))[1]
		if _, _, body := send(http.MethodPost, secret, ""); strings.Contains(body, "<script>alert") || !strings.Contains(body, "&#34;&gt;&lt;script&gt;") {
			t.Errorf("page:\n%s", body)
		}
	})
}

// The portal's form has the fields it has always had, in the same order:
// the token, the identity's fields, when the token expires.
func TestPortalFieldsAreWhatThePortalHasAlwaysHad(t *testing.T) {
	var got []string
	for _, f := range portalFields(rsse(t)) {
		got = append(got, f.Name+"="+f.Value)
	}
	want := []string{"access_token=at-secret-123456", "token_type=Bearer", "sub=e6x3a4mp-49l2-66ps-94ef-u39455005d8o",
		"role=RSSE", "cabuid=EXA/NL/1234/1EXA2MP34LE5", "iouid=GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01",
		"ioeuid=NL/EXAMPLECAB/1234567890B", "authorisation_uid=9876543210D",
		"rssuid=REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02", "rsseuid=NL/EXAMPLECAB/9876543210D",
		"expires_at=2026-11-24T10:00:00Z"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("portal fields\n got %q\nwant %q", got, want)
	}
}

// On a relay the portal receives the signed assertion, which it can check,
// instead of Digidentity's access token, which stays at the relay.
func TestPortalGetsTheAssertionOnARelay(t *testing.T) {
	s := rsse(t)
	s.AccessToken, s.Assertion = "", "eyJ.relay-signed.assertion"
	fields := map[string]string{}
	for _, f := range portalFields(s) {
		fields[f.Name] = f.Value
	}
	if fields["assertion"] != "eyJ.relay-signed.assertion" {
		t.Errorf("portal fields %v lack the assertion", fields)
	}
	if _, ok := fields["access_token"]; ok {
		t.Errorf("portal fields %v carry an access token on a relay", fields)
	}
	if fields["ioeuid"] == "" {
		t.Errorf("portal fields %v lack the identity shown beside the assertion", fields)
	}
}
