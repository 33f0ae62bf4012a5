package main

// What the process-level tests and the load benchmark share: the static
// relay binary, one relay's keys and configuration written as a VM would
// write them, replica processes on loopback, and their metrics read back.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// relayBinaryEnv names the static relay binary that `make relay-static`
// built; without it the tests build their own copy (once per run). Not
// WORKSHOP_LOGIN_RELAY_…: the kiosk reads those as settings of its [relay]
// section, and every program a test starts inherits the variable.
const relayBinaryEnv = "WORKSHOP_LOGIN_STATIC_RELAY"

var built struct {
	once sync.Once
	path string
	err  error
}

// relayBinary is the static, cgo-free relay binary the container runs.
func relayBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(relayBinaryEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v (make relay-static builds it)", relayBinaryEnv, p, err)
		}
		return p
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "workshop-login-relay-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "workshop-login-relay")
		cmd := exec.Command("go", "build", "-tags=migrated_fynedo", "-trimpath", "-o", built.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("building the static relay: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// site is one relay as a VM sets it up: the client secret, the sealing and
// signing keys and the enrolled kiosks, in files every replica reads.
type site struct {
	dir        string
	simURL     string
	publicURL  string
	kioskNames []string
	kioskKeys  []string
	// extra is appended to every replica's relay.toml (limits, say); top
	// goes before its first section (enrolment = "garage", say).
	extra, top string
	// env is added to a replica process's environment (GOMEMLIMIT, say).
	env []string
}

// newSite writes the keys and the kiosks file for n kiosks. The kiosks file
// is written directly: add-kiosk rewrites the whole file per kiosk, which
// is slow for thousands.
func newSite(t testing.TB, simURL, publicURL string, n int) *site {
	t.Helper()
	s := &site{dir: t.TempDir(), simURL: simURL, publicURL: publicURL}
	seal, err := relay.NewSealKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	signing, err := relay.GenerateSigningKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	block, err := relay.SigningKeyBlock(signing)
	if err != nil {
		t.Fatal(err)
	}
	var kiosks strings.Builder
	for i := range n {
		key, hash, err := relay.NewKioskKey()
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("kiosk-%05d", i)
		line, err := relay.KioskLine(name, hash)
		if err != nil {
			t.Fatal(err)
		}
		kiosks.WriteString(line)
		s.kioskNames, s.kioskKeys = append(s.kioskNames, name), append(s.kioskKeys, key)
	}
	for name, content := range map[string][]byte{
		"client_secret": []byte(simulator.DefaultClientSecret + "\n"),
		"seal.keys":     []byte(relay.SealKeyLine(seal)),
		"signing.pem":   block,
		"kiosks":        []byte(kiosks.String()),
	} {
		if err := os.WriteFile(filepath.Join(s.dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// config writes the relay.toml of the replica listening on addr.
func (s *site) config(t testing.TB, addr string) string {
	t.Helper()
	path := filepath.Join(s.dir, "relay-"+strings.ReplaceAll(addr, ":", "-")+".toml")
	content := fmt.Sprintf(`listen = %q
public_url = %q
kiosks_file = "kiosks"
drain_time = "1s"
%s
[trust_centre]
environment = "simulator"
issuer = %q
client_id = %q
client_secret_file = "client_secret"
product_scope = %q

[sealing]
keys_file = "seal.keys"

[signing]
keys_file = "signing.pem"
audience = "urn:test-vm:tools"
%s`, addr, s.publicURL, s.top, s.simURL, simulator.DefaultClientID, simulator.DefaultProductScope, s.extra)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// replica is one relay process, or one relay container.
type replica struct {
	addr      string
	cmd       *exec.Cmd
	stderr    *authtest.Buffer
	exited    chan struct{}
	container string // its name, when it runs in the image
}

// relayImageEnv names the relay's container image (make relay-image builds
// it; make test sets it): a replica of the nginx test runs in it.
const relayImageEnv = "WORKSHOP_LOGIN_STATIC_RELAY_IMAGE"

// startReplica runs the static binary with the site's configuration on
// addr and waits until it says it serves.
func startReplica(t testing.TB, s *site, addr string) *replica {
	return startReplicaIn(t, s, addr, "")
}

// startReplicaIn runs the replica in the container image, or as a process
// of the static binary when image is empty. The container shares the
// host's network (loopback) and reads the site's folder, mounted at the
// same path; it runs as the test's user, who owns the key files.
func startReplicaIn(t testing.TB, s *site, addr, image string) *replica {
	t.Helper()
	r := &replica{addr: addr, stderr: &authtest.Buffer{}, exited: make(chan struct{})}
	config := s.config(t, addr)
	if image == "" {
		r.cmd = exec.Command(relayBinary(t), "--config", config)
		if len(s.env) > 0 {
			r.cmd.Env = append(os.Environ(), s.env...)
		}
	} else {
		r.container = "workshop-login-relay-test-" + strings.ReplaceAll(addr, ":", "-")
		r.cmd = exec.Command("podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "run", "--rm", "--name", r.container,
			"--network=host", "--user", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()), "-v", s.dir+":"+s.dir+":ro",
			image, "--config", config)
	}
	r.cmd.Stderr = r.stderr
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	serving := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case serving <- sc.Text():
			default:
			}
		}
		_ = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() { r.kill() })
	select {
	case line := <-serving:
		if !strings.HasPrefix(line, "relay at http://"+addr+" ") {
			t.Fatalf("the relay on %s said %q, want \"relay at http://%s for …\"", addr, line, addr)
		}
	case <-r.exited:
		t.Fatalf("the relay on %s stopped at once:\n%s", addr, r.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("the relay on %s did not start within 30 s:\n%s", addr, r.stderr)
	}
	return r
}

// kill is kill -9: no draining, no goodbye. A container is killed by
// podman: killing its client would leave the container running.
func (r *replica) kill() {
	if r.container != "" {
		_ = exec.Command("podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "rm", "-f", "-t", "0", r.container).Run()
	}
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
	}
	<-r.exited
}

// terminate is what Kubernetes does to stop a pod: SIGTERM, after which
// the replica drains (not ready for drain_time) and exits.
func (r *replica) terminate() { _ = r.cmd.Process.Signal(syscall.SIGTERM) }

// waitExit waits for a terminated replica to exit, which it must do cleanly.
func (r *replica) waitExit(t testing.TB) {
	t.Helper()
	select {
	case <-r.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the relay on %s did not stop within 30 s of SIGTERM:\n%s", r.addr, r.stderr)
	}
	if code := r.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("the relay on %s exited %d after SIGTERM, want 0:\n%s", r.addr, code, r.stderr)
	}
}

// metric sums the samples of a metric family on the replica's /metrics.
func (r *replica) metric(t testing.TB, name string) float64 {
	t.Helper()
	resp, err := httpClient.Get("http://" + r.addr + "/metrics")
	if err != nil {
		t.Fatalf("reading the metrics of %s: %v", r.addr, err)
	}
	defer resp.Body.Close()
	return sumMetric(resp.Body, name)
}

func sumMetric(body io.Reader, name string) float64 {
	var sum float64
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, name); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "{")) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err == nil {
				sum += v
			}
		}
	}
	return sum
}

// httpClient is for the tests' own calls: nothing on loopback takes long.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// freeAddr is a loopback address no one listens on now, for a relay to
// listen on a moment later.
func freeAddr(t testing.TB) string { return authtest.FreeLoopbackAddr(t) }

// procStat is a process's CPU time so far and its resident memory, from
// /proc (Linux).
type procStat struct {
	cpu       time.Duration // user + system
	rss, peak int64         // bytes: VmRSS and VmHWM
}

func readProc(pid int) (procStat, error) {
	var st procStat
	if runtime.GOOS != "linux" {
		return st, fmt.Errorf("process figures come from /proc, which %s lacks", runtime.GOOS)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	// Fields after the command's closing parenthesis: utime and stime are
	// the 14th and 15th of the line, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	st.cpu = time.Duration(utime+stime) * (time.Second / 100)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			st.rss = kb << 10
		case "VmHWM:":
			st.peak = kb << 10
		}
	}
	return st, nil
}
