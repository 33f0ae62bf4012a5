package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/weblogin"
	"github.com/workshop-login/workshop-login/platform/browser"
)

// recorder is a program that writes its arguments to a file, then stays
// (stay) or exits as an opener does.
func recorder(t *testing.T, name string, stay bool) (path, record string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts as browsers")
	}
	dir := t.TempDir()
	path, record = filepath.Join(dir, name), filepath.Join(dir, "record")
	body := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + record + ".tmp && mv " + record + ".tmp " + record + "\n"
	if stay {
		body += "exec sleep 600\n"
	}
	if err := os.WriteFile(path, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return path, record
}

func readSoon(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
	}
	t.Fatalf("%s was not written", path)
	return ""
}

// The window's web login opens a private window that ends with the sign-in;
// without one, the system browser, and the sign-in is told so.
func TestWebLoginBrowser(t *testing.T) {
	const addr = "https://login.example/oauth2/authorize?state=abc"
	start := weblogin.BrowserStart{Address: addr, LaunchURL: "http://127.0.0.1:53682/launch", LaunchField: "launch", LaunchSecret: "s3cret",
		Text: "Opening", Launched: make(chan struct{})}
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	kiosk, stop := context.WithCancel(context.Background())
	defer stop()

	t.Run("private window", func(t *testing.T) {
		private, record := recorder(t, "chromium", true)
		t.Setenv(browser.PrivateCommandEnv, private)
		signIn, end := context.WithCancel(kiosk)
		defer end()
		if err := webBrowser(kiosk, browser.Opener{}, nil)(signIn, start); err != nil {
			t.Fatal(err)
		}
		args := readSoon(t, record)
		if !strings.Contains(args, "--incognito\n") || strings.Contains(args, addr) || !strings.Contains(args, "\nfile:///") {
			t.Errorf("the browser's arguments:\n%s", args)
		}
		profile := strings.TrimPrefix(strings.SplitN(args, "\n", 2)[0], "--user-data-dir=")
		if _, err := os.Stat(profile); err != nil {
			t.Fatalf("profile %q: %v", profile, err)
		}
		end() // the sign-in is over
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(profile); os.IsNotExist(err) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the private browser's profile outlives the sign-in")
			}
		}
	})
	t.Run("shared browser", func(t *testing.T) {
		shared, record := recorder(t, "opener", false)
		t.Setenv(browser.PrivateCommandEnv, "none")
		t.Setenv(browser.CommandEnv, shared)
		err := webBrowser(kiosk, browser.Opener{}, nil)(kiosk, start)
		if !errors.Is(err, weblogin.ErrBrowserNotPrivate) {
			t.Errorf("opening the shared browser answers %v", err)
		}
		if got := readSoon(t, record); !strings.HasPrefix(got, "file:///") || strings.Contains(got, addr) {
			t.Errorf("the system browser was given %q", got)
		}
	})
	t.Run("no browser", func(t *testing.T) {
		t.Setenv(browser.PrivateCommandEnv, "none")
		t.Setenv(browser.CommandEnv, filepath.Join(t.TempDir(), "no-such-browser"))
		err := webBrowser(kiosk, browser.Opener{}, nil)(kiosk, start)
		if err == nil || errors.Is(err, weblogin.ErrBrowserNotPrivate) {
			t.Errorf("without any browser: %v", err)
		}
	})
}
