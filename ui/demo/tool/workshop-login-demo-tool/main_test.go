package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/xvfbtest"
	"github.com/workshop-login/workshop-login/ui/demo/tool"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the program, so the tests run the very
	// code under test without a second build.
	if os.Getenv("DEMO_TOOL_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// start runs the program as the kiosk does: the identity document on
// standard input, the relay in the environment. It returns the lines of
// its standard output as they come.
func start(t *testing.T, r *authtest.Relay, s *auth.Session, env ...string) (*exec.Cmd, <-chan string, <-chan error) {
	t.Helper()
	doc := map[string]any{"assertion": s.Assertion.Reveal(), "expires_at": s.ExpiresAt}
	for _, f := range s.Identity.Fields() {
		doc[f.Name] = f.Value
	}
	line, _ := json.Marshal(doc)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "DEMO_TOOL_RUN_MAIN=1", demotool.EnvRelayURL+"="+r.URL, "LANG=en_US.UTF-8")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(string(line) + "\n")
	stderr := &authtest.Buffer{}
	cmd.Stderr = stderr
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the tool's stderr:\n%s", stderr.String())
		}
	})
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, out)
		close(lines)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, lines, exited
}

func firstLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	select {
	case l := <-lines:
		return l
	case <-time.After(60 * time.Second):
		t.Fatal("no result on standard output after 60 s")
	}
	return ""
}

// Without a window (a terminal, a script) the tool prints its result and
// says by its exit code whether the identity verified.
func TestNoWindowPrintsTheResult(t *testing.T) {
	r := authtest.StartRelay(t, authtest.Simulator(t, simulator.Options{}))
	s := r.SignIn(t, "ioe", "1234")

	_, lines, exited := start(t, r, s, "DISPLAY=", "WAYLAND_DISPLAY=")
	if l := firstLine(t, lines); !strings.HasPrefix(l, "verified: GARAGE JANSEN 1234567890B role=IOE kiosk=garage-jansen-1 ") {
		t.Errorf("stdout: %q", l)
	}
	if err := <-exited; err != nil {
		t.Errorf("a verified identity ended with %v, want exit 0", err)
	}

	_, lines, exited = start(t, r, s, "DISPLAY=", "WAYLAND_DISPLAY=", demotool.EnvRelayURL+"=")
	if l := firstLine(t, lines); !strings.HasPrefix(l, "NOT verified: ") {
		t.Errorf("stdout without a relay: %q", l)
	}
	var exit *exec.ExitError
	if err := <-exited; !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("an identity that cannot be checked ended with %v, want exit 1", err)
	}
}

// The window, as a technician sees it when the kiosk starts the tool: it
// names the verified garage in its title, and it closes cleanly when the
// kiosk ends it at sign-out (SIGTERM).
func TestWindowShowsTheVerifiedIdentityAndEndsOnSIGTERM(t *testing.T) {
	xvfbtest.NeedTools(t)
	d := xvfbtest.Start(t)
	r := authtest.StartRelay(t, authtest.Simulator(t, simulator.Options{}))
	s := r.SignIn(t, "ioe", "1234")

	cmd, lines, exited := start(t, r, s, "DISPLAY="+d.Name)
	if l := firstLine(t, lines); !strings.HasPrefix(l, "verified: GARAGE JANSEN 1234567890B ") {
		t.Fatalf("stdout: %q", l)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !d.WindowTitled("Demo tool: verified, GARAGE JANSEN") {
		if time.Now().After(deadline) {
			t.Fatal("no window titled \"Demo tool: verified, GARAGE JANSEN\" after 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case err := <-exited:
		t.Fatalf("the tool ended by itself (%v); it must stay until the kiosk ends it", err)
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("SIGTERM ended the tool with %v, want a clean exit 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the tool was still running 10 s after SIGTERM")
	}
	if d.WindowTitled("Demo tool") {
		t.Error("the tool's window is still there after it ended")
	}
}
