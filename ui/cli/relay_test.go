package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/assertion"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/config"
)

// signInOn signs a person in on tc's embedded simulator, through its engine.
func signInOn(t *testing.T, tc *TrustCentre) *auth.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for e := range tc.Engine.Start(ctx) {
		switch e.Kind {
		case auth.EventQRReady:
			if err := tc.Simulator.Approve(e.QR.URI, "ioe", "1234"); err != nil {
				t.Fatal(err)
			}
		case auth.EventApproved:
			return e.Session
		}
	}
	t.Fatal("no sign-in")
	return nil
}

// With no configuration the kiosk signs in through the embedded relay, as
// a production kiosk does through its VM's; a tool it starts gets a freshly
// signed assertion on standard input that verifies with the relay's keys,
// and where to find the relay, and never Digidentity's token.
func TestDefaultRunSignsInThroughTheEmbeddedRelay(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.TrustCentre.PollInterval = auth.MinPollInterval
	cfg.Tools = []config.Tool{{Name: "Diagnostics", Command: "sh", Args: []string{"-c",
		`cat > "$0/stdin"; printf %s "$SERMI_RELAY_URL" > "$0/relay"`, dir}}}
	f := &Factory{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	tc, err := f.TrustCentre(cfg, f.Logger(false))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if tc.Relay == nil || tc.Engine.Relay() == nil {
		t.Fatal("the default run does not sign in through the embedded relay")
	}
	s := signInOn(t, tc)
	if s.Assertion == "" || s.RelaySession == "" || s.AccessToken != "" {
		t.Fatalf("session: assertion %v, relay session %v, access token %v; want the first two and no token",
			s.Assertion != "", s.RelaySession != "", s.AccessToken != "")
	}
	desk, err := f.HandoffFor(tc.VMs[0].Config, tc.Engine.Relay(), nil, f.Logger(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := desk.LaunchTool("Diagnostics", s); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	stdin, _ := os.ReadFile(filepath.Join(dir, "stdin"))
	if err := json.Unmarshal(stdin, &doc); err != nil {
		t.Fatalf("the tool's standard input is not JSON: %v\n%s", err, stdin)
	}
	signed, _ := doc["assertion"].(string)
	got, err := assertion.Verify(context.Background(), signed, assertion.Options{
		JWKSURL: tc.Relay.URL + relayapi.PathJWKS, Issuer: tc.Relay.URL, Audience: relay.EmbeddedAudience})
	if err != nil {
		t.Fatalf("the tool's assertion does not verify: %v", err)
	}
	first, _ := assertion.Verify(context.Background(), s.Assertion.Reveal(), assertion.Options{
		JWKSURL: tc.Relay.URL + relayapi.PathJWKS, Issuer: tc.Relay.URL, Audience: relay.EmbeddedAudience})
	if got.ID == first.ID || got.IOEUID != s.Identity.IOEUID.Raw || got.Kiosk != relay.EmbeddedKiosk {
		t.Errorf("tool's assertion jti %q (sign-in's %q), ioeuid %q, kiosk %q: want a fresh one for the same person at this kiosk",
			got.ID, first.ID, got.IOEUID, got.Kiosk)
	}
	if _, ok := doc["access_token"]; ok {
		t.Error("the tool got an access token")
	}
	if where, _ := os.ReadFile(filepath.Join(dir, "relay")); string(where) != tc.Relay.URL {
		t.Errorf("SERMI_RELAY_URL = %q, want %q", where, tc.Relay.URL)
	}
}

// A kiosk configured for a relay whose key is unknown there shows the
// administrator's message, and check says what to do.
func TestCheckOnARelayNamesTheEnrolment(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	settings := authtest.Settings(sim)
	r, err := relay.StartEmbedded(settings, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// This user's keyring holds no key for this relay (or another's).
	code, rows := checkRows(t, "environment = \"production\"\n[relay]\nurl = \""+r.URL+"\"\n")
	if code != 1 || !strings.HasPrefix(rows["relay"], "FAILED") || !strings.Contains(rows["relay"], "workshop-login enrol") {
		t.Errorf("check on a relay without this kiosk's key: exit %d, relay row %q", code, rows["relay"])
	}
}

// enrol keeps a key the relay accepts, and refuses one it does not.
func TestEnrolKeepsOnlyAnAcceptedKey(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	r, err := relay.StartEmbedded(authtest.Settings(sim), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	enrol := func(key string) (int, string) {
		var out, errs bytes.Buffer
		f := &Factory{In: strings.NewReader(key + "\n"), Out: &out, Err: &errs}
		cfg := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(cfg, []byte("environment = \"production\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code := Run(context.Background(), f, []string{"enrol", "--relay", r.URL, "--config", cfg})
		return code, out.String() + errs.String()
	}
	wrong, _, _ := relay.NewKioskKey()
	if code, out := enrol(wrong); code != exitRefused || !strings.Contains(out, "does not accept this key") {
		t.Errorf("a key the relay does not know: exit %d\n%s", code, out)
	}
	if code, out := enrol("not-a-key"); code != exitUsage || strings.Contains(out, "not-a-key") {
		t.Errorf("a malformed key: exit %d (and it must not be echoed)\n%s", code, out)
	}
	if os.Getenv("WORKSHOP_LOGIN_KEYRING_TEST") != "1" {
		t.Skip("the accepted key's keyring step needs a Secret Service (make test runs one)")
	}
	code, out := enrol(r.KioskKey.Reveal())
	if code != 0 || !strings.Contains(out, `knows this kiosk as "this-kiosk"`) || !strings.Contains(out, "[relay]\nurl = ") {
		t.Fatalf("enrolling an accepted key: exit %d\n%s", code, out)
	}
	kept, err := (&Factory{}).Sessions().KioskKey()
	if err != nil || kept != r.KioskKey {
		t.Errorf("the keyring holds %v (%v), want the enrolled key", kept != "", err)
	}
	code, rows := checkRows(t, "environment = \"production\"\n[relay]\nurl = \""+r.URL+"\"\n")
	if !strings.HasPrefix(rows["relay"], "ok") || !strings.HasPrefix(rows["trust centre"], "ok") {
		t.Errorf("check after enrolling: exit %d, relay %q, trust centre %q", code, rows["relay"], rows["trust centre"])
	}
}
