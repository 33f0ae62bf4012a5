package authtest

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/workshop-login/workshop-login/auth/clock"
)

// Timeline is a virtual clock with things that happen at set times: a
// person scans, approves, a fault starts. The engine's waits move time
// forward at once, and each action runs when time passes it, on the
// goroutine that waits; so a test of hours runs in milliseconds and says
// exactly when each thing happened.
type Timeline struct {
	*clock.Virtual
	Start time.Time

	mu      sync.Mutex
	actions []timedAction
}

type timedAction struct {
	at time.Time
	do func()
}

// NewTimeline starts a timeline at a fixed date.
func NewTimeline() *Timeline {
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	return &Timeline{Virtual: clock.NewVirtual(start), Start: start}
}

// At runs do when the clock passes offset from the start.
func (t *Timeline) At(offset time.Duration, do func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.actions = append(t.actions, timedAction{at: t.Start.Add(offset), do: do})
	sort.SliceStable(t.actions, func(i, j int) bool { return t.actions[i].at.Before(t.actions[j].at) })
}

// Since is how long after the start now is.
func (t *Timeline) Since() time.Duration { return t.Now().Sub(t.Start) }

// Sleep moves time forward by d, running the actions it passes, in order.
func (t *Timeline) Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	end := t.Now().Add(d)
	for {
		t.mu.Lock()
		if len(t.actions) == 0 || t.actions[0].at.After(end) {
			t.mu.Unlock()
			break
		}
		next := t.actions[0]
		t.actions = t.actions[1:]
		t.mu.Unlock()
		t.Advance(next.at.Sub(t.Now()))
		next.do()
	}
	t.Advance(end.Sub(t.Now()))
	return ctx.Err() == nil
}
