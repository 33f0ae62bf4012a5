package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
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
