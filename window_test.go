package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/sessionstore"
	"github.com/workshop-login/workshop-login/platform/xvfbtest"
)

// The real-window tests run the real program in a real X server (Xvfb,
// see platform/xvfbtest) and read the screen's pixels.

func TestMain(m *testing.M) {
	// The test binary doubles as the program, so the window test runs the
	// very code under test without a second build.
	if os.Getenv("WORKSHOP_LOGIN_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(xvfbtest.RunWithOwnKeyring(m))
}

// startApp runs the program (this test binary as main, or the binary named
// by WORKSHOP_LOGIN_BINARY) on the display against the simulator.
// Extra lines are added to its configuration file.
func startApp(t testing.TB, d *xvfbtest.Display, sim *simulator.Server, binary string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	return startAppIn(t, d, sim, binary, t.TempDir(), extra...)
}

// startAppIn runs the program with its folders (configuration, data,
// state) in dir, so a second start finds what the first left.
func startAppIn(t testing.TB, d *xvfbtest.Display, sim *simulator.Server, binary, dir string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	config := filepath.Join(dir, "config.toml")
	doc := fmt.Sprintf("environment = \"simulator\"\n[trust_centre]\nissuer = %q\npoll_interval = \"1s\"\n", sim.URL) +
		strings.Join(extra, "\n")
	if err := os.WriteFile(config, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return launch(t, d, binary, config, dir), dir
}

// launch runs binary on the display with config, its folders in dir, and
// the extra environment; it is stopped (SIGTERM) when the test ends.
func launch(t testing.TB, d *xvfbtest.Display, binary, config, dir string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, "--config", config)
	cmd.Env = append(os.Environ(), "DISPLAY="+d.Name, "LANG=en_US.UTF-8", "XDG_CONFIG_HOME="+dir,
		"XDG_DATA_HOME="+dir, "XDG_CACHE_HOME="+dir, "XDG_STATE_HOME="+dir, "WORKSHOP_LOGIN_RUN_MAIN=1")
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second): // a generous bound: make test loads both cores
			// Its goroutines, to say where it hangs.
			cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
			t.Errorf("the window did not close within 15 s of SIGTERM; its stderr, with its goroutines:\n%s", stderr.String())
		}
	})
	return cmd
}

// wake presses a key at a kiosk at rest, as a person would, and returns
// the code it then shows.
func wake(t testing.TB, d *xvfbtest.Display) string {
	t.Helper()
	var code string
	var pressed time.Time
	eventually(t, "a QR code after a key", 30*time.Second, func() bool {
		// Again, as a person would when nothing happens: a window that
		// has only just appeared may not have the keyboard yet.
		if time.Since(pressed) > 3*time.Second {
			d.Key(t, "w")
			pressed = time.Now()
		}
		code = d.QR()
		return code != ""
	})
	return code
}

// atRest checks that the window shows no code and that nothing asks the
// simulator for one, for a few seconds.
func atRest(t testing.TB, d *xvfbtest.Display, sim *simulator.Server, when string) {
	t.Helper()
	eventually(t, "the window", 60*time.Second, func() bool { return d.WindowTitled("Workshop Login") })
	for range 3 {
		time.Sleep(time.Second)
		if code := d.QR(); code != "" {
			t.Fatalf("%s: a code on screen (%q), want the rest screen", when, code)
		}
	}
	if pending := sim.PendingQRCodeURIs(); len(pending) != 0 {
		t.Fatalf("%s: the kiosk asked for codes at rest: %v", when, pending)
	}
}

func eventually(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// realWindow starts the program in Xvfb against a simulator of its own;
// extra lines go into its configuration.
func realWindow(t *testing.T, extra ...string) (*xvfbtest.Display, *simulator.Server, string) {
	t.Helper()
	xvfbtest.NeedTools(t)
	d := xvfbtest.Start(t)
	sim := authtest.Simulator(t, simulator.Options{})
	_, home := startApp(t, d, sim, os.Args[0], extra...)
	return d, sim, home
}

// The default run (codes on demand) starts at rest: no code, nothing
// asked of the Trust Centre, until a key; then it signs in, and after the
// sign-out it rests again. Starting at rest, rather than with a first code
// that rests after two minutes, keeps a kiosk that restarts at night (or a
// fleet after an update) from asking for codes nobody will scan.
func TestRealWindow(t *testing.T) {
	d, sim, home := realWindow(t)
	atRest(t, d, sim, "at start")

	first := wake(t, d)
	if current := sim.PendingQRCodeURIs(); len(current) == 0 || current[0] != first {
		t.Fatalf("the screen shows %q, the simulator's current code is %v", first, current)
	}

	approve(t, d, first)

	d.Key(t, "ctrl+l")
	eventually(t, "the rest screen after the sign-out key", 15*time.Second, func() bool { return !d.WindowTitled("GARAGE JANSEN") })
	if code := d.QR(); code != "" {
		t.Errorf("a code (%q) after the sign-out, want the rest screen", code)
	}
	second := wake(t, d)
	if second == first {
		t.Error("the old code came back after signing out")
	}
	if current := sim.PendingQRCodeURIs(); len(current) == 0 || current[0] != second {
		t.Errorf("the screen shows %q, the simulator's current code is %v", second, current)
	}
	if d.WindowTitled("GARAGE JANSEN") {
		t.Error("the title still names the garage after signing out")
	}

	// The audit log, as `workshop-login audit` shows it.
	t.Setenv("XDG_DATA_HOME", home)
	var table bytes.Buffer
	if code := run(t.Context(), []string{"audit"}, &table, io.Discard); code != 0 {
		t.Fatalf("audit exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "sign_in") || !strings.Contains(lines[2], "sign_out") || !strings.Contains(lines[2], "1234567890B") {
		t.Errorf("audit table:\n%s", table.String())
	}
}

// A kiosk waits all day: while nothing on screen changes, the window's
// main thread sleeps until input or news arrives, instead of waking 60
// times a second to look for input as Fyne's own loop does (ui/fynepatch).
// The screen still follows the phone and the keyboard (the other window
// tests approve and sign out of a waiting window).
func TestAWaitingWindowSleeps(t *testing.T) {
	xvfbtest.NeedTools(t)
	d := xvfbtest.Start(t)
	cmd, _ := startApp(t, d, authtest.Simulator(t, simulator.Options{}), os.Args[0])
	eventually(t, "the window", 60*time.Second, func() bool { return d.WindowTitled("Workshop Login") })
	wake(t, d)                  // the window with a code and its countdown, the busier state
	time.Sleep(2 * time.Second) // the first code's start-up work done
	const window = 5 * time.Second
	before := mainThreadWakeUps(t, cmd.Process.Pid)
	time.Sleep(window)
	perSecond := float64(mainThreadWakeUps(t, cmd.Process.Pid)-before) / window.Seconds()
	// Fyne's own loop: 60 or more; the patched one: a few (the countdown's
	// once-a-second tick and its frames).
	if perSecond >= 20 {
		t.Errorf("the waiting window's main thread woke %.0f times a second; the idle loop sleeps between events (is Fyne patched? make test builds with ui/fynepatch)", perSecond)
	}
}

// mainThreadWakeUps counts the times the program's main thread (Fyne's)
// went to sleep and was woken, from /proc.
func mainThreadWakeUps(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/status", pid, pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if n, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
			var v int
			fmt.Sscan(strings.TrimSpace(n), &v)
			return v
		}
	}
	t.Fatal("no voluntary_ctxt_switches in /proc status")
	return 0
}

// A kiosk killed while signed in (kill -9, a power cut) does not hand the
// next person the last one's session on restart, although the keyring
// still holds it: the restart signs out and says so in the audit log. A
// clean restart (SIGTERM) still restores.
func TestKilledKioskSignsOutOnRestart(t *testing.T) {
	xvfbtest.NeedTools(t)
	d := xvfbtest.Start(t)
	sim := authtest.Simulator(t, simulator.Options{})
	dir := t.TempDir()
	signIn := func() *exec.Cmd {
		cmd, _ := startAppIn(t, d, sim, os.Args[0], dir)
		eventually(t, "the window", 60*time.Second, func() bool { return d.WindowTitled("Workshop Login") })
		approve(t, d, wake(t, d))
		// The keyring keeps the session meanwhile: wait until it has (a
		// fixed wait was too short on a busy machine).
		eventually(t, "the session in the keyring", 30*time.Second, func() bool {
			s, err := sessionstore.New().Restore()
			return err == nil && s != nil
		})
		return cmd
	}
	// A clean restart restores the person.
	first := signIn()
	first.Process.Signal(syscall.SIGTERM)
	eventually(t, "the first kiosk's end", 10*time.Second, func() bool { return syscall.Kill(first.Process.Pid, 0) != nil })
	second, _ := startAppIn(t, d, sim, os.Args[0], dir)
	eventually(t, "the person restored after a clean restart", 30*time.Second, func() bool {
		return d.WindowTitled("Workshop Login: GARAGE JANSEN")
	})
	// kill -9 while signed in.
	second.Process.Kill()
	eventually(t, "the killed kiosk gone", 10*time.Second, func() bool { return syscall.Kill(second.Process.Pid, 0) != nil })
	startAppIn(t, d, sim, os.Args[0], dir)
	eventually(t, "the window after the restart", 60*time.Second, func() bool { return d.WindowTitled("Workshop Login") })
	time.Sleep(2 * time.Second) // a restore, had there been one, would have taken over by now
	if d.WindowTitled("GARAGE JANSEN") || wake(t, d) == "" {
		t.Fatal("the restart after kill -9 restored the last person")
	}
	log, err := os.ReadFile(filepath.Join(dir, "workshop-login", "audit.jsonl"))
	if err != nil || !strings.Contains(string(log), `"crash_sign_out"`) {
		t.Errorf("the audit log does not say why (%v):\n%s", err, log)
	}
}

// A second window of the same user (a double click on a slow start)
// leaves the first alone: it says the program is open and ends, and the
// person signed in at the first stays signed in, their session kept, no
// crash sign-out recorded.
func TestASecondWindowLeavesTheFirstAlone(t *testing.T) {
	xvfbtest.NeedTools(t)
	d := xvfbtest.Start(t)
	sim := authtest.Simulator(t, simulator.Options{})
	dir := t.TempDir()
	startAppIn(t, d, sim, os.Args[0], dir)
	eventually(t, "the window", 60*time.Second, func() bool { return d.WindowTitled("Workshop Login") })
	approve(t, d, wake(t, d))
	second, _ := startAppIn(t, d, sim, os.Args[0], dir)
	exited := make(chan struct{})
	go func() {
		for syscall.Kill(second.Process.Pid, 0) == nil {
			time.Sleep(50 * time.Millisecond)
		}
		close(exited)
	}()
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatal("a second window opened beside the first")
	}
	time.Sleep(time.Second) // a sign-out, had the second caused one, shows by now
	if !d.WindowTitled("Workshop Login: GARAGE JANSEN") {
		t.Error("the first window's person was signed out by the second start")
	}
	log, _ := os.ReadFile(filepath.Join(dir, "workshop-login", "audit.jsonl"))
	if strings.Contains(string(log), "crash_sign_out") || strings.Count(string(log), `"event":"sign_out"`) > 0 {
		t.Errorf("the audit log records a sign-out:\n%s", log)
	}
}

// approve approves the code on screen through the simulator's page, as a
// phone would, with the PIN, and waits for the signed-in screen.
func approve(t *testing.T, d *xvfbtest.Display, code string) {
	t.Helper()
	resp, err := http.PostForm(code, url.Values{"persona": {"ioe"}, "pin": {"1234"}, "decision": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approving: HTTP %d", resp.StatusCode)
	}
	eventually(t, "the signed-in screen: the garage's name in the title and no QR code", 15*time.Second, func() bool {
		return d.WindowTitled("Workshop Login: GARAGE JANSEN") && d.QR() == ""
	})
}

// The idle sign-out in a real window, with short times: input anywhere on
// the display (here the pointer outside the kiosk's window, as when the
// technician works in another program) keeps the person signed in; without
// it, a warning counts down in the title, then the person is signed out.
func TestIdleSignOutInARealWindow(t *testing.T) {
	d, _, home := realWindow(t, "[kiosk]", `idle_sign_out = "12s"`, `idle_warning = "6s"`)
	eventually(t, "the window", 60*time.Second, func() bool { return d.WindowTitled("Workshop Login") })
	approve(t, d, wake(t, d))

	// 18 s of the pointer moving outside the window (900x720 of 1024x768).
	for i := range 9 {
		d.MovePointer(t, 1000+i%2*10, 750)
		time.Sleep(2 * time.Second)
		if d.WindowTitled("Signing out") || !d.WindowTitled("GARAGE JANSEN") {
			t.Fatalf("after %d s of input outside the window, the kiosk warns or signed out", 2*(i+1))
		}
	}
	// Then nobody.
	eventually(t, "the idle warning's countdown in the title", 12*time.Second, func() bool { return d.WindowTitled("Signing out in 0:0") })
	eventually(t, "the title without the garage after the idle sign-out", 15*time.Second, func() bool { return !d.WindowTitled("GARAGE JANSEN") })
	if code := d.QR(); code != "" {
		t.Errorf("a code (%q) after the idle sign-out, want the rest screen", code)
	}
	log, err := os.ReadFile(filepath.Join(home, "workshop-login", "audit.jsonl"))
	if err != nil || !strings.Contains(string(log), `"idle_sign_out"`) {
		t.Errorf("the audit log does not record the idle sign-out (%v):\n%s", err, log)
	}
}

// The whole story of `make run`, in a real window: with no configuration
// the kiosk signs in through the embedded relay on the embedded simulator;
// the repair portal button opens the demo portal in Debian's Chromium as
// the system browser, which welcomes the verified technician; the tool
// button starts the demo tool, which verifies the assertion it is handed;
// signing out ends the tool. With WORKSHOP_LOGIN_SCREENSHOTS set to a
// folder it also saves the README's three pictures there (make screenshots).
func TestWholeStoryInARealWindow(t *testing.T) {
	xvfbtest.NeedTools(t)
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("WORKSHOP_LOGIN_BROWSER_TEST") == "1" {
			t.Fatal("chromium is not installed; make test installs it")
		}
		t.Skip("chromium is not installed; make test installs it")
	}
	shots := os.Getenv("WORKSHOP_LOGIN_SCREENSHOTS")
	dir := t.TempDir()
	// The demo tool, built as make run builds it, found on PATH.
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-tags=migrated_fynedo",
		"-o", filepath.Join(dir, "workshop-login-demo-tool"), "./ui/demo/tool/workshop-login-demo-tool")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the demo tool: %v\n%s", err, out)
	}
	// Chromium as the system browser: it follows the hand-off to the
	// portal and writes the page it ends on (or, for the README, a picture).
	page := filepath.Join(dir, "portal.html")
	script := filepath.Join(dir, "browser")
	flags := "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking " +
		"--disable-component-update --disable-sync --hide-scrollbars"
	body := fmt.Sprintf(`#!/bin/sh
profile=$(mktemp -d)
if [ -f %[1]s/picture ]; then
	%[2]s %[3]s --user-data-dir="$profile" --window-size=900,520 --screenshot=%[1]s/portal.png "$1" >/dev/null 2>&1
else
	%[2]s %[3]s --user-data-dir="$profile" --dump-dom "$1" > %[4]s.tmp 2>/dev/null && mv %[4]s.tmp %[4]s
fi
rm -rf "$profile"
`, dir, chrome, flags, page)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config.toml") // empty: nothing configured
	if err := os.WriteFile(config, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := xvfbtest.Start(t)
	if shots != "" {
		d.MovePointer(t, 1020, 760) // out of the pictures
	}
	launch(t, d, os.Args[0], config, dir, "WORKSHOP_LOGIN_BROWSER="+script, "WORKSHOP_LOGIN_TRUST_CENTRE_POLL_INTERVAL=1s",
		"PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	// The default run's relay lets the garage enrol its kiosk: at rest it
	// offers the enrolment, and a key brings its code, which GARAGE
	// JANSEN's technician approves.
	eventually(t, "the window", 60*time.Second, func() bool { return d.WindowTitled("Workshop Login") })
	enrolment := wake(t, d)
	resp, err := http.PostForm(enrolment, url.Values{"persona": {"ioe"}, "pin": {"1234"}, "decision": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Enrolled, the kiosk rests (codes on demand) until someone is there.
	eventually(t, "the rest screen after the enrolment", 30*time.Second, func() bool { return d.QR() == "" })
	if shots != "" {
		time.Sleep(time.Second) // the rest screen drawn; the pointer, moved
		// out of the picture before the start, would wake it now
		grab(t, d, filepath.Join(shots, "rest-screen.png"))
	}
	code := wake(t, d)
	if code == enrolment {
		t.Fatal("the enrolment code came back as a sign-in code")
	}
	if shots != "" {
		time.Sleep(time.Second) // the countdown's first tick drawn
		picture(t, d, filepath.Join(shots, "qr-screen.png"))
	}
	approve(t, d, code)

	// The buttons, where the signed-in screen of a technician puts them
	// in the 900x720 window at the screen's corner (no window manager).
	portal, tool, signOut := [2]int{547, 345}, [2]int{382, 345}, [2]int{450, 637}
	click := func(at [2]int) {
		t.Helper()
		if out, err := d.Xdotool("mousemove", fmt.Sprint(at[0]), fmt.Sprint(at[1]), "click", "1").CombinedOutput(); err != nil {
			t.Fatalf("xdotool click: %v %s", err, out)
		}
	}
	click(portal)
	var welcome string
	eventually(t, "the demo portal's page in Chromium", 60*time.Second, func() bool {
		b, err := os.ReadFile(page)
		welcome = string(b)
		return err == nil
	})
	if !strings.Contains(welcome, "Welcome, technician of GARAGE JANSEN (authorisation 1234567890B), verified") {
		t.Errorf("the portal's page after the hand-off:\n%s", welcome)
	}
	if shots != "" {
		os.WriteFile(filepath.Join(dir, "picture"), nil, 0o600)
		click(portal) // a fresh hand-off: the first was used
		eventually(t, "the portal's picture", 60*time.Second, func() bool {
			_, err := os.Stat(filepath.Join(dir, "portal.png"))
			return err == nil
		})
		if err := os.Rename(filepath.Join(dir, "portal.png"), filepath.Join(shots, "portal.png")); err != nil {
			t.Fatal(err)
		}
	}

	click(tool)
	eventually(t, "the demo tool's window saying the identity verified", 30*time.Second, func() bool {
		return d.WindowTitled("Demo tool: verified, GARAGE JANSEN")
	})
	// The tool's window opened over the kiosk's: move it aside, as a
	// technician would, and sign out.
	d.Xdotool("search", "--name", "Demo tool", "windowmove", "1000", "700").Run()
	time.Sleep(500 * time.Millisecond)
	click(signOut)
	eventually(t, "the rest screen after signing out", 30*time.Second, func() bool { return !d.WindowTitled("GARAGE JANSEN") })
	eventually(t, "the demo tool ended at sign-out", 15*time.Second, func() bool {
		return !d.WindowTitled("Demo tool") && exec.Command("pgrep", "-f", filepath.Join(dir, "workshop-login-demo-tool")).Run() != nil
	})
}

// picture saves the kiosk's window (900x720 at the screen's corner) as PNG,
// with ImageMagick (make screenshots installs it).
func picture(t *testing.T, d *xvfbtest.Display, path string) {
	t.Helper()
	d.MovePointer(t, 1020, 760) // out of the picture
	time.Sleep(300 * time.Millisecond)
	grab(t, d, path)
}

// grab saves the kiosk's window as PNG as it is.
func grab(t *testing.T, d *xvfbtest.Display, path string) {
	t.Helper()
	if out, err := exec.Command("convert", "xwd:"+d.Screen, "-crop", "900x720+0+0", "+repage", path).CombinedOutput(); err != nil {
		t.Fatalf("saving %s: %v %s", path, err, out)
	}
}
