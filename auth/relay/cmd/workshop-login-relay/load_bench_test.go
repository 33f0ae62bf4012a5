package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// The relay's figures (make bench-relay; README "Figures"): kiosks waiting
// at once, each polling every 5 s, for a minute, first straight at the
// simulator (its own latency under that load), then through the static
// relay, a process of its own whose CPU and memory are read from /proc.
const (
	benchInterval = 5 * time.Second
	benchWindow   = 60 * time.Second
)

// benchSizes are the waiting kiosks BenchmarkRelayLoad measures.
var benchSizes = []int{5000, 10000}

// simulatorChildEnv makes the test binary serve the simulator alone, so
// that it is a process of its own, apart from the load.
const simulatorChildEnv = "WORKSHOP_LOGIN_BENCH_SIMULATOR"

func TestMain(m *testing.M) {
	if os.Getenv(simulatorChildEnv) == "1" {
		serveSimulator()
		return
	}
	os.Exit(m.Run())
}

// serveSimulator runs the simulator until SIGTERM; codes live 15 minutes,
// longer than the benchmark, so none expires under the load.
func serveSimulator() {
	srv, err := simulator.Listen("127.0.0.1:0", simulator.Options{SessionLifetime: 15 * time.Minute})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("simulator at %s\n", srv.URL)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	<-stop
	srv.Close()
}

// simProcess is the simulator in a child process.
type simProcess struct {
	url string
	cmd *exec.Cmd
}

func startSimulatorProcess(b *testing.B) *simProcess {
	b.Helper()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), simulatorChildEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "simulator at ")
	if err != nil || !ok {
		b.Fatalf("the simulator process said %q (%v)", line, err)
	}
	return &simProcess{url: u, cmd: cmd}
}

// tally is one phase's latencies and errors, and the calls shed (503 or
// 429 busy with Retry-After: not errors, the kiosk waits and polls again)
// and sign-ins approved.
type tally struct {
	mu       sync.Mutex
	latency  []time.Duration
	at       []time.Time // when each of latency ended
	errors   map[string]int
	shed     int
	approved int
}

func (t *tally) ok(d time.Duration) {
	t.mu.Lock()
	t.latency = append(t.latency, d)
	t.at = append(t.at, time.Now())
	t.mu.Unlock()
}

func (t *tally) count(n *int) {
	t.mu.Lock()
	*n++
	t.mu.Unlock()
}

func (t *tally) fail(why string) {
	t.mu.Lock()
	if t.errors == nil {
		t.errors = map[string]int{}
	}
	t.errors[why]++
	t.mu.Unlock()
}

func (t *tally) failures() int {
	n := 0
	for _, c := range t.errors {
		n += c
	}
	return n
}

func (t *tally) quantile(q float64) time.Duration {
	if len(t.latency) == 0 {
		return 0
	}
	s := slices.Clone(t.latency)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// poller is one waiting kiosk: poll answers one poll, and reports whether
// it was the answer a waiting kiosk expects (pending), or outcomeShed
// (with the wait asked for) or outcomeApproved.
type poller func(ctx context.Context) (time.Duration, string)

// Outcomes of a poll that are not errors.
const (
	outcomeShed     = "shed"
	outcomeApproved = "approved"
)

// run polls each of pollers every interval, their phases spread evenly
// over the interval, until the window ends.
func run(pollers []poller, window time.Duration) *tally {
	return runEvery(pollers, window, benchInterval)
}

// runEvery is run at another interval. A shed poll is polled again after
// its Retry-After, as the kiosk does; an approved kiosk stops.
func runEvery(pollers []poller, window, interval time.Duration) *tally {
	var t tally
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	var wg sync.WaitGroup
	for i, poll := range pollers {
		offset := time.Duration(i) * interval / time.Duration(len(pollers))
		wg.Go(func() {
			timer := time.NewTimer(offset)
			defer timer.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
				timer.Reset(interval)
				d, why := poll(ctx)
				switch {
				case ctx.Err() != nil:
					return // cut off by the window's end: not the server's fault
				case why == outcomeApproved:
					t.count(&t.approved)
					return
				case strings.HasPrefix(why, outcomeShed):
					t.count(&t.shed)
					wait, _ := time.ParseDuration(strings.TrimPrefix(why, outcomeShed+" "))
					timer.Reset(max(wait, time.Second))
				case why != "":
					t.fail(why)
				default:
					t.ok(d)
				}
			}
		})
	}
	wg.Wait()
	return &t
}

// call sends req and reads the whole answer, timing both.
func call(client *http.Client, req *http.Request) (time.Duration, int, []byte, error) {
	d, status, body, _, err := callH(client, req)
	return d, status, body, err
}

// callH is call with the answer's header.
func callH(client *http.Client, req *http.Request) (time.Duration, int, []byte, http.Header, error) {
	began := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return time.Since(began), resp.StatusCode, body, resp.Header, err
}

func shortError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return "transport: " + s
}

// directPollers are the codes polled straight at the simulator, as the
// relay polls them: one pooled client, the client secret in Basic.
func directPollers(b *testing.B, sim *simProcess, n int) []poller {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}}
	query := url.Values{"client_id": {simulator.DefaultClientID}, "response_type": {"code"},
		"scope": {"openid sermi " + simulator.DefaultProductScope}}
	codes := make([]string, n)
	parallel(n, func(i int) error {
		_, status, body, err := call(client, mustRequest(http.MethodGet, sim.url+"/oauth2/authorize.json?"+query.Encode(), nil))
		var answer struct{ Data struct{ ID string } }
		if err != nil || status != http.StatusOK || json.Unmarshal(body, &answer) != nil || answer.Data.ID == "" {
			return fmt.Errorf("a QR code at the simulator: HTTP %d %v %s", status, err, body)
		}
		codes[i] = answer.Data.ID
		return nil
	}, b)
	pollers := make([]poller, n)
	for i, code := range codes {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}}.Encode()
		pollers[i] = func(ctx context.Context) (time.Duration, string) {
			req := mustRequest(http.MethodPost, sim.url+"/oauth2/token", strings.NewReader(form)).WithContext(ctx)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(simulator.DefaultClientID, simulator.DefaultClientSecret)
			d, status, body, err := call(client, req)
			switch {
			case err != nil:
				return 0, shortError(err)
			case status != http.StatusBadRequest || !bytes.Contains(body, []byte("login_pending")):
				return 0, fmt.Sprintf("HTTP %d %.60s", status, body)
			}
			return d, ""
		}
	}
	return pollers
}

// relayPollers are kiosks waiting on the relay, each with its own key and
// its own connection, as kiosks in garages have.
func relayPollers(b *testing.B, relayURL string, keys []string) []poller {
	return relayPollersWith(b, relayURL, keys, nil)
}

// relayPollersWith is relayPollers, telling onStart (when not nil) each
// kiosk's code.
func relayPollersWith(b *testing.B, relayURL string, keys []string, onStart func(int, relayapi.StartAnswer)) []poller {
	clients := make([]*http.Client, len(keys))
	for i := range clients {
		clients[i] = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}}
	}
	return relayPollersOn(b, relayURL, keys, func(i int) *http.Client { return clients[i] }, onStart)
}

// relayPollersShared are kiosks whose calls share client's connections,
// as behind an ingress's connection pool.
func relayPollersShared(b *testing.B, relayURL string, keys []string, client *http.Client) []poller {
	return relayPollersOn(b, relayURL, keys, func(int) *http.Client { return client }, nil)
}

func relayPollersOn(b *testing.B, relayURL string, keys []string, client func(int) *http.Client, onStart func(int, relayapi.StartAnswer)) []poller {
	pollers := make([]poller, len(keys))
	handles := make([][]byte, len(keys))
	parallel(len(keys), func(i int) error {
		req := mustRequest(http.MethodPost, relayURL+relayapi.PathStart, nil)
		req.Header.Set("Authorization", "Bearer "+keys[i])
		_, status, body, err := call(client(i), req)
		var answer relayapi.StartAnswer
		if err != nil || status != http.StatusCreated || json.Unmarshal(body, &answer) != nil || answer.Handle == "" {
			return fmt.Errorf("a QR code at the relay: HTTP %d %v %s", status, err, body)
		}
		handles[i], _ = json.Marshal(relayapi.PollRequest{Handle: answer.Handle})
		if onStart != nil {
			onStart(i, answer)
		}
		return nil
	}, b)
	for i := range keys {
		pollers[i] = func(ctx context.Context) (time.Duration, string) {
			req := mustRequest(http.MethodPost, relayURL+relayapi.PathPoll, bytes.NewReader(handles[i])).WithContext(ctx)
			req.Header.Set("Authorization", "Bearer "+keys[i])
			req.Header.Set("Content-Type", "application/json")
			return classify(callH(client(i), req))
		}
	}
	return pollers
}

// classify reads a relay's poll answer as the kiosk does: pending, shed
// (503 or 429 busy: wait Retry-After), approved, or an error.
func classify(d time.Duration, status int, body []byte, header http.Header, err error) (time.Duration, string) {
	var answer relayapi.PollAnswer
	jsonErr := json.Unmarshal(body, &answer)
	switch {
	case err != nil:
		return 0, shortError(err)
	case (status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests) && answer.State == relayapi.Busy &&
		header.Get("Retry-After") != "":
		return 0, outcomeShed + " " + header.Get("Retry-After") + "s"
	case status != http.StatusOK || jsonErr != nil:
		return 0, fmt.Sprintf("HTTP %d %.60s", status, body)
	case answer.State == relayapi.Approved:
		return d, outcomeApproved
	case answer.State != relayapi.Pending:
		return 0, "state " + string(answer.State)
	}
	return d, ""
}

// parallel runs do for 0..n-1 on 32 workers, and fails b with the first
// error; the set-up is not what is measured.
func parallel(n int, do func(int) error, b *testing.B) {
	b.Helper()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range 32 {
		wg.Go(func() {
			for i := range next {
				if err := do(i); err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func mustRequest(method, address string, body io.Reader) *http.Request {
	req, err := http.NewRequest(method, address, body)
	if err != nil {
		panic(err)
	}
	return req
}

// usage is a process's CPU and memory over a phase.
type usage struct {
	cores     float64 // CPU seconds per second of the window
	rss, peak int64
}

func measure(b *testing.B, pid int, during func()) usage {
	b.Helper()
	before, err := readProc(pid)
	if err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	during()
	elapsed := time.Since(began)
	after, err := readProc(pid)
	if err != nil {
		b.Fatal(err)
	}
	return usage{cores: (after.cpu - before.cpu).Seconds() / elapsed.Seconds(), rss: after.rss, peak: after.peak}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func BenchmarkRelayLoad(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("kiosks=%d", n), func(b *testing.B) {
			for range b.N {
				relayLoad(b, n)
			}
		})
	}
}

// benchControl is how many codes are polled straight at the simulator
// while the kiosks poll through the relay: the simulator's latency at the
// same moment, under the same load and whatever else the machine runs.
const benchControl = 500

func relayLoad(b *testing.B, benchKiosks int) {
	sim := startSimulatorProcess(b)
	simPID := sim.cmd.Process.Pid

	// The simulator alone: as many codes, polled as often, straight from
	// one pooled client as the relay polls it.
	var alone *tally
	direct := directPollers(b, sim, benchKiosks)
	simAlone := measure(b, simPID, func() { alone = run(direct, benchWindow) })

	front := freeAddr(b)
	s := newSite(b, sim.url, "http://"+front, benchKiosks)
	// The global limit is the VM's quota at Digidentity; here the load is
	// the point, so it is out of the way (each kiosk's stays as shipped).
	s.extra = "\n[limits]\nglobal_per_second = 100000\nglobal_burst = 100000\n"
	r := startReplica(b, s, front)
	kiosks := relayPollers(b, "http://"+front, s.kioskKeys)
	control := directPollers(b, sim, benchControl)
	var through, own *tally
	var simLoaded, load usage
	gcBefore := r.metric(b, "go_gc_duration_seconds_count")
	loadBefore := loadAverage()
	relayUse := measure(b, r.cmd.Process.Pid, func() {
		simLoaded = measure(b, simPID, func() {
			load = measure(b, os.Getpid(), func() {
				done := make(chan struct{})
				go func() { own = run(control, benchWindow); close(done) }()
				through = run(kiosks, benchWindow)
				<-done
			})
		})
	})
	slowUpstream := upstreamOver(b, r, "0.05")
	gcRuns := r.metric(b, "go_gc_duration_seconds_count") - gcBefore

	p50, p99 := through.quantile(0.50), through.quantile(0.99)
	own50, own99 := own.quantile(0.50), own.quantile(0.99)
	errors := alone.failures() + through.failures() + own.failures()
	polls := float64(len(through.latency)+through.failures()+through.shed) / benchWindow.Seconds()
	perCore := float64(benchKiosks) / relayUse.cores
	b.ReportMetric(ms(p50-own50), "added-p50-ms")
	b.ReportMetric(ms(p99-own99), "added-p99-ms")
	b.ReportMetric(relayUse.cores*100, "relay-cpu-%")
	b.ReportMetric(float64(relayUse.peak)/(1<<20), "relay-peak-rss-MiB")
	b.ReportMetric(float64(errors), "errors")
	b.ReportMetric(perCore, "kiosks/core")

	var report strings.Builder
	fmt.Fprintf(&report, "%d kiosks waiting, each polling every %s, for %s, on %d CPUs (load average before %s, after %s)\n",
		benchKiosks, benchInterval, benchWindow, runtime.NumCPU(), loadBefore, loadAverage())
	line := func(what string, t *tally, simCPU float64) {
		fmt.Fprintf(&report, "  %-34s %6d polls  p50 %6.2f ms  p99 %6.2f ms  errors %d %v  shed %d  simulator CPU %4.1f%%\n",
			what, len(t.latency), ms(t.quantile(0.5)), ms(t.quantile(0.99)), t.failures(), sorted(t.errors), t.shed, simCPU*100)
	}
	line(fmt.Sprintf("simulator alone, %d codes:", benchKiosks), alone, simAlone.cores)
	line(fmt.Sprintf("through the relay, %d kiosks:", benchKiosks), through, simLoaded.cores)
	line(fmt.Sprintf("meanwhile straight, %d codes:", benchControl), own, simLoaded.cores)
	fmt.Fprintf(&report, "  added by the relay: p50 %.2f ms, p99 %.2f ms (target: p99 under 50 ms, 0 errors)\n", ms(p50-own50), ms(p99-own99))
	fmt.Fprintf(&report, "  relay: %.0f polls/s, CPU %.1f%% of one core (%.0f µs a poll), RSS %.0f MiB (peak %.0f MiB); one core serves %.0f waiting kiosks\n",
		polls, relayUse.cores*100, relayUse.cores*1e6/polls, float64(relayUse.rss)/(1<<20), float64(relayUse.peak)/(1<<20), perCore)
	fmt.Fprintf(&report, "  the relay's own view: %.2f%% of its Trust Centre calls took over 50 ms; its garbage collector ran %.0f times\n",
		slowUpstream*100, gcRuns)
	fmt.Fprintf(&report, "  the kiosks' side (this process): CPU %.1f%% of one core\n", load.cores*100)
	b.Log("\n" + report.String())
	if errors > 0 {
		b.Errorf("errors under load: simulator alone %v, through the relay %v, straight meanwhile %v", alone.errors, through.errors, own.errors)
	}
}

// upstreamOver is the share of the relay's token calls to the Trust Centre
// that took longer than the histogram bucket le (seconds, as written).
func upstreamOver(b *testing.B, r *replica, le string) float64 {
	resp, err := httpClient.Get("http://" + r.addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	const family = "workshop_login_relay_trust_centre_request_seconds"
	within := sumMetric(bytes.NewReader(text), family+`_bucket{call="token",le="`+le+`"}`)
	all := sumMetric(bytes.NewReader(text), family+`_count{call="token"}`)
	if all == 0 {
		return 0
	}
	return 1 - within/all
}

func sorted(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s×%d", k, v))
	}
	sort.Strings(out)
	return out
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
