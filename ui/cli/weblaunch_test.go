//go:build linux

package cli

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/auth/weblogin"
	"github.com/workshop-login/workshop-login/platform/browser"
)

// staying is a browser that notes its arguments and stays, keeping them on
// its command line as a real browser does.
func staying(t *testing.T) (path, record string) {
	t.Helper()
	dir := t.TempDir()
	path, record = filepath.Join(dir, "chromium"), filepath.Join(dir, "record")
	body := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + record + ".tmp && mv " + record + ".tmp " + record + "\nsleep 600\n"
	if err := os.WriteFile(path, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return path, record
}

// procsShowing lists the processes whose command line or environment
// another local user can read and that hold any of secrets.
func procsShowing(t *testing.T, secrets ...string) []string {
	t.Helper()
	var found []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		for _, f := range []string{"cmdline", "environ"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				continue
			}
			for _, s := range secrets {
				if s != "" && bytes.Contains(b, []byte(s)) {
					found = append(found, dir+"/"+f+": "+strings.ReplaceAll(string(b), "\x00", " "))
				}
			}
		}
	}
	return found
}

// Another local user read the web login's address from the private
// browser's command line, opened it as someone else, and the kiosk signed
// that person in. The address must be on no command line and in no
// environment, and an answer from any browser but the kiosk's is refused.
func TestWebLoginAddressReachesOnlyTheKiosksBrowser(t *testing.T) {
	srv := authtest.Simulator(t, simulator.Options{})
	fake, record := staying(t)
	t.Setenv(browser.PrivateCommandEnv, fake)
	t.Setenv("TMPDIR", t.TempDir())
	kiosk, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	web, err := weblogin.New(authtest.Settings(srv), auth.EnvSimulator, webBrowser(kiosk, browser.Opener{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	events := web.Start(kiosk)
	opened := <-events
	if opened.Kind != auth.EventBrowserOpened {
		t.Fatalf("first event %+v", opened)
	}
	addr, _ := url.Parse(opened.BrowserURL)
	args := readSoon(t, record)
	if found := procsShowing(t, opened.BrowserURL, addr.Query().Get("state"), url.QueryEscape(addr.Query().Get("state"))); len(found) > 0 {
		t.Errorf("another user reads the sign-in address in:\n%s", strings.Join(found, "\n"))
	}

	// Someone who learnt the address anyway opens it elsewhere, as B.
	other := authtest.NewBrowser(t)
	if back := webApprove(t, other, opened.BrowserURL, "rsse", "2345"); back.Status != 403 || !strings.Contains(back.Body, "auth.web_other_browser") {
		t.Errorf("the replay from another browser got %d:\n%s", back.Status, back.Body)
	}

	// The kiosk's browser opens its launcher and signs A in.
	lines := strings.Split(strings.TrimSpace(args), "\n")
	launcher, err := url.Parse(lines[len(lines)-1])
	if err != nil || launcher.Scheme != "file" {
		t.Fatalf("the browser was given %q, not a launcher file", lines[len(lines)-1])
	}
	page, err := os.ReadFile(launcher.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(launcher.Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the launcher %v %v", fi, err)
	}
	ended := make(chan auth.Event, 1)
	go func() {
		var last auth.Event
		for e := range events {
			last = e
		}
		ended <- last
	}()
	own := authtest.NewBrowser(t)
	login := own.Open(own.Submit(&authtest.Page{URL: launcher, Body: string(page)}, nil).Refresh(t))
	if back := own.Submit(login, map[string]string{"persona": "ioe", "pin": "1234", "decision": "approve"}); back.Status != 200 {
		t.Errorf("the kiosk's browser ended on %d:\n%s", back.Status, back.Body)
	}
	last := <-ended
	if _, err := os.Stat(filepath.Dir(launcher.Path)); !os.IsNotExist(err) {
		t.Errorf("the launcher is still there once used: %v", err)
	}
	if last.Kind != auth.EventApproved || last.Session.Identity.Role != auth.RoleIOE {
		t.Errorf("ended %s %s (%v)", last.Kind, last.Message, last.Err)
	}
}

func webApprove(t *testing.T, b *authtest.Browser, addr, persona, pin string) *authtest.Page {
	t.Helper()
	login := b.Open(addr)
	return b.Submit(login, map[string]string{"persona": persona, "pin": pin, "decision": "approve"})
}
