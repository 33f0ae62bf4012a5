package auth_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// BenchmarkApprovalToIdentity measures what a technician waits between
// pressing Approve in the app and the kiosk knowing who they are, against the
// simulator on loopback with a 1 s poll interval. The approval comes at a
// random point of the poll cycle, so the wait is mostly the poll's; the
// overhead is what the kiosk adds after the poll that finds the approval
// arrives: token answer, user info, ID token check, delivery of the event.
//
//	make bench   (or go test -run '^$' -bench ApprovalToIdentity -benchtime 40x ./auth/)
func BenchmarkApprovalToIdentity(b *testing.B) {
	var mu sync.Mutex
	var issuedAt time.Time // when the poll that got the token arrived
	srv := startSimulator(b, simulator.Options{OnTokenRequest: func(r simulator.TokenRequest) {
		if r.Outcome == "issued" {
			mu.Lock()
			issuedAt = r.At
			mu.Unlock()
		}
	}})
	engine, err := auth.NewPasswordless(settingsFor(srv))
	if err != nil {
		b.Fatal(err)
	}
	once := func() (wait, overhead time.Duration) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var approvedAt time.Time
		for e := range engine.Start(ctx) {
			switch e.Kind {
			case auth.EventQRReady:
				time.Sleep(time.Duration(rand.Int64N(int64(time.Second))))
				approvedAt = time.Now()
				if err := srv.Approve(e.QR.URI, "ioe", "1234"); err != nil {
					b.Fatal(err)
				}
			case auth.EventApproved:
				delivered := time.Now()
				mu.Lock()
				defer mu.Unlock()
				return delivered.Sub(approvedAt), delivered.Sub(issuedAt)
			case auth.EventFailed, auth.EventRefused, auth.EventOffline:
				b.Fatalf("%s: %v", e.Kind, e.Err)
			}
		}
		b.Fatal("the attempt ended without approval")
		return 0, 0
	}
	once() // warm up: the first sign-in also fetches the ID token keys
	waits, overheads := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		w, o := once()
		waits, overheads = append(waits, w), append(overheads, o)
	}
	b.StopTimer()
	report := func(name string, d []time.Duration) {
		slices.Sort(d)
		var sum time.Duration
		for _, v := range d {
			sum += v
		}
		b.ReportMetric(float64(sum)/float64(len(d))/1e6, name+"-mean-ms")
		b.ReportMetric(float64(d[(len(d)*99)/100])/1e6, name+"-p99-ms")
	}
	report("wait", waits)
	report("overhead", overheads)
}
