package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The enrolment figures (README "Figures"): how many enrolment codes a
// second one replica hands out with its limits out of the way, and what a
// flood of unenrolled callers costs it with the limits as shipped (CPU, and
// Trust Centre calls: none beyond what the limits let through).
//
//	WORKSHOP_LOGIN_STATIC_RELAY=$PWD/workshop-login-relay go test -tags=migrated_fynedo \
//	  -run='^$' -bench=Enrolment -benchtime=1x ./auth/relay/cmd/workshop-login-relay/
const (
	enrolWorkers = 32
	enrolWindow  = 10 * time.Second
)

func BenchmarkEnrolment(b *testing.B) {
	for range b.N {
		enrolFigures(b)
	}
}

func enrolFigures(b *testing.B) {
	sim := startSimulatorProcess(b)
	open := enrolReplica(b, sim.url, "\n[enrolment_limits]\nper_source_per_second = 1000000\nper_source_burst = 1000000\n"+
		"global_per_second = 1000000\nglobal_burst = 1000000\n")
	served, _, use := flood(b, open, enrolWorkers, []string{`{"name":"bench-kiosk"}`})
	rate := float64(served[http.StatusCreated]) / enrolWindow.Seconds()
	b.ReportMetric(rate, "enrolments/s")

	shipped := enrolReplica(b, sim.url, "")
	qrBefore := shipped.metric(b, "workshop_login_relay_trust_centre_request_seconds_count")
	answers, calls, floodUse := flood(b, shipped, enrolWorkers, []string{`{"name":"bench-kiosk"}`,
		`{"name":"bench-kiosk","handle":"h1.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`})
	upstream := shipped.metric(b, "workshop_login_relay_trust_centre_request_seconds_count") - qrBefore
	// All the flood comes from 127.0.0.1: the per-source limit (1 a
	// second, burst 5) is the tighter, and lets this many through.
	allowed := 5 + enrolWindow.Seconds()
	b.ReportMetric(upstream, "trust-centre-calls")
	b.ReportMetric(floodUse.cores*100, "flood-cpu-%")

	var report strings.Builder
	fmt.Fprintf(&report, "one replica, %d callers for %s each (load average %s)\n", enrolWorkers, enrolWindow, loadAverage())
	fmt.Fprintf(&report, "  limits out of the way: %.0f enrolment codes a second (each a Trust Centre QR request), answers %v; relay CPU %.1f%% of one core (%.0f µs a code)\n",
		rate, served, use.cores*100, use.cores*1e6/max(rate, 1))
	fmt.Fprintf(&report, "  a flood of unenrolled callers, limits as shipped: %.0f calls a second, answers %v; relay CPU %.1f%% of one core (%.1f µs a call), RSS %.0f MiB;"+
		" Trust Centre calls %.0f (the limits allow %.0f)\n",
		float64(calls)/enrolWindow.Seconds(), answers, floodUse.cores*100, floodUse.cores*1e6/(float64(calls)/enrolWindow.Seconds()),
		float64(floodUse.rss)/(1<<20), upstream, allowed)
	b.Log("\n" + report.String())
	if upstream > allowed {
		b.Errorf("the flood reached the Trust Centre %.0f times, beyond the %.0f the limits allow", upstream, allowed)
	}
}

// enrolReplica is one replica with enrolment = "garage" and extra settings.
func enrolReplica(b *testing.B, simURL, extra string) *replica {
	front := freeAddr(b)
	s := newSite(b, simURL, "http://"+front, 1)
	s.top = "enrolment = \"garage\"\n"
	s.extra = extra
	return startReplica(b, s, front)
}

// flood has workers post bodies (in turn) to the enrolment calls, as fast
// as they are answered, for enrolWindow: the answers by status, how many,
// and the replica's CPU meanwhile.
func flood(b *testing.B, r *replica, workers int, bodies []string) (map[int]int, int64, usage) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var mu sync.Mutex
	answers := map[int]int{}
	var calls atomic.Int64
	use := measure(b, r.cmd.Process.Pid, func() {
		ctx, cancel := context.WithTimeout(context.Background(), enrolWindow)
		defer cancel()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; ctx.Err() == nil; i++ {
					body := bodies[i%len(bodies)]
					path := "/v1/enrolments"
					if strings.Contains(body, "handle") {
						path += "/poll"
					}
					req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+r.addr+path, strings.NewReader(body))
					resp, err := client.Do(req)
					if err != nil {
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					calls.Add(1)
					mu.Lock()
					answers[resp.StatusCode]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	})
	return answers, calls.Load(), use
}
