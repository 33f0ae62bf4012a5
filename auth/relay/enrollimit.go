package relay

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// EnrolLimits hold unenrolled callers: each enrolment call may cost a Trust
// Centre call, and anyone can make one, so they get limits of their own,
// far below the kiosks'. Per source is per address the relay sees: behind
// a proxy that does not pass it on, the proxy's, and the global limit is
// what keeps the VM's quota at Digidentity.
type EnrolLimits struct {
	PerSource      rate.Limit // calls a second, per source address
	PerSourceBurst int
	Global         rate.Limit // calls a second, all unenrolled callers
	GlobalBurst    int
}

// DefaultEnrolLimits let a few kiosks enrol at once (one polls every 2 to 5
// s), and cap what a flood costs at 5 Trust Centre calls a second.
var DefaultEnrolLimits = EnrolLimits{PerSource: 1, PerSourceBurst: 5, Global: 5, GlobalBurst: 10}

// maxSources bounds the per-source table: past it the table starts afresh
// (the global limit still holds), so many addresses cannot fill memory.
const maxSources = 10000

type enrolLimiter struct {
	limits EnrolLimits
	global *rate.Limiter
	mu     sync.Mutex
	source map[string]*rate.Limiter
}

func newEnrolLimiter(l EnrolLimits) enrolLimiter {
	if l == (EnrolLimits{}) {
		l = DefaultEnrolLimits
	}
	return enrolLimiter{limits: l, global: rate.NewLimiter(l.Global, l.GlobalBurst), source: map[string]*rate.Limiter{}}
}

// admit takes one call from source's limit and the global one, or says how
// long to wait and which refused ("source_rate_limited",
// "global_rate_limited"). A refused call takes nothing.
func (e *enrolLimiter) admit(source string, now time.Time) (time.Duration, string) {
	e.mu.Lock()
	lim, ok := e.source[source]
	if !ok {
		if len(e.source) >= maxSources {
			e.source = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(e.limits.PerSource, e.limits.PerSourceBurst)
		e.source[source] = lim
	}
	e.mu.Unlock()
	return takeBoth(lim, e.global, now, "source_rate_limited")
}
