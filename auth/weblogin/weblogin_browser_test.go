package weblogin_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/auth/weblogin"
	"github.com/workshop-login/workshop-login/platform/browser"
)

// A kiosk without a private browser opens the shared one, and the screen
// says so; a browser that cannot be opened at all fails the sign-in.
func TestWebLoginSaysWhenTheBrowserIsNotPrivate(t *testing.T) {
	srv := authtest.Simulator(t, simulator.Options{})
	s := authtest.Settings(srv)
	for _, tc := range []struct {
		name     string
		open     error
		wantOpen auth.MessageKey // "" for no EventBrowserOpened
		wantLast auth.EventKind
	}{
		{"private window", nil, auth.MsgWebContinue, auth.EventApproved},
		{"shared browser", fmt.Errorf("%w (no Chromium or Firefox)", weblogin.ErrBrowserNotPrivate), auth.MsgWebContinueShared, auth.EventApproved},
		{"no browser at all", errors.New("xdg-open: not found"), "", auth.EventFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opened := make(chan weblogin.BrowserStart, 1)
			web, err := weblogin.New(s, auth.EnvSimulator, func(_ context.Context, start weblogin.BrowserStart) error {
				opened <- start
				return tc.open
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			events := web.Start(ctx)
			start := <-opened
			addr := start.Address
			var got []auth.Event
			done := make(chan struct{})
			go func() {
				defer close(done)
				for e := range events {
					got = append(got, e)
				}
			}()
			if tc.wantOpen != "" {
				b := authtest.NewBrowser(t)
				webApprove(t, b, b.Launch(start), "ioe", "1234", "approve")
			}
			<-done
			if tc.wantOpen != "" {
				if e := got[0]; e.Kind != auth.EventBrowserOpened || e.Message != tc.wantOpen || e.BrowserURL != addr {
					t.Fatalf("first event %s %s, want %s %s", e.Kind, e.Message, auth.EventBrowserOpened, tc.wantOpen)
				}
				got = got[1:]
			}
			if e := last(t, got); e.Kind != tc.wantLast {
				t.Errorf("ended %s %s, want %s", e.Kind, e.Message, tc.wantLast)
			}
			for _, e := range got {
				if e.Kind == auth.EventBrowserOpened {
					t.Errorf("a second %s: %s", e.Kind, e.Message)
				}
			}
		})
	}
}

// The open function's context is the browser's life: it outlasts the
// callback page, then ends soon after the sign-in; giving up ends it at once.
func TestWebLoginEndsTheBrowserWithTheSignIn(t *testing.T) {
	srv := authtest.Simulator(t, simulator.Options{})
	s := authtest.Settings(srv)
	type opened struct {
		ctx   context.Context
		start weblogin.BrowserStart
	}
	start := func(ctx context.Context) (<-chan auth.Event, opened) {
		ch := make(chan opened, 1)
		web, err := weblogin.New(s, auth.EnvSimulator, func(ctx context.Context, start weblogin.BrowserStart) error {
			ch <- opened{ctx, start}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		events := web.Start(ctx)
		return events, <-ch
	}

	t.Run("signed in", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		events, o := start(ctx)
		go func() {
			for range events {
			}
		}()
		b := authtest.NewBrowser(t)
		login := b.Open(b.Launch(o.start))
		if pending := srv.PendingWebLogins(); len(pending) != 1 || pending[0] != login.URL.String() {
			t.Errorf("pending web logins %q, the browser is at %s", pending, login.URL)
		}
		back := b.Submit(login, map[string]string{"persona": "ioe", "pin": "1234", "decision": "approve"})
		if !strings.Contains(back.Body, "auth.web_return") {
			t.Fatalf("the browser's last page:\n%s", back.Body)
		}
		if o.ctx.Err() != nil {
			t.Error("the browser was ended before its last page was shown")
		}
		if len(srv.PendingWebLogins()) != 0 {
			t.Errorf("still pending: %q", srv.PendingWebLogins())
		}
		select {
		case <-o.ctx.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the browser's context outlives the sign-in")
		}
	})
	t.Run("given up", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, o := start(ctx)
		cancel() // Back to the QR code
		select {
		case <-o.ctx.Done():
		case <-time.After(time.Second):
			t.Fatal("giving up does not end the browser")
		}
	})
}

// The kiosk's browser is a private Chromium window with a throwaway
// profile, ended and wiped when the sign-in ends. Headless Chromium opens
// the launcher and the login page; the person approves with the phone.
func TestWebLoginInAPrivateChromiumWindow(t *testing.T) {
	t.Setenv(browser.PrivateCommandEnv, authtest.HeadlessChromium(t))
	srv := authtest.Simulator(t, simulator.Options{})
	s := authtest.Settings(srv)
	started := make(chan *browser.Private, 1)
	web, err := weblogin.New(s, auth.EnvSimulator, func(ctx context.Context, start weblogin.BrowserStart) error {
		// As the kiosk does (ui/cli): the address reaches Chromium through
		// a launcher, which gives it the cookie the callback requires.
		l, err := browser.WriteLauncher(start.LaunchURL, start.LaunchField, start.LaunchSecret, start.Text)
		if err != nil {
			return err
		}
		t.Cleanup(l.Remove)
		p, err := browser.OpenPrivate(ctx, l.URL())
		if err == nil {
			started <- p
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	web.SetPageText(func(k auth.MessageKey) string { return "text of " + string(k) })
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	events := web.Start(ctx)
	if e := <-events; e.Kind != auth.EventBrowserOpened || e.Message != auth.MsgWebContinue {
		t.Fatalf("first event %s %s: %v", e.Kind, e.Message, e.Err)
	}
	p := <-started
	defer p.End()

	// Chromium, with a profile of its own, is at the login page.
	var login string
	for login == "" && ctx.Err() == nil {
		if pending := srv.PendingWebLogins(); len(pending) > 0 {
			login = pending[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if login == "" {
		t.Fatal("Chromium did not open the sign-in")
	}
	running := authtest.ProcessesNaming(t, p.Profile())
	if !strings.Contains(strings.Join(running, "\n"), "--user-data-dir="+p.Profile()) || !strings.Contains(strings.Join(running, "\n"), "--incognito") {
		t.Errorf("Chromium is not running in a private window with its own profile:\n%s", strings.Join(running, "\n"))
	}
	if fi, err := os.Stat(p.Profile()); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("profile %s: %v", p.Profile(), err)
	}

	// The person approves with the phone, as Digidentity's page allows; the
	// page in Chromium goes on to the kiosk by itself, with the cookie its
	// launcher gave it.
	var got []auth.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range events {
			got = append(got, e)
		}
	}()
	if err := srv.Approve(login, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	<-done
	if e := last(t, got); e.Kind != auth.EventApproved {
		t.Fatalf("ended %s %s: %v", e.Kind, e.Message, e.Err)
	}

	// The sign-in is over: the browser is ended and its profile gone,
	// while the kiosk (ctx) goes on.
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the private browser outlives the sign-in")
	}
	if ctx.Err() != nil {
		t.Fatal("the test ran out of time")
	}
	if left := authtest.ProcessesNaming(t, p.Profile()); len(left) != 0 {
		t.Errorf("left running:\n%s", strings.Join(left, "\n"))
	}
	if _, err := os.Stat(p.Profile()); !os.IsNotExist(err) {
		t.Errorf("the profile is still there: %v", err)
	}
}
