package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/platform/xvfbtest"
)

// BenchmarkWakeToSignedIn is the default run (`make run`: codes on demand,
// the embedded simulator and relay) in a real window under Xvfb, as a
// person meets it, 20 times (WAKE_RUNS): at rest, a key (xdotool) to a code
// that zbarimg decodes from the screen; the approval (the simulator's page,
// as the phone, 3 to 7 s after the code showed) to the signed-in screen (the garage in the window's
// title); Ctrl+L back to rest. Each figure is an upper bound: the time to
// the start of the first screenshot that shows it (about 50 ms apart).
// make bench-wake runs it.
func BenchmarkWakeToSignedIn(b *testing.B) {
	xvfbtest.NeedTools(b)
	runs := 20
	if n, err := fmt.Sscan(os.Getenv("WAKE_RUNS"), &runs); n != 1 || err != nil {
		runs = 20
	}
	dir := b.TempDir()
	config := filepath.Join(dir, "config.toml") // empty: the default run
	if err := os.WriteFile(config, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	d := xvfbtest.Start(b)
	launch(b, d, os.Args[0], config, dir)
	eventually(b, "the window", 60*time.Second, func() bool { return d.WindowTitled("Workshop Login") })
	time.Sleep(3 * time.Second) // the window has the keyboard
	var wakes, approvals []time.Duration
	for b.Loop() {
		for range runs {
			wake, approval := wakeAndSignIn(b, d)
			wakes, approvals = append(wakes, wake), append(approvals, approval)
		}
	}
	slices.Sort(wakes)
	slices.Sort(approvals)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(wakes[len(wakes)/2]), "key-to-code-median-ms")
	b.ReportMetric(ms(wakes[len(wakes)-1]), "key-to-code-worst-ms")
	b.ReportMetric(ms(approvals[len(approvals)/2]), "approval-to-signed-in-median-ms")
	b.ReportMetric(ms(approvals[len(approvals)-1]), "approval-to-signed-in-worst-ms")
	b.Logf("key to a decodable code (ms): %v", wakes)
	b.Logf("approval to the signed-in screen (ms): %v", approvals)
}

// wakeAndSignIn wakes the kiosk at rest, approves its code, and signs out.
func wakeAndSignIn(b *testing.B, d *xvfbtest.Display) (wake, approval time.Duration) {
	b.Helper()
	pressed := time.Now()
	d.Key(b, "w")
	var code string
	for code == "" {
		shot := time.Now()
		if code = d.QR(); code != "" {
			wake = shot.Sub(pressed)
		} else if shot.Sub(pressed) > 30*time.Second {
			b.Fatal("no code 30 s after a key")
		}
	}
	// A person takes seconds to scan and type the PIN: the approval falls
	// anywhere between two polls, not just after the first.
	time.Sleep(3*time.Second + rand.N(4*time.Second))
	approved := time.Now()
	resp, err := http.PostForm(code, url.Values{"persona": {"ioe"}, "pin": {"1234"}, "decision": {"approve"}})
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("approving: %v %v", err, resp)
	}
	resp.Body.Close()
	for !d.WindowTitled("GARAGE JANSEN") {
		if time.Since(approved) > 30*time.Second {
			b.Fatal("not signed in 30 s after the approval")
		}
	}
	approval = time.Since(approved)
	d.Key(b, "ctrl+l")
	eventually(b, "the rest screen after Ctrl+L", 15*time.Second, func() bool { return !d.WindowTitled("GARAGE JANSEN") && d.QR() == "" })
	return wake, approval
}
