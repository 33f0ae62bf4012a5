package browser

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/authtest"
)

func TestPrivateArgs(t *testing.T) {
	const dir, target = "/tmp/workshop-login-browser-1", "https://login.example/authorize?x=1"
	for _, tc := range []struct {
		family family
		root   bool
		want   []string
	}{
		{chromiumFamily, false, []string{"--user-data-dir=" + dir, "--incognito", "--no-first-run", "--no-default-browser-check", "--new-window", target}},
		{chromiumFamily, true, []string{"--user-data-dir=" + dir, "--incognito", "--no-first-run", "--no-default-browser-check", "--new-window", "--no-sandbox", target}},
		{edgeFamily, false, []string{"--user-data-dir=" + dir, "--inprivate", "--no-first-run", "--no-default-browser-check", "--new-window", target}},
		{firefoxFamily, false, []string{"-profile", dir, "-no-remote", "-private-window", target}},
		{firefoxFamily, true, []string{"-profile", dir, "-no-remote", "-private-window", target}},
	} {
		if got := privateArgs(tc.family, dir, target, tc.root); !slices.Equal(got, tc.want) {
			t.Errorf("%s (root %v):\n got %q\nwant %q", tc.family, tc.root, got, tc.want)
		}
	}
}

func TestFamilyOf(t *testing.T) {
	for path, want := range map[string]family{
		"/usr/bin/chromium": chromiumFamily, "/usr/bin/chromium-browser": chromiumFamily,
		"/usr/bin/google-chrome-stable": chromiumFamily, `C:\Program Files\Google\Chrome\Application\chrome.exe`: chromiumFamily,
		"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome": chromiumFamily,
		"/usr/bin/microsoft-edge":                                      edgeFamily, "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge": edgeFamily,
		"/usr/bin/firefox-esr": firefoxFamily, "/Applications/Firefox.app/Contents/MacOS/firefox": firefoxFamily,
		"/usr/bin/brave-browser": chromiumFamily,
	} {
		if runtime.GOOS != "windows" && strings.Contains(path, `\`) {
			path = strings.ReplaceAll(path, `\`, "/")
		}
		if got := familyOf(path); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	if len(privateCandidates()) == 0 {
		t.Error("no browsers to look for")
	}
}

// fakeBrowser writes an executable script called name that records its
// arguments and environment, starts a helper (as browsers do) and stays
// until ended.
func fakeBrowser(t *testing.T, name string) (path, record string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("a shell script as the browser")
	}
	dir := t.TempDir()
	record = filepath.Join(dir, "record")
	path = filepath.Join(dir, name)
	body := "#!/bin/sh\nsleep 600 &\n{ printf '%s\\n' \"$@\"; echo ---; env; } > " + record + ".tmp && mv " + record + ".tmp " + record + "\nwait\n"
	if err := os.WriteFile(path, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return path, record
}

func TestFindPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts as browsers")
	}
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	t.Setenv(CommandEnv, "")
	t.Setenv(PrivateCommandEnv, "")
	if runtime.GOOS != "darwin" { // app bundles are found by their paths
		if _, err := findPrivate(); !errors.Is(err, ErrNoPrivateBrowser) {
			t.Errorf("with no browser installed: %v", err)
		}
		// Installed: found on PATH, Chromium before Firefox.
		for _, name := range []string{"firefox-esr", "chromium"} {
			fake, _ := fakeBrowser(t, name)
			os.Symlink(fake, filepath.Join(empty, name))
			if got, err := findPrivate(); err != nil || filepath.Base(got) != name {
				t.Errorf("with %s installed: %q, %v", name, got, err)
			}
		}
	}

	fake, _ := fakeBrowser(t, "firefox")
	t.Setenv(PrivateCommandEnv, fake)
	if got, err := findPrivate(); err != nil || got != fake {
		t.Errorf("%s=%s: %q, %v", PrivateCommandEnv, fake, got, err)
	}
	for _, none := range []string{"none", "None", filepath.Join(empty, "no-such-browser")} {
		t.Setenv(PrivateCommandEnv, none)
		if got, err := findPrivate(); !errors.Is(err, ErrNoPrivateBrowser) {
			t.Errorf("%s=%s: %q, %v", PrivateCommandEnv, none, got, err)
		}
	}

	// WORKSHOP_LOGIN_BROWSER: a browser we know is the private browser too;
	// any other program (a recorder, a site's script) is not.
	t.Setenv(PrivateCommandEnv, "")
	script, _ := fakeBrowser(t, "browser")
	t.Setenv(CommandEnv, script)
	if got, err := findPrivate(); !errors.Is(err, ErrNoPrivateBrowser) {
		t.Errorf("%s=%s: %q, %v", CommandEnv, script, got, err)
	}
	chrome, _ := fakeBrowser(t, "google-chrome")
	t.Setenv(CommandEnv, chrome)
	if got, err := findPrivate(); err != nil || got != chrome {
		t.Errorf("%s=%s: %q, %v", CommandEnv, chrome, got, err)
	}
}

func TestOpenPrivateEndsAndWipes(t *testing.T) {
	fake, record := fakeBrowser(t, "firefox")
	t.Setenv(PrivateCommandEnv, fake)
	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET", "client-secret-xyz")
	target := "https://login.example/oauth2/authorize?state=abc"

	for _, how := range []string{"End", "context"} {
		t.Run(how, func(t *testing.T) {
			os.Remove(record)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p, err := OpenPrivate(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			args, env, _ := strings.Cut(waitFile(t, record), "---\n")
			if want := strings.Join(privateArgs(firefoxFamily, p.Profile(), target, isRoot()), "\n") + "\n"; args != want {
				t.Errorf("arguments:\n%s\nwant\n%s", args, want)
			}
			if strings.Contains(env, "client-secret-xyz") || strings.Contains(env, "WORKSHOP_LOGIN_") {
				t.Errorf("the browser's environment carries the kiosk's settings:\n%s", env)
			}
			fi, err := os.Stat(p.Profile())
			if err != nil || fi.Mode().Perm() != 0o700 {
				t.Fatalf("profile %s: %v %v", p.Profile(), fi.Mode(), err)
			}
			if b, err := os.ReadFile(filepath.Join(p.Profile(), "user.js")); err != nil || !strings.Contains(string(b), "privatebrowsing.autostart") {
				t.Errorf("Firefox's profile settings: %v\n%s", err, b)
			}
			if !groupAlive(p.Pid(), p.exited) {
				t.Fatal("the browser is not running")
			}

			if how == "End" {
				if err := p.End(); err != nil {
					t.Fatal(err)
				}
			} else {
				cancel()
			}
			select {
			case <-p.Done():
			case <-time.After(20 * time.Second):
				t.Fatal("not ended when the context ended")
			}
			if groupAlive(p.Pid(), p.exited) {
				t.Errorf("processes of the browser's group are left")
			}
			if _, err := os.Stat(p.Profile()); !os.IsNotExist(err) {
				t.Errorf("the profile is still there: %v", err)
			}
			if err := p.End(); err != nil { // again: the same answer
				t.Error(err)
			}
		})
	}
	if z := noZombies(t); runtime.GOOS == "linux" && len(z) != 0 {
		t.Errorf("zombies: %v", z)
	}
}

func TestOpenPrivateRefuses(t *testing.T) {
	fake, _ := fakeBrowser(t, "chromium")
	t.Setenv(PrivateCommandEnv, fake)
	for _, target := range []string{"", "--no-sandbox", "-new-window"} {
		if p, err := OpenPrivate(context.Background(), target); err == nil {
			p.End()
			t.Errorf("opened %q", target)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if p, err := OpenPrivate(ctx, "https://login.example/"); err == nil {
		p.End()
		t.Error("opened with a context already done")
	}
	t.Setenv(PrivateCommandEnv, "none")
	if _, err := OpenPrivate(context.Background(), "https://login.example/"); !errors.Is(err, ErrNoPrivateBrowser) {
		t.Errorf("without a private browser: %v", err)
	}
}

// processesOf lists the processes whose command line names dir, or that
// are in process group pgid.
func processesOf(t *testing.T, dir string, pgid int) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:])) // state ppid pgrp …
		if len(f) < 3 {
			continue
		}
		if strings.Contains(string(cmdline), dir) || f[2] == strconv.Itoa(pgid) {
			found = append(found, e.Name()+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return found
}

func TestOpenPrivateChromium(t *testing.T) {
	t.Setenv(PrivateCommandEnv, authtest.HeadlessChromium(t))
	fetched := make(chan *http.Request, 10)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sign-in" {
			fetched <- r
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!doctype html><title>sign in</title><p>Sign in here</p>"))
	}))
	defer page.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p, err := OpenPrivate(ctx, page.URL+"/sign-in?state=abc")
	if err != nil {
		t.Fatal(err)
	}
	defer p.End()
	select {
	case r := <-fetched:
		if !strings.Contains(r.UserAgent(), "Chrome") || r.URL.RawQuery != "state=abc" {
			t.Errorf("fetched by %q: %s", r.UserAgent(), r.URL)
		}
	case <-ctx.Done():
		t.Fatal("Chromium did not fetch the page")
	}
	running := processesOf(t, p.Profile(), p.Pid())
	if len(running) < 2 {
		t.Errorf("Chromium's processes: %q", running)
	}
	if !strings.Contains(strings.Join(running, "\n"), "--user-data-dir="+p.Profile()) {
		t.Errorf("Chromium is not running with its own profile:\n%s", strings.Join(running, "\n"))
	}
	if entries, _ := os.ReadDir(p.Profile()); len(entries) == 0 {
		t.Error("Chromium wrote nothing to its profile")
	}

	if err := p.End(); err != nil {
		t.Fatal(err)
	}
	if left := processesOf(t, p.Profile(), p.Pid()); len(left) != 0 {
		t.Errorf("left running after End:\n%s", strings.Join(left, "\n"))
	}
	if _, err := os.Stat(p.Profile()); !os.IsNotExist(err) {
		t.Errorf("the profile is still there: %v", err)
	}
	if z := noZombies(t); len(z) != 0 {
		t.Errorf("zombies: %v", z)
	}
}

// A crashed run's throwaway profiles are removed at the next start; other
// folders in the temporary folder are not.
func TestLeftoverProfilesAreRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	left := filepath.Join(tmp, profilePrefix+"123")
	other := filepath.Join(tmp, "someone-elses")
	for _, dir := range []string{left, other} {
		if err := os.MkdirAll(filepath.Join(dir, "Default"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if n := RemoveLeftoverProfiles(); n != 1 {
		t.Errorf("removed %d", n)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Error("the leftover profile is still there")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("another folder was removed")
	}
}
