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
	"github.com/workshop-login/workshop-login/ui/demo/portal"
)

// A full two-step key rotation, rolled one replica at a time as the README
// says, while a kiosk signs in again and again: every approval before,
// during and after it signs in on its first code, and every hand-off
// verifies at the demo portal.
func TestKeyRotationRolledOneReplicaAtATime(t *testing.T) {
	c := newClusterWith(t, "\n[rotation]\npromote_after = \"2s\"\n")
	demo, perr := portal.New(portal.Options{RelayURL: c.url})
	if perr != nil {
		t.Fatal(perr)
	}
	c.sim.Handle(portal.Path, demo)
	l := startKioskLoop(c, true)
	defer l.stop()
	l.waitSignIns(t, "before the rotation", 2)
	oldKid := kidOf(t, l.last().assertion)

	l.setPhase("publishing")
	if out, err := admin(t, c, "new-keys"); err != nil {
		t.Fatalf("new-keys: %v\n%s", err, out)
	}
	if out, err := admin(t, c, "promote-keys"); err == nil {
		t.Fatalf("promote-keys right after new-keys went through:\n%s", out)
	}
	l.roll(t, c, "publishing")
	l.setPhase("promoting")
	var out string
	var err error
	for range 10 { // promote_after is 2 s; the roll took longer, but be sure
		if out, err = admin(t, c, "promote-keys"); err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		t.Fatalf("promote-keys after every replica restarted with the published keys: %v\n%s", err, out)
	}
	l.roll(t, c, "promoting")
	l.setPhase("after")
	l.waitSignIns(t, "after the rotation", 2)
	done := l.stop()
	l.check(t, "before", "publishing", "promoting", "after")
	if newKid := kidOf(t, done[len(done)-1].assertion); newKid == oldKid {
		t.Errorf("after the rotation assertions are still signed with %q", oldKid)
	}
}

// The rotation issue 22 saw lose approvals: new keys used at once, the
// replicas restarted one by one. Old replicas now answer "wait" for handles
// under the new key, and the kiosk retries an assertion whose key its JWKS
// read lacked: every approval still signs in on its first code. (Hand-offs
// may be refused meanwhile by a verifier reading an old replica's JWKS:
// that is what the two-step rotation prevents.)
func TestKeyRotationOutOfOrderLosesNoApproval(t *testing.T) {
	c := newClusterWith(t, "\n[rotation]\npromote_after = \"1s\"\n")
	l := startKioskLoop(c, false)
	defer l.stop()
	l.waitSignIns(t, "before the rotation", 1)
	l.setPhase("promoted at once")
	if out, err := admin(t, c, "new-keys"); err != nil {
		t.Fatalf("new-keys: %v\n%s", err, out)
	}
	time.Sleep(1100 * time.Millisecond)
	if out, err := admin(t, c, "promote-keys", "--no-check"); err != nil {
		t.Fatalf("promote-keys --no-check: %v\n%s", err, out)
	}
	l.roll(t, c, "one-step rotation")
	l.setPhase("after")
	l.waitSignIns(t, "after the rotation", 2)
	l.stop()
	l.check(t, "before", "promoted at once", "after")
	t.Logf("old replicas answered %d polls under a key they did not know yet with 'wait'",
		strings.Count(l.logs.String(), "does not know yet"))
}

// kioskLoop is a kiosk signing in back to back through nginx, each
// approval recorded with the phase of the rotation it started in.
type kioskLoop struct {
	mu      sync.Mutex
	phase   string
	done    []signInResult
	failed  []string
	cancel  context.CancelFunc
	stopped chan struct{}
	logs    strings.Builder // what the replicas restarted by roll logged
}

func startKioskLoop(c *cluster, handOff bool) *kioskLoop {
	ctx, cancel := context.WithCancel(context.Background())
	l := &kioskLoop{phase: "before", cancel: cancel, stopped: make(chan struct{})}
	go func() {
		defer close(l.stopped)
		for i := 0; i < 60 && ctx.Err() == nil; i++ {
			l.mu.Lock()
			at := l.phase
			l.mu.Unlock()
			r := signInAndHandOff(ctx, c, handOff)
			r.phase = at
			l.mu.Lock()
			switch {
			case r.err == "":
				l.done = append(l.done, r)
			case ctx.Err() == nil:
				l.failed = append(l.failed, fmt.Sprintf("sign-in %d (%s): %s", i, at, r.err))
			}
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *kioskLoop) setPhase(p string) { l.mu.Lock(); l.phase = p; l.mu.Unlock() }

func (l *kioskLoop) last() signInResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done[len(l.done)-1]
}

// stop ends the loop (the sign-in under way is abandoned) and returns the
// sign-ins done.
func (l *kioskLoop) stop() []signInResult {
	l.cancel()
	<-l.stopped
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done
}

// waitSignIns waits for n more sign-ins, for at most 60 s, failing at the
// first that failed.
func (l *kioskLoop) waitSignIns(t *testing.T, what string, n int) {
	t.Helper()
	l.mu.Lock()
	want := len(l.done) + n
	l.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		l.mu.Lock()
		got, bad := len(l.done), append([]string(nil), l.failed...)
		l.mu.Unlock()
		switch {
		case len(bad) > 0:
			t.Fatalf("%s: %s", what, strings.Join(bad, "\n"))
		case got >= want:
			return
		case time.Now().After(deadline):
			t.Fatalf("%s: waited 60 s for %d more sign-ins", what, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// roll restarts the replicas one by one, as kubectl rollout restart does,
// waiting for a sign-in after each.
func (l *kioskLoop) roll(t *testing.T, c *cluster, what string) {
	t.Helper()
	for i, r := range c.replicas {
		r.terminate()
		r.waitExit(t)
		l.logs.WriteString(r.stderr.String())
		c.replicas[i] = startReplica(t, c.site, c.addrs[i])
		l.waitSignIns(t, fmt.Sprintf("%s, replica %d restarted", what, i+1), 1)
	}
}

// check wants no failure, one QR code per sign-in, and a sign-in in each
// phase.
func (l *kioskLoop) check(t *testing.T, phases ...string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failed) > 0 {
		t.Fatalf("sign-ins or hand-offs failed:\n%s", strings.Join(l.failed, "\n"))
	}
	per := map[string]int{}
	for _, r := range l.done {
		per[r.phase]++
		if r.codes != 1 {
			t.Errorf("a sign-in (%s) showed %d QR codes: an approved code was dropped", r.phase, r.codes)
		}
	}
	for _, p := range phases {
		if per[p] == 0 {
			t.Errorf("no sign-in started during %q: %v", p, per)
		}
	}
	t.Logf("sign-ins per phase: %v", per)
}

// admin runs an administrator's command of the static relay on the site's
// files.
func admin(t *testing.T, c *cluster, args ...string) (string, error) {
	cmd := exec.Command(relayBinary(t), append(args, "--config", c.site.config(t, c.addrs[0]))...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

type signInResult struct {
	phase     string
	codes     int
	assertion string
	err       string
}

// signInAndHandOff signs in once through nginx, approving the first code,
// then (with handOff) hands the approval's assertion and a fresh one to the
// demo portal.
func signInAndHandOff(ctx context.Context, c *cluster, handOff bool) signInResult {
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
	if !handOff {
		return r
	}
	fresh, _, err := p.Relay().Assertion(attempt, session)
	if err != nil {
		r.err = "a fresh assertion for a hand-off: " + err.Error()
		return r
	}
	for _, raw := range []string{r.assertion, fresh.Reveal()} {
		resp, err := http.PostForm(c.sim.URL+portal.Path, url.Values{"assertion": {raw}})
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
