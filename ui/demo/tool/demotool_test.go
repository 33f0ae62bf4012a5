package demotool_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/ui/demo/tool"
)

// document is what the kiosk writes on a tool's standard input on a
// relay: the identity's fields (display-only), then the assertion and
// expires_at.
func document(t *testing.T, s *auth.Session, raw string) string {
	t.Helper()
	doc := map[string]any{}
	for _, f := range s.Identity.Fields() {
		doc[f.Name] = f.Value
	}
	if raw != "" {
		doc["assertion"] = raw
	}
	doc["expires_at"] = s.ExpiresAt
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func check(t *testing.T, stdin string, cfg demotool.Config) demotool.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := demotool.Check(ctx, strings.NewReader(stdin), cfg)
	if strings.Contains(r.Line(), "\n") {
		t.Errorf("the result is more than one line: %q", r.Line())
	}
	return r
}

// A technician signed in through a real relay: the tool shows who, and
// what it checked.
func TestShowsAVerifiedTechnician(t *testing.T) {
	r := authtest.StartRelay(t, authtest.Simulator(t, simulator.Options{}))
	s := r.SignIn(t, "ioe", "1234")
	got := check(t, document(t, s, s.Assertion.Reveal()), demotool.Config{RelayURL: r.URL})
	if !got.Verified {
		t.Fatalf("a fresh assertion from the relay was refused: %s", got.Line())
	}
	if want := "verified: GARAGE JANSEN 1234567890B role=IOE kiosk=garage-jansen-1 jti=" + got.Identity.ID + " until="; !strings.HasPrefix(got.Line(), want) || got.Identity.ID == "" {
		t.Errorf("line = %q, want it to start %q", got.Line(), want)
	}
	if got.Heading() != "Signed in: technician of GARAGE JANSEN" || got.Title() != "Demo tool: verified, GARAGE JANSEN" {
		t.Errorf("heading %q, title %q", got.Heading(), got.Title())
	}
	rows := map[string]string{}
	for _, row := range got.Rows() {
		rows[row.Caption] = row.Value
	}
	if rows["Garage"] != "GARAGE JANSEN" || rows["Authorisation UID"] != "1234567890B" || rows["Kiosk"] != "garage-jansen-1" ||
		!strings.Contains(rows["Role"], "technician") {
		t.Errorf("rows = %v", rows)
	}
	if want := "Signature checked: issued by " + r.URL + ", for " + authtest.RelayAudience + ", valid until "; !strings.HasPrefix(got.Signature(), want) {
		t.Errorf("signature line %q, want it to start %q", got.Signature(), want)
	}
	if !strings.Contains(demotool.PinningNote, "A real tool pins both") {
		t.Errorf("the window does not say that a real tool pins the relay and audience: %q", demotool.PinningNote)
	}
}

// A remote specialist on a chain authorisation: the tool says for which
// garage, and whose authorisation it is.
func TestShowsARemoteSpecialist(t *testing.T) {
	r := authtest.StartRelay(t, authtest.Simulator(t, simulator.Options{}))
	s := r.SignIn(t, "rsse", "2345")
	got := check(t, document(t, s, s.Assertion.Reveal()), demotool.Config{RelayURL: r.URL})
	if !got.Verified || !strings.HasPrefix(got.Line(), "verified: GARAGE JANSEN 9876543210D role=RSSE ") {
		t.Fatalf("line = %q", got.Line())
	}
	if got.Heading() != "Signed in: remote specialist for GARAGE JANSEN" || !strings.Contains(got.Rows()[2].Value, "REMOTE DIAG SERVICES") {
		t.Errorf("heading %q, rows %v", got.Heading(), got.Rows())
	}
}

// Whatever is wrong, the tool says NOT verified, and why in words.
func TestRefusesWhatDoesNotVerify(t *testing.T) {
	r := authtest.StartRelay(t, authtest.Simulator(t, simulator.Options{}))
	s := r.SignIn(t, "ioe", "1234")
	good := s.Assertion.Reveal()

	forgedRaw := r.Forge(t, s.Identity) // a forger's own key under the relay's key id
	closed := authtest.ClosedPort(t)

	for _, tt := range []struct {
		name, stdin string
		cfg         demotool.Config
		why         string
	}{
		{"another garage written into the signed identity", document(t, s, authtest.Tamper(t, good, "GARAGE JANSEN", "GARAGE JANSEM")),
			demotool.Config{RelayURL: r.URL}, "the signature does not match"},
		{"signed with another key", document(t, s, forgedRaw), demotool.Config{RelayURL: r.URL}, "the signature does not match"},
		{"this tool is another audience", document(t, s, good), demotool.Config{RelayURL: r.URL, Audience: "urn:another-tool"},
			"signed for another tool or portal: this tool is urn:another-tool"},
		{"signed for another audience", document(t, s, r.SignWith(t, s.Identity, "urn:another-tool", nil)),
			demotool.Config{RelayURL: r.URL}, "signed for another tool or portal"},
		{"expired", document(t, s, r.SignWith(t, s.Identity, authtest.RelayAudience, func() time.Time { return time.Now().Add(-10 * time.Minute) })),
			demotool.Config{RelayURL: r.URL}, "it has expired"},
		{"no assertion: a kiosk without a relay", document(t, s, ""), demotool.Config{RelayURL: r.URL}, "no signed identity"},
		{"not the kiosk's document", "SERMI_SUB=x\n", demotool.Config{RelayURL: r.URL}, "not the identity the kiosk hands a tool"},
		{"nothing on standard input", "", demotool.Config{RelayURL: r.URL}, "not the identity the kiosk hands a tool"},
		{"no relay named", document(t, s, good), demotool.Config{}, demotool.EnvRelayURL + " is not set"},
		{"a relay over plain http on the network", document(t, s, good), demotool.Config{RelayURL: "http://relay.example.com"}, "not https"},
		{"the relay does not answer", document(t, s, good), demotool.Config{RelayURL: closed}, "does not answer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := check(t, tt.stdin, tt.cfg)
			if got.Verified || !strings.HasPrefix(got.Line(), "NOT verified: ") || !strings.Contains(got.Line(), tt.why) {
				t.Errorf("line = %q, want NOT verified: …%s…", got.Line(), tt.why)
			}
			if got.Title() != "Demo tool: NOT verified" || !strings.HasPrefix(got.Heading(), "NOT verified") ||
				!strings.Contains(got.Meaning(), "unlocks nothing") || got.Signature() != "" {
				t.Errorf("window: title %q heading %q meaning %q signature %q", got.Title(), got.Heading(), got.Meaning(), got.Signature())
			}
		})
	}
}

func TestFlags(t *testing.T) {
	env := func(name string) string {
		if name == demotool.EnvRelayURL {
			return "http://127.0.0.1:9999"
		}
		return ""
	}
	var out bytes.Buffer
	cfg, err := demotool.ParseArgs(nil, env, &out)
	if err != nil || cfg.RelayURL != "http://127.0.0.1:9999" || cfg.Audience != "" || cfg.NoWindow {
		t.Errorf("no flags: %+v, %v; want the relay from %s", cfg, err, demotool.EnvRelayURL)
	}
	cfg, err = demotool.ParseArgs([]string{"--relay", "https://relay.example.com", "--audience", "urn:vm:diag", "--no-window"}, env, &out)
	if err != nil || cfg.RelayURL != "https://relay.example.com" || cfg.Audience != "urn:vm:diag" || !cfg.NoWindow {
		t.Errorf("flags: %+v, %v", cfg, err)
	}
	if _, err := demotool.ParseArgs([]string{"eyJhbGciOi"}, env, &out); err == nil || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("an argument was taken: %v", err)
	}
	out.Reset()
	if _, err := demotool.ParseArgs([]string{"-h"}, env, &out); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "A real tool pins") {
		t.Errorf("-h: %v\n%s", err, out.String())
	}
}
