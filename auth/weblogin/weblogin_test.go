package weblogin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/clock"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/auth/weblogin"
)

// webSignIn runs one web login against srv; browse plays the browser with
// the address the kiosk opens. It returns the events and the pages seen.
func webSignIn(t *testing.T, s auth.Settings, browse func(b *authtest.Browser, addr string)) []auth.Event {
	return webSignInAt(t, s, auth.EnvSimulator, browse)
}

func webSignInAt(t *testing.T, s auth.Settings, env auth.Environment, browse func(b *authtest.Browser, addr string)) []auth.Event {
	t.Helper()
	return webSignInWith(t, s, env, authtest.NewBrowser(t), browse)
}

// webSignInWith signs in with browser b, whose cookies persist between sign-ins.
func webSignInWith(t *testing.T, s auth.Settings, env auth.Environment, b *authtest.Browser, browse func(b *authtest.Browser, addr string)) []auth.Event {
	t.Helper()
	web, opened := newKioskWebLoginAt(t, s, env)
	web.SetPageText(func(k auth.MessageKey) string { return "text of " + string(k) })
	return runWebSignIn(t, web, opened, func(start weblogin.BrowserStart) {
		browse(b, b.Launch(start)) // the kiosk's browser, through its launcher
	})
}

// runWebSignIn runs one sign-in of web and returns its events; browse
// plays the browser the kiosk opened, from what it was started with.
func runWebSignIn(t *testing.T, web *weblogin.WebLogin, opened <-chan weblogin.BrowserStart, browse func(weblogin.BrowserStart)) []auth.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events := web.Start(ctx)
	var got []auth.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range events {
			got = append(got, e)
		}
	}()
	browse(<-opened)
	<-done
	return got
}

// newKioskWebLoginAt is a kiosk's web login in env, and what it opens the
// browser with.
func newKioskWebLoginAt(t *testing.T, s auth.Settings, env auth.Environment) (*weblogin.WebLogin, <-chan weblogin.BrowserStart) {
	t.Helper()
	opened := make(chan weblogin.BrowserStart, 1)
	web, err := weblogin.New(s, env, func(_ context.Context, start weblogin.BrowserStart) error { opened <- start; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return web, opened
}

// approveAs signs in on the simulator's page and returns the kiosk's page.
func webApprove(t *testing.T, b *authtest.Browser, addr, persona, pin, decision string) *authtest.Page {
	t.Helper()
	login := b.Open(addr)
	if !strings.Contains(login.Body, "Approve") {
		t.Fatalf("no login page at %s:\n%s", login.URL, login.Body)
	}
	return b.Submit(login, map[string]string{"persona": persona, "pin": pin, "decision": decision})
}

func last(t *testing.T, events []auth.Event) auth.Event {
	t.Helper()
	if len(events) == 0 {
		t.Fatal("no events")
	}
	return events[len(events)-1]
}

func TestWebLoginSignsInThroughTheBrowser(t *testing.T) {
	for _, method := range []auth.ClientAuth{auth.ClientAuthBasic, auth.ClientAuthPost, auth.ClientAuthNone} {
		t.Run(string(method), func(t *testing.T) {
			srv := authtest.Simulator(t, simulator.Options{Clients: map[string]string{
				simulator.DefaultClientID: simulator.DefaultClientSecret, "public-kiosk": ""}})
			s := authtest.Settings(srv)
			s.ClientAuth = method
			if method == auth.ClientAuthNone {
				s.ClientID, s.ClientSecret = "public-kiosk", ""
			}
			var addr string
			var back *authtest.Page
			events := webSignIn(t, s, func(b *authtest.Browser, a string) {
				addr = a
				back = webApprove(t, b, a, "ioe", "1234", "approve")
			})
			e := last(t, events)
			if e.Kind != auth.EventApproved || e.Session.Identity.IOUID.Name != "GARAGE JANSEN" {
				t.Fatalf("last event %+v", e)
			}
			if events[0].Kind != auth.EventBrowserOpened || events[0].BrowserURL != addr {
				t.Errorf("first event %+v", events[0])
			}
			u, _ := url.Parse(addr)
			q := u.Query()
			for _, k := range []string{"state", "nonce", "code_challenge"} {
				if len(q.Get(k)) < 43 {
					t.Errorf("%s %q is not 256 bits", k, q.Get(k))
				}
			}
			if q.Get("code_challenge_method") != "S256" || q.Get("scope") != simulator.DefaultProductScope+" openid sermi" ||
				!strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
				t.Errorf("authorization request %s", addr)
			}
			if back.URL.Host != strings.TrimPrefix(q.Get("redirect_uri"), "http://")[:len(back.URL.Host)] ||
				!strings.Contains(back.Body, "text of auth.web_return") {
				t.Errorf("the browser ended on %s:\n%s", back.URL, back.Body)
			}
		})
	}
}

// Each attack ends in a refusal with a clear message.
func TestWebLoginRefusesAttacks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults simulator.Faults
		// browse does the browser's part; nil approves normally.
		browse   func(t *testing.T, b *authtest.Browser, addr string)
		wantKind auth.EventKind
		wantKey  auth.MessageKey
		detail   string
	}{
		{name: "nonce mismatch", faults: simulator.Faults{IDToken: "wrong_nonce"},
			wantKind: auth.EventFailed, wantKey: auth.MsgIdentityInvalid, detail: "nonce"},
		{name: "expired ID token", faults: simulator.Faults{IDToken: "expired"},
			wantKind: auth.EventFailed, wantKey: auth.MsgIdentityInvalid, detail: "expired"},
		{name: "wrong issuer", faults: simulator.Faults{IDToken: "wrong_issuer"},
			wantKind: auth.EventFailed, wantKey: auth.MsgIdentityInvalid, detail: "issued by a different provider"},
		{name: "wrong audience", faults: simulator.Faults{IDToken: "wrong_audience"},
			wantKind: auth.EventFailed, wantKey: auth.MsgIdentityInvalid, detail: "audience"},
		{name: "user info names someone else", faults: simulator.Faults{UserInfoSub: "other"},
			wantKind: auth.EventFailed, wantKey: auth.MsgIdentityInvalid, detail: "differs from the ID token"},
		{name: "access_denied on the callback",
			browse: func(t *testing.T, b *authtest.Browser, addr string) {
				if back := webApprove(t, b, addr, "ioe", "", "deny"); !strings.Contains(back.Body, "auth.web_refused_tab") {
					t.Errorf("the browser shows:\n%s", back.Body)
				}
			},
			wantKind: auth.EventRefused, wantKey: auth.MsgRefused, detail: "access_denied"},
		{name: "wrong state, then a replayed callback",
			browse: func(t *testing.T, b *authtest.Browser, addr string) {
				// Stop at the redirect to the kiosk, and send a forged state first.
				b.Client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
					if req.URL.Query().Get("code") != "" {
						return http.ErrUseLastResponse
					}
					return nil
				}
				login := b.Open(addr)
				resp := b.Submit(login, map[string]string{"persona": "ioe", "pin": "1234", "decision": "approve"})
				callbackURL := resp.Location(t)
				forged := *callbackURL
				q := forged.Query()
				q.Set("state", "forged-"+q.Get("state"))
				forged.RawQuery = q.Encode()
				if p := b.Open(forged.String()); p.Status != 400 || !strings.Contains(p.Body, "auth.web_wrong_state") {
					t.Errorf("forged state: %d\n%s", p.Status, p.Body)
				}
				if p := b.Open(callbackURL.String()); p.Status != 200 || !strings.Contains(p.Body, "auth.web_return") {
					t.Errorf("the real callback after a forged one: %d\n%s", p.Status, p.Body)
				}
				if p := b.Open(callbackURL.String()); p.Status != 400 || !strings.Contains(p.Body, "auth.web_replayed") {
					t.Errorf("replayed callback: %d\n%s", p.Status, p.Body)
				}
			},
			wantKind: auth.EventApproved, wantKey: auth.MsgSignedIn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := authtest.Simulator(t, simulator.Options{})
			srv.SetFaults(tc.faults)
			browse := tc.browse
			if browse == nil {
				// The browser's page says what the kiosk made of the answer:
				// never "You are signed in" when the kiosk refused it.
				browse = func(t *testing.T, b *authtest.Browser, addr string) {
					back := webApprove(t, b, addr, "ioe", "1234", "approve")
					if !strings.Contains(back.Body, "text of "+string(tc.wantKey)) || strings.Contains(back.Body, "auth.web_return") {
						t.Errorf("the browser shows:\n%s\nwant the page to say %s", back.Body, tc.wantKey)
					}
				}
			}
			events := webSignIn(t, authtest.Settings(srv), func(b *authtest.Browser, addr string) { browse(t, b, addr) })
			e := last(t, events)
			if e.Kind != tc.wantKind || e.Message != tc.wantKey {
				t.Fatalf("ended with %s %s (%v), want %s %s", e.Kind, e.Message, e.Err, tc.wantKind, tc.wantKey)
			}
			if tc.detail != "" && (e.Err == nil || !strings.Contains(e.Err.Error(), tc.detail)) {
				t.Errorf("detail %v, want it to say %q", e.Err, tc.detail)
			}
			if e.Session != nil && tc.wantKind != auth.EventApproved {
				t.Error("a session despite the refusal")
			}
		})
	}
}

// Digidentity does not say that its token answer has an id_token: without
// one, the identity comes from user info, and the page says "signed in"
// once the kiosk has signed the person in.
func TestWebLoginWithoutIDToken(t *testing.T) {
	srv := authtest.Simulator(t, simulator.Options{OmitIDToken: true})
	var back *authtest.Page
	events := webSignIn(t, authtest.Settings(srv), func(b *authtest.Browser, addr string) {
		back = webApprove(t, b, addr, "rsse", "2345", "approve")
	})
	e := last(t, events)
	if e.Kind != auth.EventApproved || e.Session.Identity.Role != auth.RoleRSSE {
		t.Fatalf("ended with %s %s (%v)", e.Kind, e.Message, e.Err)
	}
	if !strings.Contains(back.Body, "text of auth.web_return") {
		t.Errorf("the browser shows:\n%s", back.Body)
	}
}

// On a shared kiosk the browser keeps the last person's Digidentity session
// (single sign-on). The kiosk sends prompt=login and max_age=0 by default,
// so the next person is asked to authenticate; and where a Trust Centre
// ignores both, an ID token whose auth_time predates the sign-in is refused.
func TestWebLoginAsksTheNextPersonToAuthenticate(t *testing.T) {
	approveIOE := func(b *authtest.Browser, addr string) { webApprove(t, b, addr, "ioe", "1234", "approve") }
	for _, tc := range []struct {
		name       string
		opts       simulator.Options
		settings   func(*auth.Settings)
		wantPage   bool // the second person sees the login page
		wantKind   auth.EventKind
		wantReason auth.MessageKey
	}{
		{name: "defaults: prompt=login", wantPage: true, wantKind: auth.EventApproved},
		{name: "max_age=0 alone", settings: func(s *auth.Settings) { s.WebPromptLogin = false }, wantPage: true, wantKind: auth.EventApproved},
		{name: "both off: the browser signs the next person in as the last (the risk)",
			settings: func(s *auth.Settings) { s.WebPromptLogin, s.WebMaxAge = false, -1 }, wantKind: auth.EventApproved},
		{name: "a Trust Centre that ignores both: auth_time refuses the reuse",
			opts: simulator.Options{IgnoreFreshLogin: true}, wantKind: auth.EventFailed, wantReason: auth.MsgWebStaleLogin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := authtest.Simulator(t, tc.opts)
			s := authtest.Settings(srv)
			if tc.settings != nil {
				tc.settings(&s)
			}
			b := authtest.NewBrowser(t)
			if e := last(t, webSignInWith(t, s, auth.EnvSimulator, b, approveIOE)); e.Kind != auth.EventApproved {
				t.Fatalf("the first person: %s %s", e.Kind, e.Message)
			}
			srv.AgeBrowserSessions(10 * time.Minute) // the next person walks up
			sawPage := false
			events := webSignInWith(t, s, auth.EnvSimulator, b, func(b *authtest.Browser, addr string) {
				page := b.Open(addr)
				if sawPage = strings.Contains(page.Body, "Approve"); sawPage {
					webApprove(t, b, addr, "ioe", "1234", "approve")
				}
			})
			e := last(t, events)
			if sawPage != tc.wantPage || e.Kind != tc.wantKind || (tc.wantReason != "" && e.Message != tc.wantReason) {
				t.Errorf("login page shown %v (want %v), ended %s %s (want %s %s)", sawPage, tc.wantPage, e.Kind, e.Message, tc.wantKind, tc.wantReason)
			}
		})
	}
}

func TestWebLoginTimesOut(t *testing.T) {
	srv := authtest.Simulator(t, simulator.Options{})
	s := authtest.Settings(srv)
	s.WebLoginTimeout = 30 * time.Second
	virtual := clock.NewVirtual(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	web, err := weblogin.New(s, auth.EnvSimulator, func(context.Context, weblogin.BrowserStart) error { return nil }, auth.WithClock(virtual))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := web.Start(ctx)
	if e := <-events; e.Kind != auth.EventBrowserOpened {
		t.Fatalf("%+v", e)
	}
	virtual.Advance(30 * time.Second) // nobody comes back from the browser
	e := <-events
	if e.Kind != auth.EventExpired || e.Message != auth.MsgWebTimeout {
		t.Fatalf("%+v", e)
	}
	if _, open := <-events; open {
		t.Error("the flow goes on after the timeout")
	}
}

func TestProductionNeedsAFixedAllowlistedRedirect(t *testing.T) {
	base := auth.DefaultSettings(auth.EnvProduction)
	base.ClientID, base.ClientSecret, base.ProductScope = "vm-kiosk", "s", "e9x4a6m254p663l4"
	for _, tc := range []struct {
		redirect string
		allowed  []string
		env      auth.Environment
		want     string
	}{
		{"", nil, auth.EnvProduction, "ask Digidentity's implementation team to allowlist"},
		{"http://127.0.0.1/callback", []string{"http://127.0.0.1/callback"}, auth.EnvProduction, "does not fix the port and path"},
		{"http://127.0.0.1:53682", []string{"http://127.0.0.1:53682"}, auth.EnvProduction, "does not fix the port and path"},
		{"http://127.0.0.1:53682/callback", nil, auth.EnvProduction, "is not among AllowedRedirectURIs"},
		{"http://localhost:53682/callback", []string{"http://localhost:53682/callback"}, auth.EnvProduction, "is not http on 127.0.0.1"},
		{"https://kiosk.example/callback", nil, auth.EnvPreproduction, "is not http on 127.0.0.1"},
		{"http://127.0.0.1:53682/callback", []string{"http://127.0.0.1:53682/callback"}, auth.EnvProduction, ""},
		{"", nil, auth.EnvPreproduction, ""},
		{"http://127.0.0.1/callback", nil, auth.EnvPreproduction, ""},
	} {
		s := base
		s.RedirectURI, s.AllowedRedirectURIs = tc.redirect, tc.allowed
		err := s.ValidateWeb(tc.env)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q allowed %v: %v, want %q", tc.env, tc.redirect, tc.allowed, err, tc.want)
		}
	}
}
