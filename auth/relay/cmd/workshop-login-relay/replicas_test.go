package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// The relay keeps nothing between calls, proved with real parts: three
// processes of the static binary behind Debian's nginx, round-robin, a
// kiosk's engine signing in through nginx, the Trust Centre simulator
// behind them. make test sets the variable (and installs nginx).
const nginxTestEnv = "WORKSHOP_LOGIN_NGINX_TEST"

// cluster is three relay replicas behind nginx, in front of a simulator.
type cluster struct {
	sim      *simulator.Server
	site     *site
	replicas []*replica
	addrs    []string
	url      string // nginx: what the kiosk and verifiers use
	nginxDir string
}

func newCluster(t *testing.T) *cluster { return newClusterWith(t, "") }

// newClusterWith appends extra to every replica's relay.toml.
func newClusterWith(t *testing.T, extra string) *cluster { return newClusterTop(t, "", extra) }

// newClusterTop also puts top before the relay.toml's first section.
func newClusterTop(t *testing.T, top, extra string) *cluster {
	t.Helper()
	if os.Getenv(nginxTestEnv) != "1" {
		t.Skipf("set %s=1 (make test does) to run three relay processes behind nginx", nginxTestEnv)
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx" // Debian's, off a normal user's PATH
		if _, err := os.Stat(nginx); err != nil {
			t.Fatalf("nginx is not installed: make test-deps installs Debian's package")
		}
	}
	c := &cluster{sim: authtest.Simulator(t, simulator.Options{})}
	front := freeAddr(t)
	c.url = "http://" + front
	c.site = newSite(t, c.sim.URL, c.url, 1)
	c.site.extra, c.site.top = extra, top
	for range 3 {
		c.addrs = append(c.addrs, freeAddr(t))
	}
	for i := range c.addrs {
		c.replicas = append(c.replicas, c.start(t, i))
	}
	c.nginxDir = t.TempDir()
	conf := filepath.Join(c.nginxDir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConfig(c.nginxDir, front, c.addrs)), 0o600); err != nil {
		t.Fatal(err)
	}
	errLog := filepath.Join(c.nginxDir, "error.log")
	cmd := exec.Command(nginx, "-p", c.nginxDir+"/", "-c", conf, "-e", errLog)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM: the master stops its worker, then itself. A killed
		// master would leave its worker running, orphaned.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("nginx did not stop within 15 s of SIGTERM; its worker may be left running")
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := httpClient.Get(c.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(errLog)
			t.Fatalf("nginx stopped at once (%v):\n%s", err, log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(errLog)
			t.Fatalf("nginx does not answer on %s after 15 s:\n%s", front, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

// start starts replica i: the first in the container image when make test
// names one (so the image is proven to serve kiosks), the others as
// processes of the static binary.
func (c *cluster) start(t *testing.T, i int) *replica {
	t.Helper()
	image := os.Getenv(relayImageEnv)
	if i != 0 || image == "" {
		return startReplica(t, c.site, c.addrs[i])
	}
	r := startReplicaIn(t, c.site, c.addrs[i], image)
	t.Logf("replica %s runs in the container image %s", r.addr, image)
	return r
}

// nginxConfig is round-robin over the replicas, run by the test's user in
// its own folder. proxy_next_upstream is left at "error timeout", and
// deliberately without non_idempotent: every kiosk call is a POST, and
// nginx then retries on the next replica only when the request was never
// sent (a refused or timed-out connect: the kill -9 case). Once sent, a
// poll may have made the replica exchange the code at Digidentity, which
// works once; retrying it elsewhere would turn "the answer was lost" (which
// the kiosk's engine knows to handle) into "the code is gone", and a retried
// QR request would spend the VM's quota twice. So a replica that dies with
// a call in flight gives that one call a 502, and the kiosk polls again.
func nginxConfig(dir, listen string, replicas []string) string {
	var upstream strings.Builder
	for _, addr := range replicas {
		// A replica that refused is skipped for a second, then tried again.
		fmt.Fprintf(&upstream, "\t\tserver %s max_fails=1 fail_timeout=1s;\n", addr)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // the workers would be nobody, locked out of the test's folder
	}
	return fmt.Sprintf(`%s
daemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log notice;
events { worker_connections 256; }
http {
	log_format relay '$request_method $uri $status upstream=$upstream_addr upstream_status=$upstream_status';
	access_log %[2]s/access.log relay;
	client_body_temp_path %[2]s/client_body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	upstream relay {
%[3]s	}
	server {
		listen %[4]s;
		location / {
			proxy_pass http://relay;
			proxy_next_upstream error timeout;
			proxy_next_upstream_tries 3;
			proxy_connect_timeout 2s;
			proxy_read_timeout 90s;
			proxy_set_header Host $host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_set_header X-Forwarded-Proto $scheme;
		}
	}
}
`, user, dir, upstream.String(), listen)
}

// polls are the polls each replica has answered so far.
func (c *cluster) polls(t *testing.T) []float64 {
	t.Helper()
	var n []float64
	for _, r := range c.replicas {
		select {
		case <-r.exited:
			n = append(n, 0)
		default:
			n = append(n, r.metric(t, "workshop_login_relay_polls_total"))
		}
	}
	return n
}

// accessLog is nginx's log of the calls it passed on.
func (c *cluster) accessLog(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.nginxDir, "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// kiosk is a kiosk's engine signing in through nginx, polling every second.
func (c *cluster) kiosk(t *testing.T) *auth.Passwordless {
	t.Helper()
	s := auth.DefaultSettings(auth.EnvSimulator)
	s.PollInterval = auth.MinPollInterval
	p, err := auth.NewRelayed(auth.RelaySettings{URL: c.url, KioskKey: auth.Secret(c.site.kioskKeys[0])}, s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// signIn runs one attempt until the person is signed in, calling during on
// each event before. The engine goes on meanwhile (its events are
// buffered), so during may wait for what the engine does next.
func signIn(t *testing.T, p *auth.Passwordless, during func(auth.Event)) auth.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	buffered := make(chan auth.Event, 256)
	go func() {
		defer close(buffered)
		for e := range p.Start(ctx) {
			select {
			case buffered <- e:
			case <-ctx.Done():
			}
		}
	}()
	var seen []auth.Event
	for e := range buffered {
		seen = append(seen, e)
		t.Logf("kiosk: %s %s", e.Kind, e.Message)
		switch e.Kind {
		case auth.EventApproved:
			return e
		case auth.EventRefused, auth.EventFailed, auth.EventExpired, auth.EventLost:
			t.Fatalf("the sign-in went wrong: %s %s (%v)", e.Kind, e.Message, e.Err)
		}
		during(e)
	}
	t.Fatalf("the sign-in did not end within 90 s; events: %v", kinds(seen))
	return auth.Event{}
}

func kinds(events []auth.Event) []auth.EventKind {
	var k []auth.EventKind
	for _, e := range events {
		k = append(k, e.Kind)
	}
	return k
}

// waitFor polls cond every 100 ms until it holds, for at most 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func approve(t *testing.T, c *cluster, qr auth.QRCode) {
	t.Helper()
	if err := c.sim.Approve(qr.URI, "ioe", "1234"); err != nil {
		t.Fatalf("approving on the phone: %v", err)
	}
}

func checkPerson(t *testing.T, e auth.Event) {
	t.Helper()
	if e.Session == nil || e.Session.Identity.Role != auth.RoleIOE || e.Session.Assertion == "" {
		t.Fatalf("signed in as %+v, want the IOE persona with a signed assertion", e.Session)
	}
}

// One sign-in's polls are answered by at least two replicas.
func TestSignInPollsLandOnSeveralReplicas(t *testing.T) {
	c := newCluster(t)
	before := c.polls(t)
	var qr auth.QRCode
	e := signIn(t, c.kiosk(t), func(e auth.Event) {
		if e.Kind == auth.EventQRReady {
			qr = e.QR
		}
		if e.Kind != auth.EventWaiting {
			return
		}
		// Approve only once two replicas have answered a poll of this
		// code, so the approval is collected by whichever is next.
		waitFor(t, "polls on two replicas", func() bool { return answering(before, c.polls(t)) >= 2 })
		approve(t, c, qr)
	})
	checkPerson(t, e)
	after := c.polls(t)
	if n := answering(before, after); n < 2 {
		t.Errorf("polls per replica before %v after %v: %d replicas answered, want at least 2", before, after, n)
	}
	t.Logf("polls per replica: before %v, after %v", before, after)
}

// A replica killed with kill -9 while a QR code is on screen: nginx moves
// the kiosk's calls to the others, and the sign-in completes.
func TestSignInSurvivesAKilledReplica(t *testing.T) {
	c := newCluster(t)
	dead := c.replicas[1]
	var qr auth.QRCode
	e := signIn(t, c.kiosk(t), func(e auth.Event) {
		switch e.Kind {
		case auth.EventQRReady:
			qr = e.QR
		case auth.EventWaiting:
			dead.kill()
			// Wait until nginx has tried the dead replica for a kiosk's
			// call and passed the call on to a live one.
			waitFor(t, "nginx to meet the dead replica", func() bool { return retriedPast(c.accessLog(t), dead.addr) })
			approve(t, c, qr)
		}
	})
	checkPerson(t, e)
	if log := c.accessLog(t); !retriedPast(log, dead.addr) {
		t.Errorf("nginx never passed a call on past the dead replica %s:\n%s", dead.addr, log)
	}
}

// All three replicas restarted with the same keys while a QR code is on
// screen: the code's handle, sealed by the old processes, is opened by the
// new ones, and the sign-in completes on that same code.
func TestSignInSurvivesRestartingEveryReplica(t *testing.T) {
	c := newCluster(t)
	var qr auth.QRCode
	codes, restarted := 0, false
	e := signIn(t, c.kiosk(t), func(e auth.Event) {
		switch e.Kind {
		case auth.EventQRReady:
			qr = e.QR
			codes++
		case auth.EventWaiting:
			if restarted {
				return
			}
			restarted = true
			for _, r := range c.replicas {
				r.terminate()
			}
			for _, r := range c.replicas {
				r.waitExit(t)
			}
			// Nobody answers now: a poll meanwhile is a 502 from nginx, and
			// the kiosk waits and tries again.
			for i := range c.addrs {
				c.replicas[i] = c.start(t, i)
			}
			approve(t, c, qr)
		}
	})
	checkPerson(t, e)
	if codes != 1 {
		t.Errorf("the kiosk showed %d QR codes; the one shown before the restart should have been approved", codes)
	}
	var polledAfter float64
	for _, n := range c.polls(t) {
		polledAfter += n
	}
	if polledAfter == 0 {
		t.Error("no restarted replica answered a poll: the approval was not collected by the new processes")
	}
}

// answering counts the replicas whose polls grew.
func answering(before, after []float64) int {
	n := 0
	for i := range before {
		if after[i] > before[i] {
			n++
		}
	}
	return n
}

// retriedPast says whether nginx's log shows a kiosk call it sent to dead
// first and then, refused, to another replica that answered it.
func retriedPast(log, dead string) bool {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "upstream="+dead+", ") && strings.HasPrefix(line, "POST /v1/") &&
			!strings.Contains(line, " 502 ") {
			return true
		}
	}
	return false
}
