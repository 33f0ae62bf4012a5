package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// The commands that are not the window never show the GUI toolkit's
// complaints. Under C.UTF-8 (Debian's default in containers and minimal
// installs) Fyne could not read the locale and logged "Fyne error: Error
// parsing user locale C" from a package initialiser, before main, on
// every command; platform/startup makes the locale readable first.
func TestNoFyneErrorUnderTheCLocale(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	dir := t.TempDir()
	config := filepath.Join(dir, "config.toml")
	doc := fmt.Sprintf("environment = \"simulator\"\n[trust_centre]\nissuer = %q\npoll_interval = \"1s\"\n", sim.URL)
	if err := os.WriteFile(config, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	commands := [][]string{
		{"--version"},
		{"version"},
		{"audit", "-n", "1"},
		{"check", "--config", config, "--timeout", "5s"},
		{"login", "--terminal", "--config", config, "--timeout", "1s"},
		{"simulator", "--listen", "127.0.0.1:0"},
		{"relay", "--config", filepath.Join(dir, "no-relay.toml")},
		{"relay", "add-kiosk", "garage-1", "--config", filepath.Join(dir, "no-relay.toml")},
		{"enrol", "--relay", "http://127.0.0.1:1", "--key-file", filepath.Join(dir, "no-key")},
	}
	for _, locale := range []string{"C.UTF-8", "C.utf8", "POSIX.UTF-8"} {
		for _, args := range commands {
			t.Run(locale+" "+strings.Join(args[:1], " "), func(t *testing.T) {
				stderr := runCommand(t, dir, locale, args)
				if strings.Contains(stderr, "Fyne error") || strings.Contains(stderr, "user locale") {
					t.Errorf("LANG=%s workshop-login %s: stderr:\n%s", locale, strings.Join(args, " "), stderr)
				}
			})
		}
	}
}

// runCommand runs the program (this test binary as main) with args under
// the locale LANG, its folders in dir, and returns its stderr. A command
// that would wait (the simulator, a sign-in) gets SIGTERM after 2 s.
func runCommand(t *testing.T, dir, locale string, args []string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	for _, v := range os.Environ() {
		if name, _, _ := strings.Cut(v, "="); name != "LANG" && name != "LANGUAGE" && !strings.HasPrefix(name, "LC_") {
			cmd.Env = append(cmd.Env, v)
		}
	}
	cmd.Env = append(cmd.Env, "LANG="+locale, "WORKSHOP_LOGIN_RUN_MAIN=1", "XDG_CONFIG_HOME="+dir,
		"XDG_DATA_HOME="+dir, "XDG_CACHE_HOME="+dir, "XDG_STATE_HOME="+dir)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &bytes.Buffer{}, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("workshop-login %s did not end on SIGTERM", strings.Join(args, " "))
		}
	}
	return stderr.String()
}

// BenchmarkVersion is how long `workshop-login --version` takes from
// start to end, for the built program named by WORKSHOP_LOGIN_BINARY
// (make figures sets it): an installer or a fleet tool asks it often.
func BenchmarkVersion(b *testing.B) {
	binary := os.Getenv("WORKSHOP_LOGIN_BINARY")
	if binary == "" {
		b.Skip("set WORKSHOP_LOGIN_BINARY to the built program (make figures does)")
	}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		out, err := exec.Command(binary, "--version").Output()
		took = append(took, time.Since(start))
		if err != nil || !bytes.HasPrefix(out, []byte("workshop-login ")) {
			b.Fatalf("%s --version: %v, %q", binary, err, out)
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
}
