package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/ui/demo/portal"
)

// `workshop-login simulator --relay-url` serves the demo repair portal
// trusting that relay: a hand-off the relay signed is welcome there.
func TestSimulatorCommandPortalTrustsTheRelayURL(t *testing.T) {
	r := authtest.StartRelay(t, authtest.Simulator(t, simulator.Options{}))
	s := r.SignIn(t, "ioe", "1234")

	ctx, cancel := context.WithCancel(context.Background())
	stdout, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"simulator", "--listen", "127.0.0.1:0", "--relay-url", r.URL}, w, io.Discard)
		w.Close()
	}()
	t.Cleanup(func() {
		cancel()
		io.Copy(io.Discard, stdout)
		<-done
	})
	var at string
	lines := bufio.NewScanner(stdout)
	for at == "" && lines.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "demo repair portal at "); ok {
			at, _, _ = strings.Cut(rest, ",")
		}
	}
	if !strings.HasSuffix(at, portal.Path) {
		t.Fatalf("the simulator did not say where its demo portal is (last line %q)", lines.Text())
	}
	if !strings.Contains(lines.Text(), "trusting the relay at "+r.URL) {
		t.Errorf("the simulator does not name the relay it trusts: %q", lines.Text())
	}
	go io.Copy(io.Discard, stdout)

	form := url.Values{"assertion": {s.Assertion.Reveal()}}
	for _, f := range s.Identity.Fields() {
		form.Set(f.Name, f.Value)
	}
	form.Set("expires_at", s.ExpiresAt.UTC().Format(time.RFC3339))
	resp, err := http.PostForm(at, form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Welcome, technician of GARAGE JANSEN (authorisation 1234567890B), verified") {
		t.Errorf("HTTP %d:\n%s", resp.StatusCode, body)
	}
}
