package authtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// HeadlessChromium returns a program called chromium that is Debian's
// Chromium without a display (--headless=new), for a test to name as the
// kiosk's browser (WORKSHOP_LOGIN_PRIVATE_BROWSER): it execs Chromium, so
// the process the kiosk starts is Chromium itself. Without Chromium the test
// is skipped, unless WORKSHOP_LOGIN_BROWSER_TEST=1 (make test installs it).
func HeadlessChromium(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("Debian's Chromium")
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("WORKSHOP_LOGIN_BROWSER_TEST") == "1" {
			t.Fatal("chromium is not installed; run make deps")
		}
		t.Skip("chromium is not installed; make test installs it")
	}
	script := filepath.Join(t.TempDir(), "chromium")
	body := "#!/bin/sh\nexec " + path + " --headless=new --disable-gpu --disable-background-networking --disable-component-update \"$@\"\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return script
}

// ProcessesNaming lists the running processes (PID and command line) whose
// command line holds s, from /proc: a browser's processes by its profile
// directory. Without /proc the test is skipped.
func ProcessesNaming(t testing.TB, s string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	var found []string
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && len(b) > 0 && strings.Contains(string(b), s) {
			found = append(found, e.Name()+" "+strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " "))
		}
	}
	return found
}
