package main

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/workshop-login/workshop-login/auth/relay"
)

// The memory bound (relay.MemoryBound) lets in as many connections as
// GOMEMLIMIT holds at a cost a connection. What that cost is: a replica
// with memoryKiosks waiting, each on a connection of its own polling every
// 5 s for a minute, under GOMEMLIMITs of 32 to 64 KiB a kiosk (the
// connection bound set above them). Under GOMEMLIMIT the collector lets
// the heap grow to the limit, whatever it is; below what the kiosks really
// need it runs again and again, and the CPU a poll rises: the cost is the
// lowest limit before that. Its peak RSS against the limit shows what the
// container must add. make bench-relay-memory.
const memoryKiosks = 5000

func BenchmarkRelayAtItsMemoryBound(b *testing.B) {
	for _, kib := range []int64{32, 40, 48, 56, 64} {
		b.Run(fmt.Sprintf("KiB=%d", kib), func(b *testing.B) {
			for range b.N {
				relayAtMemoryLimit(b, memoryKiosks*kib<<10)
			}
		})
	}
}

func relayAtMemoryLimit(b *testing.B, limit int64) {
	sim := startSimulatorProcess(b)
	front := freeAddr(b)
	s := newSite(b, sim.url, "http://"+front, memoryKiosks)
	s.extra = fmt.Sprintf("\n[limits]\nglobal_per_second = 100000\nglobal_burst = 100000\nmax_connections = %d\n", memoryKiosks+100)
	s.env = []string{fmt.Sprintf("GOMEMLIMIT=%dKiB", limit>>10)}
	r := startReplica(b, s, front)
	kiosks := relayPollers(b, "http://"+front, s.kioskKeys)
	gcBefore := r.metric(b, "go_gc_duration_seconds_count")
	var through *tally
	use := measure(b, r.cmd.Process.Pid, func() { through = run(kiosks, benchWindow) })
	gcRuns := r.metric(b, "go_gc_duration_seconds_count") - gcBefore
	// What the replica's own bound would let in under this limit.
	bound := relay.MemoryBound(limit)

	polls := float64(len(through.latency)+through.failures()+through.shed) / benchWindow.Seconds()
	perKiosk := float64(use.peak) / memoryKiosks
	b.ReportMetric(float64(use.peak)/float64(limit), "peak-rss/GOMEMLIMIT")
	b.ReportMetric(perKiosk/1024, "peak-KiB/kiosk")
	b.ReportMetric(use.cores*1e6/polls, "µs/poll")
	b.ReportMetric(gcRuns, "gc-runs")
	b.ReportMetric(float64(through.failures()), "errors")

	var report strings.Builder
	fmt.Fprintf(&report, "%d kiosks waiting, each on a connection of its own polling every %s, for %s, on %d CPUs\n",
		memoryKiosks, benchInterval, benchWindow, runtime.NumCPU())
	fmt.Fprintf(&report, "  GOMEMLIMIT %.1f MiB (%d KiB a kiosk; the bound, unset, would let in %d)\n", float64(limit)/(1<<20), limit/memoryKiosks>>10, bound)
	fmt.Fprintf(&report, "  relay RSS %.0f MiB, peak %.0f MiB: %.2f of GOMEMLIMIT, %.1f KiB a waiting kiosk\n",
		float64(use.rss)/(1<<20), float64(use.peak)/(1<<20), float64(use.peak)/float64(limit), perKiosk/1024)
	fmt.Fprintf(&report, "  %.0f polls/s: p50 %.2f ms, p99 %.2f ms, errors %d %v, shed %d; CPU %.1f%% of one core (%.0f µs a poll); the collector ran %.0f times\n",
		polls, ms(through.quantile(0.5)), ms(through.quantile(0.99)), through.failures(), sorted(through.errors), through.shed,
		use.cores*100, use.cores*1e6/polls, gcRuns)
	b.Log("\n" + report.String())
	if through.failures() > 0 {
		b.Errorf("errors at the memory limit: %v", through.errors)
	}
}
