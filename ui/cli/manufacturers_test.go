package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/assertion"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/platform/config"
)

const demoTwo = `["Demo manufacturer A", "Demo manufacturer B"]`

// make run's two manufacturers: one simulator, a client and an embedded
// relay each. B's tool gets an assertion that B's relay signed, which A's
// relay's keys refuse; A's hand-off refuses B's session outright.
func TestDemoManufacturersEachSignThroughTheirOwnRelay(t *testing.T) {
	t.Setenv("WORKSHOP_LOGIN_SIMULATOR_MANUFACTURERS", demoTwo)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	f := &Factory{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	cfg, err := f.Config("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TrustCentre.PollInterval = auth.MinPollInterval
	tc, err := f.TrustCentre(cfg, f.Logger(false))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if len(tc.VMs) != 2 || tc.VMs[0].Relay == nil || tc.VMs[1].Relay == nil || tc.VMs[0].Relay.URL == tc.VMs[1].Relay.URL ||
		tc.VMs[1].Config.Name != "Demo manufacturer B" || tc.VMs[1].Config.Portal.HandoffURL == tc.VMs[0].Config.Portal.HandoffURL {
		t.Fatalf("the demo's manufacturers: %+v", tc.VMs)
	}
	a, b := tc.VMs[0], tc.VMs[1]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var s *auth.Session
	for e := range b.Engine.Start(ctx) {
		if e.Kind == auth.EventQRReady {
			if err := tc.Simulator.Approve(e.QR.URI, "ioe", "1234"); err != nil {
				t.Fatal(err)
			}
		}
		if e.Kind == auth.EventApproved {
			s = e.Session
			break
		}
	}
	if s == nil {
		t.Fatal("no sign-in to B")
	}
	s.Manufacturer = b.Config.Name // as the kiosk labels it
	dir := t.TempDir()
	tool := []config.Tool{{Name: "Diagnostics", Command: "sh", Args: []string{"-c", `cat > "$0/stdin"`, dir}}}
	a.Config.Tools, b.Config.Tools = tool, tool
	deskA, err := f.HandoffFor(a.Config, a.Engine.Relay(), nil, f.Logger(false))
	if err != nil {
		t.Fatal(err)
	}
	deskB, err := f.HandoffFor(b.Config, b.Engine.Relay(), nil, f.Logger(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := deskA.LaunchTool("Diagnostics", s); err == nil {
		t.Fatal("A's tool was handed B's session")
	}
	if _, err := os.Stat(filepath.Join(dir, "stdin")); err == nil {
		t.Fatal("A's tool started with B's session")
	}
	if err := deskB.LaunchTool("Diagnostics", s); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	stdin, _ := os.ReadFile(filepath.Join(dir, "stdin"))
	if err := json.Unmarshal(stdin, &doc); err != nil || doc["manufacturer"] != "Demo manufacturer B" {
		t.Fatalf("B's tool's standard input: %v\n%s", err, stdin)
	}
	signed, _ := doc["assertion"].(string)
	verify := func(r *relay.Embedded) error {
		_, err := assertion.Verify(context.Background(), signed, assertion.Options{JWKSURL: r.URL + relayapi.PathJWKS, Issuer: r.URL, Audience: relay.EmbeddedAudience})
		return err
	}
	if err := verify(b.Relay); err != nil {
		t.Errorf("B's tool's assertion does not verify with B's relay: %v", err)
	}
	if err := verify(a.Relay); err == nil {
		t.Error("B's tool's assertion verifies with A's relay")
	}
}

// login needs --manufacturer when several are configured, and says which.
func TestLoginAsksWhichManufacturer(t *testing.T) {
	t.Setenv("WORKSHOP_LOGIN_SIMULATOR_MANUFACTURERS", demoTwo)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, `which manufacturer? Pass --manufacturer with one of: "Demo manufacturer A", "Demo manufacturer B"`},
		{[]string{"--manufacturer", "Demo manufacturer C"}, `--manufacturer "Demo manufacturer C": no manufacturer of that name is configured; use one of: "Demo manufacturer A"`},
	} {
		var stderr bytes.Buffer
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
		code := run(context.Background(), append([]string{"login", "--terminal"}, c.args...), &bytes.Buffer{}, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), c.want) || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr.String())
		}
	}
	code, stdout, _ := runLogin(t, url.Values{"persona": {"ioe"}, "pin": {"1234"}, "decision": {"approve"}}, "--manufacturer", "Demo manufacturer B")
	if code != exitSignedIn || !strings.Contains(stdout, "1234567890B") {
		t.Errorf("signing in to B: exit %d, %s", code, stdout)
	}
}

// check has rows for each manufacturer.
func TestCheckHasARowPerManufacturer(t *testing.T) {
	t.Setenv("WORKSHOP_LOGIN_SIMULATOR_MANUFACTURERS", demoTwo)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var out bytes.Buffer
	run(context.Background(), []string{"check"}, &out, &bytes.Buffer{})
	for _, want := range []string{"relay (Demo manufacturer A)", "relay (Demo manufacturer B)", "(Demo manufacturer B)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check lacks %q:\n%s", want, out.String())
		}
	}
}

// The about panel's "Trust Centre" line asks every manufacturer's way to
// Digidentity: with B's relay down, it says so and names B.
func TestAboutPanelAsksEveryManufacturer(t *testing.T) {
	t.Setenv("WORKSHOP_LOGIN_SIMULATOR_MANUFACTURERS", demoTwo)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	f := &Factory{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	cfg, err := f.Config("")
	if err != nil {
		t.Fatal(err)
	}
	tc, err := f.TrustCentre(cfg, f.Logger(false))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tc.Reachable(ctx); err != nil {
		t.Fatalf("both relays up: %v", err)
	}
	tc.VMs[1].Relay.Close()
	err = tc.Reachable(ctx)
	if err == nil || !strings.Contains(err.Error(), "Demo manufacturer B") || strings.Contains(err.Error(), "Demo manufacturer A") {
		t.Errorf("B's relay down: %v, want an error naming B alone", err)
	}
}
