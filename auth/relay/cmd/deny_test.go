package relaycmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// deny-kiosk and deny-garage add lines the relay reads as its deny list;
// what is not a code or an IOUID, or a relay.toml without deny_file, is
// refused, saying what to do.
func TestDenyCommands(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	cfg := relayConfig(t, sim)
	if code, _, errs := run(t, context.Background(), "deny-kiosk", "K7Q4-MZ2A", "--config", cfg); code != exitConfig || !strings.Contains(errs, "deny_file") {
		t.Errorf("without deny_file: exit %d %s", code, errs)
	}
	doc, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, append([]byte("deny_file = \"denied\"\n"), doc...), 0o600); err != nil {
		t.Fatal(err)
	}
	garage := "GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01"
	for _, args := range [][]string{{"deny-kiosk", "K7Q4-MZ2A"}, {"deny-garage", garage}} {
		if code, out, errs := run(t, context.Background(), append(args, "--config", cfg)...); code != 0 || !strings.Contains(out, "within a second") {
			t.Fatalf("%v: exit %d %s %s", args, code, out, errs)
		}
	}
	if code, _, errs := run(t, context.Background(), "deny-kiosk", "not-a-code", "--config", cfg); code != exitUsage || !strings.Contains(errs, "8-character code") {
		t.Errorf("a wrong code: exit %d %s", code, errs)
	}
	f, err := os.Open(filepath.Join(filepath.Dir(cfg), "denied"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	list, err := relay.ParseDenyList(f)
	if err != nil {
		t.Fatal(err)
	}
	for e, want := range map[relay.Enrolment]string{
		{Code: "K7Q4MZ2A", Garage: "KFZ MEIER/X/Y"}: "kiosk",
		{Code: "ABCDEFGH", Garage: garage}:          "garage",
		{Code: "ABCDEFGH", Garage: "KFZ MEIER/X/Y"}: "",
	} {
		if got := list.Denied(e); got != want {
			t.Errorf("%+v denied %q, want %q", e, got, want)
		}
	}
}
