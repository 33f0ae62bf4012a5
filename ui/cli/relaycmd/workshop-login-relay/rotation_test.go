package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// A full two-step key rotation, rolled one replica at a time as the README
// says, while a kiosk signs in again and again: every approval before,
// during and after it signs in on its first code, and every hand-off
// verifies at the demo portal.
func TestKeyRotationRolledOneReplicaAtATime(t *testing.T) {
	c := newClusterWith(t, "\n[rotation]\npromote_after = \"2s\"\n")
	if err := c.sim.SetRelayURL(c.url); err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		phase  = "before"
		done   []signInResult
		failed []string
	)
	setPhase := func(p string) { mu.Lock(); phase = p; mu.Unlock() }
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(done) }
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; i < 60 && ctx.Err() == nil; i++ {
			mu.Lock()
			at := phase
			mu.Unlock()
			r := signInAndHandOff(ctx, c)
			r.phase = at
			mu.Lock()
			if r.err != "" && ctx.Err() == nil {
				failed = append(failed, fmt.Sprintf("sign-in %d (%s): %s", i, at, r.err))
			}
			if r.err == "" {
				done = append(done, r)
			}
			mu.Unlock()
		}
	}()
	defer func() { cancel(); <-stopped }()
	waitSignIns := func(what string, n int) {
		t.Helper()
		want := count() + n
		deadline := time.Now().Add(60 * time.Second)
		for count() < want {
			mu.Lock()
			bad := append([]string(nil), failed...)
			mu.Unlock()
			if len(bad) > 0 {
				t.Fatalf("%s: %s", what, strings.Join(bad, "\n"))
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: waited 60 s for %d more sign-ins", what, n)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	roll := func(what string) {
		t.Helper()
		for i, r := range c.replicas {
			r.terminate()
			r.waitExit(t)
			c.replicas[i] = startReplica(t, c.site, c.addrs[i])
			waitSignIns(fmt.Sprintf("%s, replica %d restarted", what, i+1), 1)
		}
	}
	admin := func(args ...string) (string, error) {
		cmd := exec.Command(relayBinary(t), append(args, "--config", c.site.config(t, c.addrs[0]))...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	waitSignIns("before the rotation", 2)
	oldKid := kidOf(t, lastAssertion(&mu, &done))

	setPhase("publishing")
	if out, err := admin("new-keys"); err != nil {
		t.Fatalf("new-keys: %v\n%s", err, out)
	}
	if out, err := admin("promote-keys"); err == nil {
		t.Fatalf("promote-keys right after new-keys went through:\n%s", out)
	}
	roll("publishing")
	setPhase("promoting")
	var out string
	var err error
	for range 10 { // promote_after is 2 s; the roll took longer, but be sure
		if out, err = admin("promote-keys"); err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		t.Fatalf("promote-keys after every replica restarted with the published keys: %v\n%s", err, out)
	}
	roll("promoting")
	setPhase("after")
	waitSignIns("after the rotation", 2)
	cancel()
	<-stopped

	mu.Lock()
	defer mu.Unlock()
	if len(failed) > 0 {
		t.Fatalf("sign-ins or hand-offs failed:\n%s", strings.Join(failed, "\n"))
	}
	phases := map[string]int{}
	for _, r := range done {
		phases[r.phase]++
		if r.codes != 1 {
			t.Errorf("a sign-in (%s) showed %d QR codes: an approved code was dropped", r.phase, r.codes)
		}
	}
	for _, p := range []string{"before", "publishing", "promoting", "after"} {
		if phases[p] == 0 {
			t.Errorf("no sign-in during %q: %v", p, phases)
		}
	}
	if newKid := kidOf(t, done[len(done)-1].assertion); newKid == oldKid {
		t.Errorf("after the rotation assertions are still signed with %q", oldKid)
	}
	t.Logf("sign-ins per phase: %v", phases)
}

type signInResult struct {
	phase     string
	codes     int
	assertion string
	err       string
}

// signInAndHandOff signs in once through nginx, approving the first code,
// then hands the approval's assertion and a fresh one to the demo portal.
func signInAndHandOff(ctx context.Context, c *cluster) signInResult {
	var r signInResult
	s := auth.DefaultSettings(auth.EnvSimulator)
	s.PollInterval = auth.MinPollInterval
	p, err := auth.NewRelayed(auth.RelaySettings{URL: c.url, KioskKey: auth.Secret(c.site.kioskKeys[0])}, s)
	if err != nil {
		r.err = err.Error()
		return r
	}
	attempt, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var qr auth.QRCode
	var session *auth.Session
	approved := false
	for e := range p.Start(attempt) {
		switch e.Kind {
		case auth.EventQRReady:
			qr = e.QR
			r.codes++
		case auth.EventWaiting:
			if !approved {
				approved = true
				if err := c.sim.Approve(qr.URI, "ioe", "1234"); err != nil {
					r.err = "approving: " + err.Error()
					return r
				}
			}
		case auth.EventRefused, auth.EventFailed, auth.EventExpired, auth.EventLost:
			r.err = fmt.Sprintf("%s %s (%v)", e.Kind, e.Message, e.Err)
			return r
		case auth.EventApproved:
			session = e.Session
		}
		if session != nil {
			break
		}
	}
	if session == nil {
		r.err = "the attempt ended without an approval"
		return r
	}
	r.assertion = session.Assertion.Reveal()
	fresh, _, err := p.Relay().Assertion(attempt, session)
	if err != nil {
		r.err = "a fresh assertion for a hand-off: " + err.Error()
		return r
	}
	for _, raw := range []string{r.assertion, fresh.Reveal()} {
		resp, err := http.PostForm(c.sim.URL+simulator.PortalPath, url.Values{"assertion": {raw}})
		if err != nil {
			r.err = "handing off: " + err.Error()
			return r
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			r.err = fmt.Sprintf("the demo portal refused a hand-off under key %q: HTTP %d", kidOfRaw(raw), resp.StatusCode)
			return r
		}
	}
	return r
}

func lastAssertion(mu *sync.Mutex, done *[]signInResult) string {
	mu.Lock()
	defer mu.Unlock()
	return (*done)[len(*done)-1].assertion
}

func kidOf(t *testing.T, raw string) string {
	t.Helper()
	kid := kidOfRaw(raw)
	if kid == "" {
		t.Fatalf("an assertion without a kid: %.40q", raw)
	}
	return kid
}

func kidOfRaw(raw string) string {
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(b, &h)
	return h.Kid
}
