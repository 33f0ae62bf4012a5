package handoff

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// On a kiosk of two manufacturers, each has its own Handover: its tools,
// and its relay's fresh assertions. A tool of A is handed A's assertion
// from A's relay only; B's session never reaches it, nor B's relay.
func TestAToolOfANeverReceivesBsAssertion(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	asked := map[string][]string{} // relay → the sealed sessions it was asked to sign
	relay := func(name string) func(context.Context, *auth.Session) (auth.Secret, time.Time, error) {
		return func(_ context.Context, s *auth.Session) (auth.Secret, time.Time, error) {
			mu.Lock()
			asked[name] = append(asked[name], s.RelaySession.Reveal())
			mu.Unlock()
			return auth.Secret("assertion-signed-by-" + name), time.Now().Add(5 * time.Minute), nil
		}
	}
	desk := func(vm, relayName, tool string) *Handover {
		out := filepath.Join(dir, tool)
		l, err := NewLauncher([]Tool{{Name: tool, Command: "sh", Args: []string{"-c", "cat > " + out + ".stdin; env > " + out + ".env"}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		l.Env = []string{"SERMI_RELAY_URL=https://" + relayName}
		return &Handover{Launcher: l, Assertions: relay(relayName), Manufacturer: vm}
	}
	a := desk("Demo manufacturer A", "relay-a", "a-tool")
	b := desk("Demo manufacturer B", "relay-b", "b-tool")
	of := func(vm, sealed string) *auth.Session {
		s := rsse(t)
		s.Manufacturer, s.RelaySession, s.Assertion = vm, auth.Secret(sealed), auth.Secret("assertion-at-sign-in-"+sealed)
		return s
	}
	sessionA, sessionB := of("Demo manufacturer A", "sealed-by-a"), of("Demo manufacturer B", "sealed-by-b")

	// B's session offered to A's tool: refused, nothing started, no relay asked.
	if err := a.LaunchTool("a-tool", sessionB); err == nil || !strings.Contains(err.Error(), "nothing was handed over") {
		t.Fatalf("A's tool with B's session: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a-tool.stdin")); err == nil {
		t.Fatal("A's tool was started with B's session")
	}
	if err := a.OpenPortal(sessionB); err == nil {
		t.Error("A's portal took B's session")
	}

	// Each tool with its own session: its own relay's assertion.
	if err := a.LaunchTool("a-tool", sessionA); err != nil {
		t.Fatal(err)
	}
	if err := b.LaunchTool("b-tool", sessionB); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ tool, vm, own, other string }{
		{"a-tool", "Demo manufacturer A", "relay-a", "relay-b"},
		{"b-tool", "Demo manufacturer B", "relay-b", "relay-a"},
	} {
		stdin, _ := os.ReadFile(filepath.Join(dir, c.tool+".stdin"))
		env, _ := os.ReadFile(filepath.Join(dir, c.tool+".env"))
		if !strings.Contains(string(stdin), `"assertion":"assertion-signed-by-`+c.own+`"`) || strings.Contains(string(stdin), c.other) ||
			!strings.Contains(string(stdin), `"manufacturer":"`+c.vm+`"`) || strings.Contains(string(stdin), "assertion-at-sign-in") {
			t.Errorf("%s's standard input: %s", c.tool, stdin)
		}
		if !strings.Contains(string(env), "SERMI_MANUFACTURER="+c.vm+"\n") || !strings.Contains(string(env), "SERMI_RELAY_URL=https://"+c.own) {
			t.Errorf("%s's environment lacks its manufacturer or relay:\n%s", c.tool, env)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(asked["relay-a"], ",") != "sealed-by-a" || strings.Join(asked["relay-b"], ",") != "sealed-by-b" {
		t.Errorf("the relays were asked for %v", asked)
	}
}
