package auth_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// soakFaults are what the Trust Centre throws at the kiosk, one each
// simulated hour, in turn.
var soakFaults = []simulator.Faults{
	{SlowDowns: 4},
	{TooManyRequests: 2, RetryAfterSeconds: 20},
	{ServerErrors: 3},
	{Only: "token", MalformedJSON: 1},
	{Only: "user_info", ServerErrors: 3},
	{Only: "user_info", MalformedJSON: 1},
	{Only: "user_info", Unauthorized: 1},
	{Only: "authorize", TooManyRequests: 1, RetryAfterSeconds: 3600},
	{TooManyNearEndSeconds: 40, RetryAfterSeconds: 15},
	{Only: "token", SlowTokenAnswers: 1, SlowAnswerMS: 20},
	{SlowDowns: 6},
}

// TestSoak runs a kiosk for simulated hours against the simulator over
// loopback, with a fault every hour and a sign-in every three: every
// approval the simulator accepted must end signed in, and nothing may pile
// up. make test runs 48 hours; make soak runs 720 (WORKSHOP_LOGIN_SOAK_HOURS).
func TestSoak(t *testing.T) {
	hours := 48
	if v := os.Getenv("WORKSHOP_LOGIN_SOAK_HOURS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("WORKSHOP_LOGIN_SOAK_HOURS=%q is not a number of hours", v)
		}
		hours = n
	}
	runtime.GC()
	goroutinesBefore := runtime.NumGoroutine()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	r := newApprovalRun(t, simulator.Options{SessionLifetime: 2 * time.Minute}, nil)
	r.countOnly = true
	for h := 0; h < hours; h++ {
		hour := time.Duration(h) * time.Hour
		fault := soakFaults[h%len(soakFaults)]
		r.faultAt(hour+7*time.Minute, fault)
		r.faultAt(hour+50*time.Minute, simulator.Faults{}) // a fault that holds (near-end 429s) ends
		if h%3 == 1 {
			// The person scans while the fault is fresh, and approves 20 s on.
			scan := hour + 7*time.Minute + time.Duration(h%7)*13*time.Second
			r.person(scan, scan+20*time.Second, "ioe", "1234")
		}
	}
	end := time.Duration(hours) * time.Hour
	signedIn := 0
	var all []string // kept only while short: the log of a failing run
	for r.tl.Since() < end {
		lines, last := r.until(end, nil)
		if hours <= 48 {
			all = append(all, lines...)
		}
		if last.Kind == auth.EventApproved {
			signedIn++
			if last.Session.Identity.IOEUID.AuthorisationUID != "1234567890B" {
				t.Fatalf("signed in as %+v", last.Session.Identity)
			}
			continue
		}
		if r.tl.Since() < end {
			t.Fatalf("the attempt ended without a sign-in at %s:\n%v", r.tl.Since(), lines[max(0, len(lines)-10):])
		}
	}
	// Let the last attempt's goroutine end before counting.
	time.Sleep(100 * time.Millisecond)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	goroutinesAfter := runtime.NumGoroutine()

	r.mu.Lock()
	accepted, polls := r.accepted, r.pollCount
	r.mu.Unlock()
	t.Logf("%d simulated hours, %d faults: %d approvals accepted, %d signed in; %d token polls; goroutines %d -> %d; heap %.1f -> %.1f MB",
		hours, hours, accepted, signedIn, polls, goroutinesBefore, goroutinesAfter,
		float64(before.HeapAlloc)/1e6, float64(after.HeapAlloc)/1e6)
	if accepted == 0 || signedIn != accepted {
		t.Errorf("%d approvals accepted, %d signed in", accepted, signedIn)
		r.mu.Lock()
		t.Logf("approvals at %v", r.approvedAt)
		r.mu.Unlock()
		for _, l := range all {
			if !strings.Contains(l, "waiting") {
				t.Log(l)
			}
		}
	}
	// The simulator's server and its keep-alive connections stay up until
	// the test ends; a few of those are expected, a pile is a leak.
	if goroutinesAfter > goroutinesBefore+20 {
		t.Errorf("goroutines grew from %d to %d", goroutinesBefore, goroutinesAfter)
	}
}
