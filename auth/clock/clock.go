// Package clock lets the login engine wait without tying its tests to the wall
// clock: production code uses Real, tests use a Virtual clock whose waits
// finish at once and move time forward, so a two-minute polling scenario runs
// in microseconds and its timeline can be asserted exactly.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock is the engine's only source of time.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, and reports whether the full
	// wait elapsed.
	Sleep(ctx context.Context, d time.Duration) bool
}

// Real is the wall clock.
type Real struct{}

func (Real) Now() time.Time { return time.Now() }

func (Real) Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Virtual is a clock for tests: Sleep returns immediately after moving time
// forward by the requested duration. It is safe for concurrent use.
type Virtual struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtual returns a virtual clock set to start.
func NewVirtual(start time.Time) *Virtual { return &Virtual{now: start} }

func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

func (v *Virtual) Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	v.Advance(d)
	return ctx.Err() == nil
}

// Advance moves the clock forward by d (ignoring negative values).
func (v *Virtual) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	v.mu.Lock()
	v.now = v.now.Add(d)
	v.mu.Unlock()
}
