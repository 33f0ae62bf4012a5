package handoff

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// The test binary doubles as the diagnostic tool: started as
// "binary handoff-tool MODE FILE" it records what it received into FILE.
// (Not told by an environment variable: a tool gets a cleaned environment.)
func TestMain(m *testing.M) {
	if n := len(os.Args); n >= 4 && os.Args[n-3] == "handoff-tool" {
		runTool(os.Args[n-2], os.Args[n-1])
		return
	}
	os.Exit(m.Run())
}

// IdentityDocument is what a tool reads on its standard input, as a Go
// tool would decode it (identityDocument writes it).
type IdentityDocument struct {
	Sub              string    `json:"sub"`
	Role             auth.Role `json:"role"`
	CABUID           string    `json:"cabuid"`
	IOUID            string    `json:"iouid"`
	IOEUID           string    `json:"ioeuid"`
	RSSUID           string    `json:"rssuid,omitempty"`
	RSSEUID          string    `json:"rsseuid,omitempty"`
	AuthorisationUID string    `json:"authorisation_uid"`
	AccessToken      string    `json:"access_token,omitempty"`
	ExpiresAt        time.Time `json:"expires_at,omitzero"`
}

type received struct {
	Env      map[string]string
	Stdin    IdentityDocument
	RawStdin string // the bytes as they arrived
	Pid      int
}

func runTool(mode, out string) {
	if mode == "stubborn" {
		signal.Ignore(syscall.SIGTERM) // a tool that will not close when asked
	}
	var r received
	r.Pid, r.Env = os.Getpid(), map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "SERMI_") {
			r.Env[k] = v
		}
	}
	raw, err := io.ReadAll(os.Stdin) // one document, then end of input
	if err == nil {
		err = json.Unmarshal(raw, &r.Stdin)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tool: reading stdin:", err)
	}
	r.RawStdin = string(raw)
	if mode == "parent" {
		// Start a grandchild in the same process group, and record its pid.
		child := exec.Command("sleep", "60")
		child.Start()
		r.Env["CHILD_PID"] = fmt.Sprint(child.Process.Pid)
	}
	b, _ := json.Marshal(r)
	os.WriteFile(out+".tmp", b, 0o600)
	os.Rename(out+".tmp", out)
	time.Sleep(60 * time.Second) // stays until ended
}

func rsse(t *testing.T) *auth.Session {
	id, err := auth.ParseUserInfo([]byte(`{"sub":"e6x3a4mp-49l2-66ps-94ef-u39455005d8o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B",
		"rssuid":"REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02","rsseuid":"NL/EXAMPLECAB/9876543210D"}`))
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Session{Identity: id, AccessToken: "at-secret-123456", ExpiresAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
}

// launch starts the helper as a configured tool and waits for its record.
func launch(t *testing.T, mode string, tool Tool, s *auth.Session) (*Launcher, received, *exec.Cmd) {
	t.Helper()
	t.Setenv("SERMI_SUB", "stale-from-the-kiosk-environment")
	out := filepath.Join(t.TempDir(), "received.json")
	tool.Command, tool.Args = os.Args[0], []string{"-test.run=^$", "handoff-tool", mode, out}
	l, err := NewLauncher([]Tool{tool}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.grace, l.startWindow = 500*time.Millisecond, 200*time.Millisecond
	cmd, err := l.Launch(tool.Name, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	var r received
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(out); err == nil {
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			return l, r, cmd
		}
		if time.Now().After(deadline) {
			t.Fatal("the tool never reported what it received")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestToolReceivesTheIdentityButNotTheToken(t *testing.T) {
	_, r, cmd := launch(t, "record", Tool{Name: "Diagnostics"}, rsse(t))
	want := map[string]string{
		"SERMI_SUB": "e6x3a4mp-49l2-66ps-94ef-u39455005d8o", "SERMI_ROLE": "RSSE",
		"SERMI_CABUID": "EXA/NL/1234/1EXA2MP34LE5", "SERMI_IOUID": "GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01",
		"SERMI_IOEUID": "NL/EXAMPLECAB/1234567890B", "SERMI_RSSUID": "REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02",
		"SERMI_RSSEUID": "NL/EXAMPLECAB/9876543210D",
	}
	for k, v := range want {
		if r.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, r.Env[k], v)
		}
	}
	if len(r.Env) != len(want) {
		t.Errorf("environment %v", r.Env)
	}
	if r.Stdin.Sub != want["SERMI_SUB"] || r.Stdin.RSSEUID != want["SERMI_RSSEUID"] || r.Stdin.AuthorisationUID != "9876543210D" {
		t.Errorf("stdin = %+v", r.Stdin)
	}
	if r.Stdin.AccessToken != "" {
		t.Error("the token was passed to a tool not configured for it")
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"e6x3a4mp", "1234567890B", "9876543210D", "GARAGE", "EXA/NL", "at-secret"} {
		if strings.Contains(string(cmdline), secret) {
			t.Errorf("/proc/%d/cmdline holds %q: %q", cmd.Process.Pid, secret, cmdline)
		}
	}
}

func TestTokenOnlyOnStandardInputWhenConfigured(t *testing.T) {
	_, r, cmd := launch(t, "record", Tool{Name: "Portal helper", PassAccessToken: true}, rsse(t))
	if r.Stdin.AccessToken != "at-secret-123456" {
		t.Errorf("stdin token %q", r.Stdin.AccessToken)
	}
	for k, v := range r.Env {
		if strings.Contains(v, "at-secret") {
			t.Errorf("%s holds the token", k)
		}
	}
	environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", cmd.Process.Pid))
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
	if strings.Contains(string(environ)+string(cmdline), "at-secret") {
		t.Error("the token is in the environment or command line")
	}
}

// A garage's name reaches the tool byte for byte: a tool reading the JSON
// with a plain string search, or a shell script, must see "JANSEN & ZN", not
// "JANSEN \u0026 ZN".
func TestGarageNameReachesTheToolAsWritten(t *testing.T) {
	const iouid = "JANSEN & ZN <B.V.>/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01"
	id, err := auth.ParseUserInfo([]byte(`{"sub":"e6x3a4mp-49l2-66ps-94ef-u39455005d8o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"` + iouid + `","ioeuid":"NL/EXAMPLECAB/1234567890B"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, r, _ := launch(t, "record", Tool{Name: "Diagnostics"}, &auth.Session{Identity: id, AccessToken: "at-secret-123456"})
	if !strings.Contains(r.RawStdin, `"iouid":"`+iouid+`"`) {
		t.Errorf("standard input lacks the garage as written: %s", r.RawStdin)
	}
	if strings.Contains(r.RawStdin, `\u00`) {
		t.Errorf("standard input escapes characters for a browser: %s", r.RawStdin)
	}
	if r.Stdin.IOUID != iouid || r.Env["SERMI_IOUID"] != iouid {
		t.Errorf("stdin %q, environment %q", r.Stdin.IOUID, r.Env["SERMI_IOUID"])
	}
	if strings.Count(r.RawStdin, "\n") != 1 || !strings.HasSuffix(r.RawStdin, "}\n") {
		t.Errorf("not one JSON line: %q", r.RawStdin)
	}
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(stat), ") Z ") // a zombie is gone
}

func TestSignOutEndsTheToolAndItsChildren(t *testing.T) {
	l, r, cmd := launch(t, "parent", Tool{Name: "Diagnostics", EndAtSignOut: true}, rsse(t))
	var child int
	fmt.Sscan(r.Env["CHILD_PID"], &child)
	if child == 0 || !alive(child) || !alive(cmd.Process.Pid) {
		t.Fatal("the tool or its child is not running")
	}
	l.EndAll()
	if alive(cmd.Process.Pid) || alive(child) {
		t.Errorf("after sign-out: tool alive %v, its child alive %v", alive(cmd.Process.Pid), alive(child))
	}
}

func TestAStubbornToolIsEndedByForce(t *testing.T) {
	l, _, cmd := launch(t, "stubborn", Tool{Name: "Diagnostics", EndAtSignOut: true}, rsse(t))
	began := time.Now()
	l.EndAll()
	if alive(cmd.Process.Pid) {
		t.Fatal("a tool that ignores SIGTERM survived sign-out")
	}
	if took := time.Since(began); took < l.grace {
		t.Errorf("ended after %s: before the grace period of %s", took, l.grace)
	}
}

func TestToolsThatStayAreLeftAlone(t *testing.T) {
	l, _, cmd := launch(t, "record", Tool{Name: "Manual viewer"}, rsse(t))
	l.EndAll()
	if !alive(cmd.Process.Pid) {
		t.Error("a tool not configured to end at sign-out was ended")
	}
}

func TestLauncherRefusesBadTools(t *testing.T) {
	for _, tools := range [][]Tool{{{Command: "x"}}, {{Name: "x"}}, {{Name: "a", Command: "x"}, {Name: "a", Command: "y"}}} {
		if _, err := NewLauncher(tools, nil); err == nil {
			t.Errorf("%+v accepted", tools)
		}
	}
	l, _ := NewLauncher([]Tool{{Name: "Diagnostics", Command: "/nonexistent/tool"}}, nil)
	if _, err := l.Launch("Diagnostics", rsse(t)); err == nil || !strings.Contains(err.Error(), "starting Diagnostics") {
		t.Errorf("a missing program: %v", err)
	}
}

// A tool's environment is the cleaned one: the kiosk's secret given as
// WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET, as the README suggests, reaches
// neither the tool's environment nor its /proc/PID/environ.
func TestToolEnvironmentHoldsNoSecret(t *testing.T) {
	const secret = "cs-secret-from-the-kiosk-environment"
	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET", secret)
	t.Setenv("WORKSHOP_LOGIN_ENVIRONMENT", "simulator")
	t.Setenv("SOME_OTHER_TOKEN", "other-secret")
	t.Setenv("LC_TIME", "C")
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	// The tool prints its environment, then stays (as sleep, with the same
	// environment) so that /proc can be read.
	script := filepath.Join(dir, "tool.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nenv > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\nexec sleep 60\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := NewLauncher([]Tool{{Name: "Diagnostics", Command: script, Args: []string{out}, EndAtSignOut: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.startWindow = 100 * time.Millisecond
	cmd, err := l.Launch("Diagnostics", rsse(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.EndAll)
	var printed []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if printed, err = os.ReadFile(out); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tool never printed its environment")
		}
	}
	var environ []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		// After exec, the environment is the tool's as started, not the shell's.
		if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid)); strings.HasPrefix(string(cmdline), "sleep") {
			environ, err = os.ReadFile(fmt.Sprintf("/proc/%d/environ", cmd.Process.Pid))
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tool never became sleep")
		}
	}
	for what, env := range map[string]string{"the printed environment": string(printed), "/proc/PID/environ": string(environ)} {
		for _, kv := range strings.FieldsFunc(env, func(r rune) bool { return r == '\n' || r == 0 }) {
			for _, leak := range []string{"WORKSHOP_LOGIN", secret, "other-secret"} {
				if strings.Contains(kv, leak) {
					t.Errorf("%s holds %q: %s", what, leak, kv)
				}
			}
		}
		for _, want := range []string{"PATH=" + os.Getenv("PATH"), "LC_TIME=C", "SERMI_SUB=e6x3a4mp-49l2-66ps-94ef-u39455005d8o"} {
			if !strings.Contains(env, want) {
				t.Errorf("%s lacks %s:\n%s", what, want, env)
			}
		}
	}
}

// exitCoder is what the window reads from a tool that stopped at start.
type exitCoder interface {
	error
	ExitCode() int
}

func launchShell(t *testing.T, script string, endAtSignOut bool, window time.Duration) (*Launcher, *exec.Cmd, error) {
	t.Helper()
	l, err := NewLauncher([]Tool{{Name: "Diagnostics", Command: "sh", Args: []string{"-c", script}, EndAtSignOut: endAtSignOut}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.startWindow = window
	cmd, err := l.Launch("Diagnostics", rsse(t))
	return l, cmd, err
}

func TestAToolThatStopsAtStartIsReported(t *testing.T) {
	for _, c := range []struct {
		script, want string
		code         int
	}{
		{"exit 3", "Diagnostics stopped at start (exit 3, ", 3},
		{"kill -9 $$", "Diagnostics stopped at start (killed by a signal, exit 137, ", 137},
	} {
		script := c.script
		began := time.Now()
		_, _, err := launchShell(t, script, false, StartWindow)
		var stopped exitCoder
		if !errors.As(err, &stopped) {
			t.Errorf("%q: Launch says %v, not that it stopped at start", script, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) || stopped.ExitCode() != c.code {
			t.Errorf("%q: %v (code %d), want %q… code %d", script, err, stopped.ExitCode(), c.want, c.code)
		}
		if took := time.Since(began); took > StartWindow/2 {
			t.Errorf("%q: reported after %s, not as soon as it stopped", script, took)
		}
	}
}

func TestAToolThatStaysOrEndsWellIsNoFailure(t *testing.T) {
	for script, window := range map[string]time.Duration{
		"exit 0":          StartWindow, // a launcher script that started the real program
		"sleep 1; exit 3": 200 * time.Millisecond,
	} {
		l, _, err := launchShell(t, script, true, window)
		if err != nil {
			t.Errorf("%q: %v", script, err)
		}
		l.EndAll()
	}
}

// Signing out within the start window ends the tool: that is no failure.
func TestEndingAToolAtSignOutIsNoFailure(t *testing.T) {
	l, err := NewLauncher([]Tool{{Name: "Diagnostics", Command: "sleep", Args: []string{"60"}, EndAtSignOut: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	launched := make(chan error, 1)
	go func() { _, err := l.Launch("Diagnostics", rsse(t)); launched <- err }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		l.mu.Lock()
		n := len(l.running)
		l.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tool never started")
		}
	}
	l.EndAll()
	select {
	case err := <-launched:
		if err != nil {
			t.Errorf("a tool ended at sign-out is reported: %v", err)
		}
	case <-time.After(StartWindow + 2*time.Second):
		t.Error("Launch never returned")
	}
}

// zombies are the test process's children that exited and were not waited
// for, by pid.
func zombies(t *testing.T) map[int]string {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	found := map[int]string{}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		var state string
		var pid, ppid int
		fmt.Sscan(string(b), &pid)
		fmt.Sscan(string(b[i+1:]), &state, &ppid)
		if state == "Z" && ppid == os.Getpid() {
			found[pid] = strings.TrimSpace(string(b[:i+1]))
		}
	}
	return found
}

// Every tool is waited for, however it ends: none stays a zombie.
func TestNoZombieTools(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	ours := map[int]bool{}
	launch := func(script string, endAtSignOut bool, window time.Duration) *Launcher {
		l, cmd, _ := launchShell(t, script, endAtSignOut, window)
		ours[cmd.Process.Pid] = true
		return l
	}
	launch("exit 3", false, StartWindow)
	launch("kill -9 $$", false, StartWindow)
	launch("exit 0", false, StartWindow)
	launch("sleep 0.3; exit 4", false, 50*time.Millisecond)
	launch("sleep 60", true, 50*time.Millisecond).EndAll()
	stubborn := launch("trap '' TERM; sleep 60 & wait", true, 50*time.Millisecond)
	stubborn.grace = 200 * time.Millisecond
	stubborn.EndAll()
	time.Sleep(500 * time.Millisecond) // the one that exits on its own
	var left []string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		left = nil
		for pid, stat := range zombies(t) {
			if ours[pid] { // other tests' children (a browser's opener) are theirs to wait for
				left = append(left, stat)
			}
		}
		if len(left) == 0 {
			return
		}
	}
	t.Errorf("tools left as zombie children of the test: %v", left)
}

// recordLog is a Recorder that keeps the running tools in memory.
type recordLog struct {
	mu      sync.Mutex
	running map[int]string
}

func (r *recordLog) AddTool(pid int, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running[pid] = name
	return nil
}

func (r *recordLog) RemoveTool(pid int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, pid)
	return nil
}

// A tool that must not outlive the session is on the run record while it
// runs, so a restart after a crash can end it; off it once it has ended.
func TestRunningToolsAreRecorded(t *testing.T) {
	l, err := NewLauncher([]Tool{{Name: "Diagnostics", Command: "sleep", Args: []string{"60"}, EndAtSignOut: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.startWindow = 10 * time.Millisecond
	rec := &recordLog{running: map[int]string{}}
	l.RecordIn(rec)
	cmd, err := l.Launch("Diagnostics", rsse(t))
	if err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	name := rec.running[cmd.Process.Pid]
	rec.mu.Unlock()
	if name != "Diagnostics" {
		t.Fatalf("running tools on record: %v", rec.running)
	}
	l.EndAll()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec.mu.Lock()
		n := len(rec.running)
		rec.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the ended tool is still on record")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// What a tool reads on standard input stays byte for byte what tools have
// always read: members in this order, nothing escaped for a browser, one
// line.
func TestIdentityDocumentIsWhatToolsHaveAlwaysRead(t *testing.T) {
	id, err := auth.ParseUserInfo([]byte(`{"sub":"s-1","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"JANSEN & ZN <B.V.>/W13/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B"}`))
	if err != nil {
		t.Fatal(err)
	}
	const ioe = `{"sub":"s-1","role":"IOE","cabuid":"EXA/NL/1234/1EXA2MP34LE5","iouid":"JANSEN & ZN <B.V.>/W13/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B","authorisation_uid":"1234567890B"`
	const chain = `{"sub":"e6x3a4mp-49l2-66ps-94ef-u39455005d8o","role":"RSSE","cabuid":"EXA/NL/1234/1EXA2MP34LE5","iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B","rssuid":"REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02","rsseuid":"NL/EXAMPLECAB/9876543210D","authorisation_uid":"9876543210D"`
	expires := time.Date(2026, 11, 24, 10, 0, 0, 5, time.FixedZone("CET", 3600))
	for _, c := range []struct {
		s         *auth.Session
		withToken bool
		want      string
	}{
		{&auth.Session{Identity: id, AccessToken: "at-1"}, false, ioe + "}\n"},
		{&auth.Session{Identity: id, AccessToken: "at-1"}, true, ioe + `,"access_token":"at-1"}` + "\n"},
		{&auth.Session{Identity: id}, true, ioe + "}\n"},
		{&auth.Session{Identity: id, AccessToken: "at-1", ExpiresAt: expires}, false,
			ioe + `,"expires_at":"2026-11-24T10:00:00.000000005+01:00"}` + "\n"},
		{rsse(t), false, chain + `,"expires_at":"2026-11-24T10:00:00Z"}` + "\n"},
		{rsse(t), true, chain + `,"access_token":"at-secret-123456","expires_at":"2026-11-24T10:00:00Z"}` + "\n"},
	} {
		got, err := identityDocument(c.s, c.withToken)
		if err != nil || string(got) != c.want {
			t.Errorf("identityDocument(token %v) = %v\n got %s\nwant %s", c.withToken, err, got, c.want)
		}
	}
}

// The environment is the identity's fields as SERMI_* variables, in their
// order, without authorisation_uid (on standard input only).
func TestIdentityEnvironment(t *testing.T) {
	got := identityEnv(rsse(t).Identity)
	want := []string{"SERMI_SUB=e6x3a4mp-49l2-66ps-94ef-u39455005d8o", "SERMI_ROLE=RSSE",
		"SERMI_CABUID=EXA/NL/1234/1EXA2MP34LE5", "SERMI_IOUID=GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01",
		"SERMI_IOEUID=NL/EXAMPLECAB/1234567890B", "SERMI_RSSUID=REMOTE DIAG SERVICES/HOOFDWEG1AMSTERDAM1011AA/NL987654321B02",
		"SERMI_RSSEUID=NL/EXAMPLECAB/9876543210D"}
	if !slices.Equal(got, want) {
		t.Errorf("environment\n got %q\nwant %q", got, want)
	}
}
