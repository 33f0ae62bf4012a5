package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// The relay under a burst (make bench-relay): 5,000 kiosks wait, polling
// every 5 s; for 30 s, 2,000 more offer twice what one core of the relay
// serves; meanwhile 20 of the waiting kiosks' codes are approved. Figures:
// the waiting kiosks' p99 before, during and after, the calls shed, the
// sign-ins completed, and how long after the burst the per-second p99 is
// back to normal.
const (
	burstBase      = 5000
	burstKiosks    = 2000
	burstApprovals = 20
	burstBefore    = 20 * time.Second
	burstLength    = 30 * time.Second
	burstAfter     = 30 * time.Second
)

func BenchmarkRelayBurst(b *testing.B) {
	for range b.N {
		relayBurst(b)
	}
}

func relayBurst(b *testing.B) {
	sim := startSimulatorProcess(b)
	front := freeAddr(b)
	s := newSite(b, sim.url, "http://"+front, burstBase+burstKiosks)
	// The burst's kiosks poll faster than an honest kiosk may: their own
	// limit is out of the way, as is the global one; the bounds are not.
	s.extra = "\n[limits]\nglobal_per_second = 100000\nglobal_burst = 100000\nper_kiosk_per_second = 1000\nper_kiosk_burst = 1000\n"
	r := startReplica(b, s, front)
	base, uris := relayPollersURI(b, "http://"+front, s.kioskKeys[:burstBase])
	burst, _ := relayPollersURI(b, "http://"+front, s.kioskKeys[burstBase:])

	// Capacity: the polls a second one core of the relay serves, measured
	// on the waiting kiosks alone for the first phase.
	began := time.Now()
	var all *tally
	done := make(chan struct{})
	var calm usage
	go func() { all = run(base, burstBefore+burstLength+burstAfter); close(done) }()
	calm = measure(b, r.cmd.Process.Pid, func() { time.Sleep(burstBefore) })
	calmPolls := float64(burstBase) / benchInterval.Seconds()
	capacity := calmPolls / calm.cores
	burstRate := 2*capacity - calmPolls
	interval := time.Duration(float64(burstKiosks) / burstRate * float64(time.Second))
	var during usage
	var extra *tally
	approvals := make(chan int, 1)
	go func() { time.Sleep(burstLength / 3); approvals <- approveSome(b, sim.url, uris, burstApprovals) }()
	during = measure(b, r.cmd.Process.Pid, func() { extra = runEvery(burst, burstLength, interval) })
	burstEnd := time.Now()
	<-done
	approved := <-approvals

	before := window(all, began, began.Add(burstBefore))
	inBurst := window(all, began.Add(burstBefore), burstEnd)
	// Normal: twice the p99 before the burst, or the 50 ms target on this
	// shared machine, whichever is larger.
	normal := max(2*before.quantile(0.99), 50*time.Millisecond)
	recovered, ok := recovery(all, burstEnd, normal)
	var report strings.Builder
	fmt.Fprintf(&report, "burst: %d kiosks waiting (every %s), then for %s %d more offering %.0f polls/s (one core serves %.0f: %.0f polls/s at %.1f%% CPU), on %d CPUs (load average %s)\n",
		burstBase, benchInterval, burstLength, burstKiosks, burstRate, capacity, calmPolls, calm.cores*100, runtime.NumCPU(), loadAverage())
	fmt.Fprintf(&report, "  waiting kiosks before: p50 %.2f ms p99 %.2f ms; during: p50 %.2f ms p99 %.2f ms; shed %d of their polls\n",
		ms(before.quantile(0.5)), ms(before.quantile(0.99)), ms(inBurst.quantile(0.5)), ms(inBurst.quantile(0.99)), all.shed)
	fmt.Fprintf(&report, "  burst kiosks: %d polls answered, %d shed (503/429 busy with Retry-After); relay CPU during it %.1f%%, RSS %.0f MiB (peak %.0f)\n",
		len(extra.latency), extra.shed, during.cores*100, float64(during.rss)/(1<<20), float64(during.peak)/(1<<20))
	fmt.Fprintf(&report, "  errors: waiting %d %v, burst %d %v; codes approved during the burst %d, sign-ins completed %d\n",
		all.failures(), sorted(all.errors), extra.failures(), sorted(extra.errors), approved, all.approved)
	if ok {
		fmt.Fprintf(&report, "  recovered (per-second p99 under %.1f ms for 3 s running) %.1f s after the burst\n", ms(normal), recovered.Seconds())
	} else {
		fmt.Fprintf(&report, "  NOT recovered within %s after the burst (per-second p99 over %.1f ms)\n", burstAfter, ms(normal))
	}
	fmt.Fprintf(&report, "  per-second p99 of the waiting kiosks after the burst, ms:")
	for sec := range 15 {
		from := burstEnd.Add(time.Duration(sec) * time.Second)
		fmt.Fprintf(&report, " %.0f", ms(window(all, from, from.Add(time.Second)).quantile(0.99)))
	}
	fmt.Fprintln(&report)
	b.Log("\n" + report.String())
	b.ReportMetric(recovered.Seconds(), "recovery-s")
	b.ReportMetric(float64(all.failures()+extra.failures()), "errors")
	if all.failures()+extra.failures() > 0 || all.approved != approved || !ok {
		b.Errorf("errors %d, sign-ins completed %d of %d, recovered %v", all.failures()+extra.failures(), all.approved, approved, ok)
	}
}

// window is the part of t's latencies that ended between from and to.
func window(t *tally, from, to time.Time) *tally {
	var w tally
	for i, at := range t.at {
		if !at.Before(from) && at.Before(to) {
			w.latency = append(w.latency, t.latency[i])
		}
	}
	return &w
}

// recovery is how long after end the per-second p99 stays under normal
// for three seconds running.
func recovery(t *tally, end time.Time, normal time.Duration) (time.Duration, bool) {
	good := 0
	for sec := 0; sec < int(burstAfter/time.Second); sec++ {
		from := end.Add(time.Duration(sec) * time.Second)
		w := window(t, from, from.Add(time.Second))
		if len(w.latency) > 0 && w.quantile(0.99) <= normal {
			good++
			if good == 3 {
				return time.Duration(sec-2) * time.Second, true
			}
		} else {
			good = 0
		}
	}
	return burstAfter, false
}

// relayPollersURI is relayPollers with each code's QR address, for the
// phone to approve.
func relayPollersURI(b *testing.B, relayURL string, keys []string) ([]poller, []string) {
	uris := make([]string, len(keys))
	var mu sync.Mutex
	pollers := relayPollersWith(b, relayURL, keys, func(i int, a relayapi.StartAnswer) {
		mu.Lock()
		uris[i] = a.QRURI
		mu.Unlock()
	})
	return pollers, uris
}

// approveSome approves n of the codes on the simulator's phone page, as
// the person with the IOE persona would.
func approveSome(b *testing.B, simURL string, uris []string, n int) int {
	client := &http.Client{Timeout: 30 * time.Second}
	approved := 0
	for _, u := range uris[:n] {
		form := url.Values{"decision": {"approve"}, "persona": {"ioe"}, "pin": {"1234"}}
		resp, err := client.PostForm(u, form)
		if err != nil {
			b.Errorf("approving: %v", err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			approved++
		}
	}
	_ = simURL
	return approved
}

// fleet: issue 21's figure. 20,000 kiosks, 1% of them signing in at any
// moment (a code polled every 2 s, approved within 20 s, then the next
// kiosk), the rest at rest sending nothing; next to the same 20,000 all
// showing a code polled every 2 s (codes = "always"), through 4,000
// connections as an ingress's pool would carry them.
const (
	fleetKiosks   = 20000
	fleetSigning  = fleetKiosks / 100
	fleetInterval = 2 * time.Second
	fleetWindow   = 60 * time.Second
	fleetConns    = 4000
)

func BenchmarkRelayFleet(b *testing.B) {
	for range b.N {
		relayFleet(b)
	}
}

func relayFleet(b *testing.B) {
	sim := startSimulatorProcess(b)
	front := freeAddr(b)
	s := newSite(b, sim.url, "http://"+front, fleetKiosks)
	s.extra = "\n[limits]\nglobal_per_second = 100000\nglobal_burst = 100000\n"
	r := startReplica(b, s, front)
	relayURL := "http://" + front
	var report strings.Builder
	fmt.Fprintf(&report, "fleet: %d kiosks, one replica, on %d CPUs (load average %s)\n", fleetKiosks, runtime.NumCPU(), loadAverage())

	// On demand: fleetSigning slots, each a kiosk that starts, polls,
	// is approved and rests, then the next kiosk.
	tcBefore := r.metric(b, "workshop_login_relay_trust_centre_request_seconds_count")
	var onDemand tally
	signedIn := 0
	use := measure(b, r.cmd.Process.Pid, func() {
		ctx, cancel := context.WithTimeout(context.Background(), fleetWindow)
		defer cancel()
		var wg sync.WaitGroup
		var mu sync.Mutex
		next := 0
		for slot := range fleetSigning {
			wg.Go(func() {
				time.Sleep(time.Duration(slot) * fleetInterval * 10 / fleetSigning) // spread the starts
				for ctx.Err() == nil {
					mu.Lock()
					k := next % fleetKiosks
					next++
					mu.Unlock()
					if signInOnce(ctx, relayURL, s.kioskKeys[k], &onDemand) {
						mu.Lock()
						signedIn++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
	})
	tc := (r.metric(b, "workshop_login_relay_trust_centre_request_seconds_count") - tcBefore) / fleetWindow.Seconds()
	fmt.Fprintf(&report, "  codes on demand (%d signing in, the rest at rest): %.0f Trust Centre requests/s, relay CPU %.1f%%, %d sign-ins, poll p99 %.2f ms, errors %d %v, shed %d\n",
		fleetSigning, tc, use.cores*100, signedIn, ms(onDemand.quantile(0.99)), onDemand.failures(), sorted(onDemand.errors), onDemand.shed)

	// Always: every kiosk shows a code, polled every 2 s.
	transport := &http.Transport{MaxConnsPerHost: fleetConns, MaxIdleConnsPerHost: fleetConns, IdleConnTimeout: time.Minute}
	pollers := relayPollersShared(b, relayURL, s.kioskKeys, &http.Client{Transport: transport})
	tcBefore = r.metric(b, "workshop_login_relay_trust_centre_request_seconds_count")
	var always *tally
	use = measure(b, r.cmd.Process.Pid, func() { always = runEvery(pollers, fleetWindow, fleetInterval) })
	tc = (r.metric(b, "workshop_login_relay_trust_centre_request_seconds_count") - tcBefore) / fleetWindow.Seconds()
	fmt.Fprintf(&report, "  codes always (%d polling every %s): %.0f Trust Centre requests/s, relay CPU %.1f%%, RSS %.0f MiB, poll p99 %.2f ms, errors %d %v, shed %d of %d polls\n",
		fleetKiosks, fleetInterval, tc, use.cores*100, float64(use.rss)/(1<<20), ms(always.quantile(0.99)), always.failures(), sorted(always.errors), always.shed,
		len(always.latency)+always.shed+always.failures())
	b.Log("\n" + report.String())
}

// signInOnce is one kiosk's sign-in: a code, polled every 2 s, approved on
// the phone at a moment between 4 and 20 s; it reports whether it ended
// signed in.
func signInOnce(ctx context.Context, relayURL, key string, t *tally) bool {
	client := &http.Client{Timeout: 90 * time.Second}
	req := mustRequest(http.MethodPost, relayURL+relayapi.PathStart, nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+key)
	_, status, body, err := call(client, req)
	var start relayapi.StartAnswer
	if err != nil || status != http.StatusCreated || json.Unmarshal(body, &start) != nil {
		if ctx.Err() == nil {
			t.fail(fmt.Sprintf("start: HTTP %d %v", status, err))
			sleep(ctx, fleetInterval)
		}
		return false
	}
	approveAt := time.Now().Add(4*time.Second + time.Duration(len(key)%17)*time.Second)
	approved := false
	handle, _ := json.Marshal(relayapi.PollRequest{Handle: start.Handle})
	for ctx.Err() == nil {
		if !approved && time.Now().After(approveAt) {
			resp, err := client.PostForm(start.QRURI, url.Values{"decision": {"approve"}, "persona": {"ioe"}, "pin": {"1234"}})
			if err == nil {
				resp.Body.Close()
				approved = true
			}
		}
		req := mustRequest(http.MethodPost, relayURL+relayapi.PathPoll, strings.NewReader(string(handle))).WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+key)
		d, why := classify(callH(client, req))
		wait := fleetInterval
		switch {
		case ctx.Err() != nil:
			return false
		case why == outcomeApproved:
			t.ok(d)
			return true
		case strings.HasPrefix(why, outcomeShed):
			t.count(&t.shed)
			wait, _ = time.ParseDuration(strings.TrimPrefix(why, outcomeShed+" "))
		case why != "":
			t.fail(why)
			return false
		default:
			t.ok(d)
		}
		sleep(ctx, wait)
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
