package startup

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// TraceVariable turns the start-up trace on: WORKSHOP_LOGIN_TRACE_STARTUP=1
// prints, on stderr, one line per step of the start with its time since
// this package initialised (just after the dynamic loader and the Go
// runtime) and the step's own share.
const TraceVariable = "WORKSHOP_LOGIN_TRACE_STARTUP"

var trace = struct {
	sync.Mutex
	on    bool
	began time.Time
	last  time.Duration
	seen  map[string]bool
}{on: os.Getenv(TraceVariable) == "1", began: time.Now(), seen: map[string]bool{}}

// Tracing says whether the start-up trace is on, for steps that cost
// something to notice (the window's first paint).
func Tracing() bool { return trace.on }

// Step notes that the start-up step name has just finished; only its
// first time counts.
func Step(name string) { step(name, false) }

// QRCodePainted notes the step the start is for: the first QR code painted.
// Its line alone ends with the wall clock in microseconds since 1970
// (unix_us=), so that a measurement outside the process (kioskbench) can
// line its own times up with the program's.
func QRCodePainted() { step("QR code painted", true) }

func step(name string, clock bool) {
	if !trace.on {
		return
	}
	now := time.Now()
	trace.Lock()
	defer trace.Unlock()
	if trace.seen[name] {
		return
	}
	trace.seen[name] = true
	at := now.Sub(trace.began)
	line := fmt.Sprintf("startup: %8.1f ms  (+%7.1f ms)  %s", ms(at), ms(at-trace.last), name)
	if clock {
		line += fmt.Sprintf("  unix_us=%d", now.UnixMicro())
	}
	fmt.Fprintln(os.Stderr, line)
	trace.last = at
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
