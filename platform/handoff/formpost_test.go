package handoff

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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

// browse runs headless Chromium at u, as the kiosk's system browser would
// be, printing the page it ends on when dumpDOM is set.
func browse(ctx context.Context, t *testing.T, u *url.URL, dumpDOM bool) *exec.Cmd {
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	if dumpDOM {
		args = append(args, "--dump-dom")
	}
	cmd := exec.CommandContext(ctx, chromium(t), append(args, u.String())...)
	newProcessGroup(cmd)
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) } // its helpers too
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func TestPortalReceivesTheSessionFromChromiumOnce(t *testing.T) {
	chromium(t)
	p := newPortal(t)
	s := rsse(t)
	post := NewFormPost(p.handoffURL(), nil)
	defer post.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var opened *url.URL
	desk := &Desk{PortalHandoff: post, OpenURL: func(u *url.URL) error {
		opened = u
		return browse(ctx, t, u, false).Start()
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
	cancel() // the first browser's work is done

	// What the browser was sent to: 127.0.0.1 and 128 random bits, nothing secret.
	if opened.Hostname() != "127.0.0.1" || opened.RawQuery != "" {
		t.Errorf("hand-off page at %s", opened)
	}
	id := strings.TrimPrefix(opened.Path, "/handoff/")
	if len(id) != 22 { // 16 bytes, base64url without padding
		t.Errorf("page id %q is not 128 bits", id)
	}
	for _, secret := range []string{"at-secret", "EXA/NL", "e6x3a4mp", "NL/EXAMPLECAB"} {
		if strings.Contains(opened.String(), secret) {
			t.Errorf("the page's address %s carries %q", opened, secret)
		}
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

	// A second visit (the browser's back button, history, another person)
	// is refused, and the portal hears nothing more.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel2()
	dom, err := browse(ctx2, t, opened, true).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if !strings.Contains(string(dom), "already been used") || strings.Contains(string(dom), "at-secret") {
		t.Errorf("second visit shows:\n%s", dom)
	}
	if n := len(p.received()); n != 1 {
		t.Errorf("after a second visit the portal received %d posts", n)
	}
}

func TestHandoffPageRules(t *testing.T) {
	p := newPortal(t)
	post := NewFormPost(p.handoffURL(), nil)
	defer post.Close()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	post.now = func() time.Time { return now }
	get := func(u *url.URL, host string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	t.Run("expires after 60 s", func(t *testing.T) {
		u, _ := post.Page(rsse(t))
		now = now.Add(PageLifetime)
		if code, body := get(u, ""); code != http.StatusGone || strings.Contains(body, "at-secret") {
			t.Errorf("%d %s", code, body)
		}
	})
	t.Run("opens within 60 s, with a policy that allows only the portal", func(t *testing.T) {
		u, _ := post.Page(rsse(t))
		now = now.Add(PageLifetime - time.Second)
		resp, err := http.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != 200 || !strings.Contains(csp, "form-action "+p.URL) || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%d CSP %q", resp.StatusCode, csp)
		}
	})
	t.Run("another host name is not this page", func(t *testing.T) {
		u, _ := post.Page(rsse(t))
		if code, _ := get(u, "attacker.example:"+u.Port()); code != http.StatusNotFound {
			t.Errorf("DNS-rebound request: %d", code)
		}
	})
	t.Run("sign-out drops pages not yet opened", func(t *testing.T) {
		u, _ := post.Page(rsse(t))
		(&Desk{PortalHandoff: post}).EndSession()
		if code, _ := get(u, ""); code != http.StatusGone {
			t.Errorf("after sign-out: %d", code)
		}
	})
	t.Run("values are escaped", func(t *testing.T) {
		s := rsse(t)
		s.AccessToken = `a"><script>alert(1)</script>`
		u, _ := post.Page(s)
		if _, body := get(u, ""); strings.Contains(body, "<script>alert") || !strings.Contains(body, "&#34;&gt;&lt;script&gt;") {
			t.Errorf("page:\n%s", body)
		}
	})
}
