package cli

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

// run is main's run: the commands on a Factory of their own, with the
// version of an unstamped build.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := &Factory{Build: Build{Version: "dev", Commit: "unknown", Date: "unknown"}, Out: stdout, Err: stderr}
	return Run(ctx, f, args)
}

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
	var name string
	for _, line := range lines[1:] {
		if strings.HasPrefix(line, " ") { // the row above, wrapped
			rows[name] += " " + strings.TrimSpace(line)
			continue
		}
		var rest string
		name, rest, _ = strings.Cut(line, "  ")
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
		"tool Diagnostics": "FAILED  /opt/no-such-diag/bin/diag: not found or not executable what to do: install the tool",
		"repair portal":    "ok      opens https://rmi.example-vm.com/",
		"qr codes":         "ok      on demand: no code and no request at rest",
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

// TestBadInputsSayWhatToFix runs every bad input a person can type at the
// command line or put in the configuration: each ends with the documented
// exit code and one line on stderr naming what to fix, never a panic.
func TestBadInputsSayWhatToFix(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	badKeys := write("keys.toml", "[kiosk]\nkiosk_mode = true\nadmin_keys = \"Ctrl+Nope\"\n")
	badSignOut := write("signout.toml", "[kiosk]\nsign_out_keys = \"L\"\n")
	badTOML := write("bad.toml", "[kiosk\n")
	production := write("production.toml", "environment = \"production\"\n")
	folder := filepath.Join(dir, "folder.toml")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string // in the one line on stderr
	}{
		{"unknown command", []string{"bogus"}, nil, exitUsage, `unknown command "bogus"`},
		{"unknown command after a global flag", []string{"--verbose", "bogus"}, nil, exitUsage, `unknown command "bogus" after --verbose`},
		{"unknown flag of the window", []string{"--bogus"}, nil, exitUsage, "unknown flag -bogus"},
		{"unknown flag of login", []string{"login", "--bogus"}, nil, exitUsage, "workshop-login login: unknown flag -bogus"},
		{"window flag given to audit", []string{"--verbose", "audit"}, nil, exitUsage, "workshop-login audit: unknown flag -verbose"},
		{"window flag given to simulator", []string{"--config", "x", "simulator"}, nil, exitUsage, "workshop-login simulator: unknown flag -config"},
		{"argument after the window's flags", []string{"--", "login"}, nil, exitUsage, `unexpected argument "login"`},
		{"--version with more", []string{"--version", "login"}, nil, exitUsage, "--version takes nothing else"},
		{"version with an argument", []string{"version", "now"}, nil, exitUsage, `unexpected argument "now"`},
		{"window --config without a value", []string{"--config"}, nil, exitUsage, "-config needs a value"},
		{"login stray argument", []string{"login", "stray-argument"}, nil, exitUsage, `unexpected argument "stray-argument"; login takes only flags`},
		{"login negative timeout", []string{"login", "--timeout", "-5s"}, nil, exitUsage, "--timeout must be 0 (wait until interrupted) or more, not -5s"},
		{"login timeout not a duration", []string{"login", "--timeout", "five"}, nil, exitUsage, `invalid value "five" for flag -timeout: not a duration`},
		{"login timeout without a value", []string{"login", "--timeout"}, nil, exitUsage, "-timeout needs a value"},
		{"login bad boolean", []string{"login", "--light-terminal=maybe"}, nil, exitUsage, "write true or false"},
		{"login --terminal=false", []string{"login", "--terminal=false"}, nil, exitUsage, "login always signs in from the terminal"},
		{"login missing --config file", []string{"login", "--config", filepath.Join(dir, "none.toml")}, nil, exitConfig, "none.toml: cannot be read: no such file or directory; check the path given with --config"},
		{"login --config is a folder", []string{"login", "--config", folder}, nil, exitConfig, "is a directory; check the path given with --config"},
		{"login --config not TOML", []string{"login", "--config", badTOML}, nil, exitConfig, "bad.toml: line"},
		{"login --config without a value", []string{"login", "--config"}, nil, exitUsage, "-config needs a value"},
		{"login production without a client", []string{"login", "--config", production}, nil, exitConfig, "trust_centre.client_id"},
		{"global flags before login", []string{"--config", folder, "login", "--terminal"}, nil, exitConfig, "is a directory"},
		{"window missing --config file", []string{"--config", filepath.Join(dir, "none.toml")}, nil, exitConfig, "check the path given with --config"},
		{"window admin_keys", []string{"--config", badKeys}, nil, exitConfig, `keys.toml: kiosk.admin_keys: "Nope" in "Ctrl+Nope"`},
		{"window sign_out_keys", []string{"--config", badSignOut}, nil, exitConfig, `kiosk.sign_out_keys: "L" needs Ctrl, Alt or Super`},
		{"window admin_keys from the environment", nil, map[string]string{"WORKSHOP_LOGIN_KIOSK_KIOSK_MODE": "true", "WORKSHOP_LOGIN_KIOSK_ADMIN_KEYS": "Q"}, exitConfig, "$WORKSHOP_LOGIN_KIOSK_ADMIN_KEYS: kiosk.admin_keys"},
		{"window without a display", nil, nil, exitNoDisplay, "no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set): run it in a desktop session, or use `workshop-login login --terminal`"},
		{"window --verbose without a display", []string{"--verbose"}, nil, exitNoDisplay, "no display to open the window on"},
		{"environment list not a list", []string{"login", "--config", production}, map[string]string{"WORKSHOP_LOGIN_TRUST_CENTRE_EXTRA_SCOPES": "[hush-hush"}, exitConfig, "$WORKSHOP_LOGIN_TRUST_CENTRE_EXTRA_SCOPES: trust_centre.extra_scopes"},
		{"environment boolean not a boolean", nil, map[string]string{"WORKSHOP_LOGIN_KIOSK_KIOSK_MODE": "[yes]"}, exitConfig, "kiosk.kiosk_mode"},
		{"environment bad value", []string{"login"}, map[string]string{"WORKSHOP_LOGIN_ENVIRONMENT": "[x]"}, exitConfig, `"[x]" is not an environment`},
		{"audit negative count", []string{"audit", "-n", "-5"}, nil, exitUsage, "-n must be 1 or more, not -5"},
		{"audit zero count", []string{"audit", "-n", "0"}, nil, exitUsage, "-n must be 1 or more, not 0"},
		{"audit count not a number", []string{"audit", "-n", "x"}, nil, exitUsage, `invalid value "x" for flag -n: not a number`},
		{"audit count too big", []string{"audit", "-n", "99999999999999999999"}, nil, exitUsage, "value out of range"},
		{"audit stray argument", []string{"audit", "50"}, nil, exitUsage, `unexpected argument "50"`},
		{"check stray argument", []string{"check", "now"}, nil, exitUsage, `unexpected argument "now"`},
		{"check zero timeout", []string{"check", "--timeout", "0s"}, nil, exitUsage, "--timeout must be more than 0"},
		{"check negative timeout", []string{"check", "--timeout", "-1s"}, nil, exitUsage, "--timeout must be more than 0, not -1s"},
		{"check timeout not a duration", []string{"check", "--timeout", "15"}, nil, exitUsage, "not a duration; write for example 30s or 5m"},
		{"simulator stray argument", []string{"simulator", "8787"}, nil, exitUsage, `unexpected argument "8787"`},
		{"simulator session lifetime", []string{"simulator", "--session-lifetime", "-1s"}, nil, exitUsage, "--session-lifetime must be more than 0, not -1s"},
		{"simulator session lifetime not a duration", []string{"simulator", "--session-lifetime", "2"}, nil, exitUsage, "not a duration"},
		{"simulator listen", []string{"simulator", "--listen", "8787"}, nil, exitUsage, "--listen must be host:port"},
		{"simulator public url", []string{"simulator", "--public-url", "192.168.1.20:8787"}, nil, exitUsage, "--public-url must be an http or https address"},
		{"simulator id token alg", []string{"simulator", "--id-token-alg", "HS256"}, nil, exitUsage, "--id-token-alg must be RS256 or ES256"},
		{"simulator token paths", []string{"simulator", "--token-paths", "all"}, nil, exitUsage, "--token-paths must be both, token or token.json"},
		{"simulator relay url off loopback", []string{"simulator", "--relay-url", "http://relay.example.com"}, nil, exitUsage, `--relay-url: the relay's address "http://relay.example.com" is plain http off this machine`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("XDG_CONFIG_HOME", home)
			t.Setenv("XDG_DATA_HOME", home)
			t.Setenv("DISPLAY", "")
			t.Setenv("WAYLAND_DISPLAY", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var out, errs bytes.Buffer
			code := run(ctx, tc.args, &out, &errs)
			msg := errs.String()
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, msg)
			}
			if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") {
				t.Errorf("stderr is not one line: %q", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("stderr %q lacks %q", msg, tc.want)
			}
			for _, never := range []string{"panic", "goroutine", "hush-hush", "Usage"} {
				if strings.Contains(msg, never) {
					t.Errorf("stderr mentions %q: %q", never, msg)
				}
			}
		})
	}
}

// check refuses what the window refuses, in its configuration row, and the
// other bad configurations exit 1 (something needs doing) with the reason.
func TestCheckRefusesWhatTheWindowRefuses(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"[kiosk]\nkiosk_mode = true\nadmin_keys = \"Ctrl+Nope\"\n", `kiosk.admin_keys: "Nope" in "Ctrl+Nope" is not a letter`},
		{"[kiosk]\nsign_out_keys = \"Ctrl+\"\n", "kiosk.sign_out_keys:"},
		{"[kiosk\n", "fix the TOML syntax on that line"},
	} {
		code, rows := checkRows(t, tc.doc)
		if code != exitRefused || !strings.HasPrefix(rows["configuration"], "FAILED") || !strings.Contains(rows["configuration"], tc.want) {
			t.Errorf("%q: exit %d, configuration %q", tc.doc, code, rows["configuration"])
		}
		if strings.Contains(tc.doc, "Ctrl+Nope") && !strings.Contains(rows["configuration"], `for example "Ctrl+Alt+Q"`) {
			t.Errorf("no fix: %q", rows["configuration"])
		}
	}
	// Not in kiosk mode the window never reads admin_keys, so neither does check.
	if _, rows := checkRows(t, "[kiosk]\nadmin_keys = \"Ctrl+Nope\"\n"); !strings.HasPrefix(rows["configuration"], "ok") {
		t.Errorf("admin_keys outside kiosk mode: %q", rows["configuration"])
	}
	for _, path := range []string{filepath.Join(t.TempDir(), "none.toml"), t.TempDir()} {
		var out, errs bytes.Buffer
		code := run(context.Background(), []string{"check", "--config", path, "--timeout", "5s"}, &out, &errs)
		if code != exitRefused || !strings.Contains(out.String(), "check the path given with --config") || errs.Len() != 0 {
			t.Errorf("check --config %s: exit %d, stdout %q, stderr %q", path, code, out.String(), errs.String())
		}
	}
}

// An environment value is a value: one that starts with [ or reads true is
// a secret's text, not TOML.
func TestEnvironmentValuesAreValues(t *testing.T) {
	for _, secret := range []string{"[s3cret", "true", "[[tools]]", "[\"a\"]\n[kiosk]\nkiosk_mode = true"} {
		t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET", secret)
		code, rows := checkRows(t, "[kiosk]\nlanguage = \"en\"\n")
		if !strings.HasPrefix(rows["configuration"], "ok") || strings.Contains(fmt.Sprint(rows), "s3cret") {
			t.Errorf("client secret %q: exit %d, configuration %q", secret, code, rows["configuration"])
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"-help"}, {"help"}, {"--verbose", "-h"},
		{"login", "-h"}, {"login", "--help"}, {"simulator", "-h"}, {"simulator", "--help"},
		{"audit", "-h"}, {"audit", "--help"}, {"check", "-h"}, {"check", "--help"}, {"version", "-h"}, {"version", "--help"},
	} {
		var out, errs bytes.Buffer
		code := run(context.Background(), args, &out, &errs)
		if code != 0 || errs.Len() != 0 || !strings.Contains(out.String(), "Usage") || !strings.Contains(out.String(), "64 wrong usage") {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", args, code, errs.String(), out.String())
		}
	}
}
