package weblogin_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/auth/weblogin"
)

// A page on another site, or another name for 127.0.0.1 (DNS rebinding),
// cannot hand the kiosk a sign-in answer, even one with the right state:
// the callback refuses it (403) and waits for the browser's own.
func TestCallbackFromAnotherOriginIsRefused(t *testing.T) {
	srv := authtest.Simulator(t, simulator.Options{})
	events := webSignIn(t, authtest.Settings(srv), func(b *authtest.Browser, addr string) {
		b.Client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if req.URL.Query().Get("code") != "" {
				return http.ErrUseLastResponse
			}
			return nil
		}
		login := b.Open(addr)
		callback := b.Submit(login, map[string]string{"persona": "ioe", "pin": "1234", "decision": "approve"}).Location(t)
		port := callback.Port()
		for _, bad := range []struct{ host, origin string }{
			{"127.0.0.1:" + port, "http://attacker.example"},
			{"127.0.0.1:" + port, "null"},
			{"attacker.example:" + port, ""},
			{"localhost:" + port, ""},
		} {
			req, _ := http.NewRequest(http.MethodGet, callback.String(), nil)
			req.Host = bad.host
			if bad.origin != "" {
				req.Header.Set("Origin", bad.origin)
			}
			resp, err := b.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			page := readPage(t, resp)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "auth.web_other_browser") {
				t.Errorf("Host %s, Origin %q: %d\n%s", bad.host, bad.origin, resp.StatusCode, page)
			}
		}
		if p := b.Open(callback.String()); p.Status != http.StatusOK || !strings.Contains(p.Body, "auth.web_return") {
			t.Errorf("then the browser's own answer: %d\n%s", p.Status, p.Body)
		}
	})
	if e := last(t, events); e.Kind != auth.EventApproved {
		t.Errorf("ended with %s %s (%v)", e.Kind, e.Message, e.Err)
	}
}

func readPage(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The launcher's address gives the binding cookie only to a POST of its
// secret from the launcher itself (a file: Origin "null") or with no
// Origin; anything else is refused and leaves the launcher usable.
func TestLauncherAnswersOnlyTheKiosksLauncher(t *testing.T) {
	srv := authtest.Simulator(t, simulator.Options{})
	events := webSignInStart(t, authtest.Settings(srv), func(b *authtest.Browser, start weblogin.BrowserStart) {
		post := func(method, secret, origin string) *http.Response {
			req, _ := http.NewRequest(method, start.LaunchURL, strings.NewReader(url.Values{start.LaunchField: {secret}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			readPage(t, resp)
			return resp
		}
		for _, bad := range []struct{ method, secret, origin string }{
			{http.MethodPost, start.LaunchSecret, "http://attacker.example"},
			{http.MethodPost, "not-the-secret", "null"},
			{http.MethodPost, "", ""},
			{http.MethodGet, start.LaunchSecret, ""},
		} {
			if resp := post(bad.method, bad.secret, bad.origin); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
				t.Errorf("%s %q from %q: %d, cookies %v", bad.method, bad.secret, bad.origin, resp.StatusCode, resp.Cookies())
			}
		}
		select {
		case <-start.Launched:
			t.Error("a refused start counts as launched")
		default:
		}
		webApprove(t, b, b.Launch(start), "ioe", "1234", "approve")
		select {
		case <-start.Launched:
		default:
			t.Error("the launcher's own start does not count as launched")
		}
	})
	if e := last(t, events); e.Kind != auth.EventApproved {
		t.Errorf("ended with %s %s (%v)", e.Kind, e.Message, e.Err)
	}
}

// webSignInStart is webSignIn whose browse gets the BrowserStart itself.
func webSignInStart(t *testing.T, s auth.Settings, browse func(b *authtest.Browser, start weblogin.BrowserStart)) []auth.Event {
	t.Helper()
	web, opened := newKioskWebLogin(t, s)
	return runWebSignIn(t, web, opened, func(start weblogin.BrowserStart) { browse(authtest.NewBrowser(t), start) })
}
