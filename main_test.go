package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// approveFromScreen reads the terminal's lines, finds the code's address,
// and approves it through the simulator's page as a script would.
func approveFromScreen(t *testing.T, screen io.Reader, form url.Values, lines chan<- string) {
	scanner := bufio.NewScanner(screen)
	approved := false
	for scanner.Scan() {
		line := scanner.Text()
		lines <- line
		uri, ok := strings.CutPrefix(line, "Code address: ")
		if !ok || approved {
			continue
		}
		approved = true
		resp, err := http.PostForm(uri, form)
		if err != nil {
			t.Errorf("approving: %v", err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("approving: HTTP %d", resp.StatusCode)
		}
	}
	close(lines)
}

// runLogin runs the program as `make run` does, on the embedded simulator,
// and answers the first code with form.
func runLogin(t *testing.T, form url.Values, args ...string) (code int, stdout string, screen []string) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no configuration file: the embedded simulator
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, w := io.Pipe()
	lines := make(chan string, 1000)
	go approveFromScreen(t, r, form, lines)
	var out bytes.Buffer
	code = run(ctx, append([]string{"login", "--terminal"}, args...), &out, w)
	w.Close()
	for line := range lines {
		screen = append(screen, line)
	}
	return code, out.String(), screen
}

func TestMakeRunSignsInOnTheEmbeddedSimulator(t *testing.T) {
	code, stdout, screen := runLogin(t, url.Values{"persona": {"ioe"}, "pin": {"1234"}, "decision": {"approve"}})
	if code != exitSignedIn {
		t.Fatalf("exit %d; screen:\n%s", code, strings.Join(screen, "\n"))
	}
	var id auth.Identity
	if err := json.Unmarshal([]byte(stdout), &id); err != nil {
		t.Fatalf("stdout is not the identity as JSON: %v\n%s", err, stdout)
	}
	if id.Role != auth.RoleIOE || id.IOUID.Name != "GARAGE JANSEN" || id.Sub == "" {
		t.Errorf("identity = %+v", id)
	}
	all := stdout + strings.Join(screen, "\n")
	for _, never := range []string{"access_token", "refresh_token", "id_token", "simulator-secret"} {
		if strings.Contains(all, never) {
			t.Errorf("output mentions %s", never)
		}
	}
	if !strings.Contains(strings.Join(screen, "\n"), "Scan this code with the Digidentity app") || !strings.Contains(strings.Join(screen, "\n"), "█") {
		t.Errorf("screen lacks the code or its instruction:\n%s", strings.Join(screen, "\n"))
	}
}

func TestRefusalExitsNonZeroWithTheMessage(t *testing.T) {
	code, stdout, screen := runLogin(t, url.Values{"decision": {"deny"}})
	if code != exitRefused || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	if last := screen[len(screen)-1]; !strings.Contains(last, "Sign-in refused") {
		t.Errorf("last line %q", last)
	}
}

func TestBadConfigurationStopsWithOneLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kiosk.toml")
	if err := os.WriteFile(path, []byte("environment = \"production\"\n[trust_centre]\nclient_id = \"k\"\nclient_secret = \"s\"\nproduct_scope = \"short\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"login", "--terminal", "--config", path}, &out, &errs)
	if code != exitConfig {
		t.Errorf("exit %d", code)
	}
	msg := strings.TrimSpace(errs.String())
	if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, path+": trust_centre.product_scope") || !strings.Contains(msg, "16 letters and digits") {
		t.Errorf("message %q", msg)
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "workshop-login dev (commit") {
		t.Errorf("exit %d, %q", code, out.String())
	}
}

func TestVersionFlag(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "workshop-login dev (commit") {
		t.Errorf("exit %d, %q", code, out.String())
	}
}

// checkRows runs workshop-login check with the configuration doc and
// returns its exit code and rows by check name.
func checkRows(t *testing.T, doc string) (int, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("XDG_DATA_HOME", dir)
	path := filepath.Join(dir, "kiosk.toml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := run(context.Background(), []string{"check", "--config", path, "--timeout", "5s"}, &out, io.Discard)
	rows := map[string]string{}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "CHECK") {
		t.Fatalf("no table:\n%s", out.String())
	}
	for _, line := range lines[1:] {
		name, rest, _ := strings.Cut(line, "  ")
		rows[name] = strings.TrimSpace(rest)
	}
	return code, rows
}

func TestCheckSaysWhatWorksAndWhatToDo(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	code, rows := checkRows(t, fmt.Sprintf(`environment = "simulator"
[trust_centre]
issuer = %q
[[tools]]
name = "Shell"
command = "sh"
[[tools]]
name = "Diagnostics"
command = "/opt/no-such-diag/bin/diag"
[portal]
url = "https://rmi.example-vm.com/"
`, sim.URL))
	if code != 1 {
		t.Errorf("exit %d with a missing tool", code)
	}
	for name, want := range map[string]string{
		"configuration":    "ok",
		"trust centre":     "ok      " + sim.URL + ` gives QR codes to client "workshop-login-simulator"`,
		"audit log":        "ok",
		"tool Shell":       "ok      /",
		"tool Diagnostics": "FAILED  /opt/no-such-diag/bin/diag: not found or not executable  install the tool",
		"repair portal":    "ok      opens https://rmi.example-vm.com/",
	} {
		if !strings.HasPrefix(oneSpace(rows[name]), oneSpace(want)) {
			t.Errorf("%s: %q, want %q", name, rows[name], want)
		}
	}
	if os.Getenv("WORKSHOP_LOGIN_KEYRING_TEST") == "1" && !strings.HasPrefix(rows["keyring"], "ok") {
		t.Errorf("keyring: %q with a Secret Service running", rows["keyring"])
	}
}

func TestCheckTellsNetworkFromCredentials(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	_, rows := checkRows(t, fmt.Sprintf("environment = \"simulator\"\n[trust_centre]\nissuer = %q\nclient_id = \"someone-else\"\n", sim.URL))
	if tc := rows["trust centre"]; !strings.HasPrefix(tc, "FAILED") || !strings.Contains(tc, "Digidentity's implementation team") {
		t.Errorf("wrong client: %q", tc)
	}
	closed := sim.URL
	sim.Close() // nothing listens there now
	_, rows = checkRows(t, fmt.Sprintf("environment = \"simulator\"\n[trust_centre]\nissuer = %q\n", closed))
	if tc := rows["trust centre"]; !strings.HasPrefix(tc, "FAILED") || !strings.Contains(tc, "check the network") {
		t.Errorf("nobody answering: %q", tc)
	}
	code, rows := checkRows(t, "environment = \"production\"\n")
	if code != 1 || !strings.HasPrefix(rows["configuration"], "FAILED") || rows["trust centre"] != "" {
		t.Errorf("bad configuration: exit %d, %v", code, rows)
	}
}

func oneSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// login --web --terminal prints the address; a script finishes it in "any
// browser" (here the test browser) and gets the identity on stdout.
func TestWebLoginFromATerminal(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the embedded simulator
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, w := io.Pipe()
	var back *authtest.Page
	finished, browsed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		scanner := bufio.NewScanner(r)
		for scanner.Scan() {
			if addr, ok := strings.CutPrefix(scanner.Text(), "Sign-in address: "); ok {
				// The browser's page waits for the sign-in to finish, which
				// writes to this terminal: keep reading meanwhile.
				go func() {
					defer close(browsed)
					b := authtest.NewBrowser(t)
					back = b.Submit(b.Open(addr), map[string]string{"persona": "ioe", "pin": "1234", "decision": "approve"})
				}()
			}
		}
	}()
	var out bytes.Buffer
	code := run(ctx, []string{"login", "--web", "--terminal"}, &out, w)
	w.Close()
	<-finished
	<-browsed
	if code != exitSignedIn || !strings.Contains(out.String(), `"GARAGE JANSEN"`) {
		t.Fatalf("exit %d, stdout %s", code, out.String())
	}
	if back == nil || !strings.Contains(back.Body, "You can close this page and return to the kiosk") {
		t.Errorf("the browser's last page: %+v", back)
	}
}
