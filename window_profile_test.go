package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/xvfbtest"
)

// The web sign-in's button in the web-only screen of the 900x720 window at
// the screen's corner (no window manager).
var webSignInButton = [2]int{450, 655}

// SIGTERM while someone signs in in the private browser: the kiosk ends
// the browser and deletes its profile (a Digidentity session's cookies)
// before it exits, and the next start removes whatever a kill -9 left.
func TestNoPrivateProfileOutlivesTheKiosk(t *testing.T) {
	xvfbtest.NeedTools(t)
	d := xvfbtest.Start(t)
	sim := authtest.Simulator(t, simulator.Options{})
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	// A browser that stays until it is ended, as a real one does.
	fake := filepath.Join(dir, "chromium")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\ntouch "+filepath.Join(dir, "opened")+"\nsleep 600\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config.toml")
	doc := fmt.Sprintf("environment = \"simulator\"\n[trust_centre]\nissuer = %q\n[kiosk]\nsign_in = \"web\"\n", sim.URL)
	if err := os.WriteFile(config, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	profiles := func() []string {
		found, _ := filepath.Glob(filepath.Join(tmp, "workshop-login-browser-*"))
		return found
	}
	start := func() *os.Process {
		cmd := launch(t, d, os.Args[0], config, dir, "TMPDIR="+tmp, "WORKSHOP_LOGIN_PRIVATE_BROWSER="+fake)
		eventually(t, "the private browser", 60*time.Second, func() bool {
			d.Xdotool("mousemove", fmt.Sprint(webSignInButton[0]), fmt.Sprint(webSignInButton[1]), "click", "1").Run()
			_, err := os.Stat(filepath.Join(dir, "opened"))
			return err == nil
		})
		os.Remove(filepath.Join(dir, "opened"))
		if len(profiles()) != 1 {
			t.Fatalf("profiles while signing in: %q", profiles())
		}
		return cmd.Process
	}

	kiosk := start()
	kiosk.Signal(syscall.SIGTERM)
	eventually(t, "the kiosk's end", 20*time.Second, func() bool { return syscall.Kill(kiosk.Pid, 0) != nil })
	if left := profiles(); len(left) != 0 {
		t.Errorf("after SIGTERM during a web login, the private profile is still there: %s", strings.Join(left, " "))
	}

	// kill -9 leaves one; a clean start after it removes it.
	kiosk = start()
	kiosk.Kill()
	eventually(t, "the killed kiosk gone", 10*time.Second, func() bool { return syscall.Kill(kiosk.Pid, 0) != nil })
	launch(t, d, os.Args[0], config, dir, "TMPDIR="+tmp, "WORKSHOP_LOGIN_PRIVATE_BROWSER="+fake)
	eventually(t, "the leftover profile removed at the next start", 30*time.Second, func() bool { return len(profiles()) == 0 })
}
