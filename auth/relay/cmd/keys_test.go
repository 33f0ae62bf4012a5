package relaycmd

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// The commands make a rotation's order impossible to get wrong: new-keys
// publishes, promote-keys refuses before promote_after and while the relay
// does not publish the key, and a replica refuses a key promoted too early.
func TestTwoStepRotationCommands(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	cfg := relayConfig(t, sim)
	dir := filepath.Dir(cfg)
	addr := authtest.FreeLoopbackAddr(t)
	body, _ := os.ReadFile(cfg)
	config := strings.Replace(strings.Replace(string(body), `"127.0.0.1:0"`, `"`+addr+`"`, 1), `"http://127.0.0.1:8780"`, `"http://`+addr+`"`, 1)
	writeConfig := func(promoteAfter string) {
		if err := os.WriteFile(cfg, []byte(config+"[rotation]\npromote_after = \""+promoteAfter+"\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig("1s")
	os.WriteFile(filepath.Join(dir, "kiosks"), nil, 0o600)
	ctx := context.Background()
	if code, _, errs := run(t, ctx, "new-keys", "--config", cfg); code != 0 {
		t.Fatalf("new-keys: %d %s", code, errs)
	}
	if code, _, errs := run(t, ctx, "promote-keys", "--config", cfg); code == 0 || !strings.Contains(errs, "no published key") {
		t.Errorf("promote-keys with nothing published: %d %s", code, errs)
	}
	first := currentKeys(t, dir)

	code, out, errs := run(t, ctx, "new-keys", "--config", cfg)
	if code != 0 || !strings.Contains(out, "promote-keys") {
		t.Fatalf("new-keys to rotate: %d %s %s", code, out, errs)
	}
	if got := currentKeys(t, dir); got != first {
		t.Errorf("after new-keys the current keys are %v, want still %v: a published key is not used", got, first)
	}
	if code, _, errs := run(t, ctx, "new-keys", "--config", cfg); code == 0 || !strings.Contains(errs, "promote-keys") {
		t.Errorf("a second new-keys before promoting: %d %s", code, errs)
	}
	if code, _, errs := run(t, ctx, "promote-keys", "--config", cfg); code == 0 || !strings.Contains(errs, "promote_after") {
		t.Errorf("promote-keys at once: %d %s, want a refusal naming promote_after", code, errs)
	}
	time.Sleep(1100 * time.Millisecond)
	// No replica runs with the published keys: promote-keys sees it.
	if code, _, errs := run(t, ctx, "promote-keys", "--config", cfg); code == 0 || !strings.Contains(errs, "kubectl rollout status") {
		t.Errorf("promote-keys with no replica publishing the key: %d %s", code, errs)
	}
	if got := currentKeys(t, dir); got != first {
		t.Fatalf("a refused promotion changed the current keys to %v", got)
	}

	// A replica restarted with the published keys serves them; now the
	// promotion goes through.
	served, stop := serveRelay(t, cfg)
	jwks := keyIDs(t, served+relayapi.PathJWKS)
	if len(jwks) != 2 || jwks[0] != first[1] {
		t.Errorf("the key set while the new key is published: %v, want the current %s and the published one", jwks, first[1])
	}
	if code, out, errs := run(t, ctx, "promote-keys", "--config", cfg); code != 0 || !strings.Contains(out, "one by one") {
		t.Fatalf("promote-keys: %d %s %s", code, out, errs)
	}
	stop()
	promoted := currentKeys(t, dir)
	if promoted == first || promoted[0] != jwks[1] || promoted[1] != jwks[1] {
		t.Errorf("after promote-keys the current keys are %v, want the published %s", promoted, jwks[1])
	}
	seal, _ := relay.ReadSealKeys(filepath.Join(dir, "seal.keys"))
	if _, _, prev, _ := relay.SplitSealKeys(seal); len(prev) != 1 || prev[0].ID != first[0] {
		t.Errorf("the replaced sealing key is not kept retired: %v", prev)
	}

	// A replica whose promote_after the promotion did not respect refuses
	// to start: a replica somewhere might not know the key yet.
	writeConfig("1h")
	if code, _, errs := run(t, ctx, "--config", cfg); code != exitConfig || !strings.Contains(errs, "promote_after") {
		t.Errorf("a replica with a key promoted too early: exit %d %s, want %d naming promote_after", code, errs, exitConfig)
	}
}

// currentKeys are the ids of the current sealing and signing keys.
func currentKeys(t *testing.T, dir string) [2]string {
	t.Helper()
	seal, err := relay.ReadSealKeys(filepath.Join(dir, "seal.keys"))
	if err != nil {
		t.Fatal(err)
	}
	cur, _, _, err := relay.SplitSealKeys(seal)
	if err != nil {
		t.Fatal(err)
	}
	sign, err := relay.ReadSigningKeys(filepath.Join(dir, "signing.pem"))
	if err != nil {
		t.Fatal(err)
	}
	scur, _, _, err := relay.SplitSigningKeys(sign)
	if err != nil {
		t.Fatal(err)
	}
	return [2]string{cur.ID, scur.ID}
}

// serveRelay runs the relay of cfg until stop.
func serveRelay(t *testing.T, cfg string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, logs := &authtest.Buffer{}, &authtest.Buffer{}
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"--config", cfg}, out, logs) }()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if line, ok := strings.CutPrefix(out.String(), "relay at "); ok {
			base, _, _ = strings.Cut(line, " ")
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("the relay did not start:\n%s", logs)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return base, stop
}

func keyIDs(t *testing.T, address string) []string {
	t.Helper()
	resp, err := http.Get(address)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.Kid)
	}
	return ids
}
