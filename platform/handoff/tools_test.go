package handoff

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// The test binary doubles as the diagnostic tool: with HANDOFF_TOOL set it
// records what it received into the file named by its one argument.
func TestMain(m *testing.M) {
	if mode := os.Getenv("HANDOFF_TOOL"); mode != "" {
		runTool(mode, os.Args[len(os.Args)-1])
		return
	}
	os.Exit(m.Run())
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
	t.Setenv("HANDOFF_TOOL", mode)
	t.Setenv("SERMI_SUB", "stale-from-the-kiosk-environment")
	out := filepath.Join(t.TempDir(), "received.json")
	tool.Command, tool.Args = os.Args[0], []string{"-test.run=^$", out}
	l, err := NewLauncher([]Tool{tool}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.grace = 500 * time.Millisecond
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
