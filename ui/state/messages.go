package state

import (
	"context"
	"errors"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// Msg is a goroutine's result on its way to Handle: the machine's
// goroutines send them through Wiring.Post, never touching the state.
type Msg interface{ msg() }

// EngineEvent is one event of a sign-in attempt; an event of an attempt
// that was replaced is dropped.
type EngineEvent struct {
	Attempt int
	Event   auth.Event
}

// Tick comes once a second with the machine's idle time.
type Tick struct{ Idle IdleSample }

// IdleSample is the machine's idle time as the ticker measured it; OK is
// false when it is not known (nobody signed in, or the system cannot tell).
type IdleSample struct {
	Idle time.Duration
	OK   bool
}

// Restored is the keyring's answer at start: the sessions to take over
// (one a manufacturer, the first signed in first), or none.
type Restored struct {
	Sessions []*auth.Session
	Err      error
}

// Saved is the keyring's answer to keeping Session.
type Saved struct {
	Session *auth.Session
	Err     error
}

// Deleted is the keyring's answer to forgetting the session at sign-out.
type Deleted struct{ Err error }

// Reachability is whether Digidentity answered, for the about panel.
type Reachability struct{ Err error }

// ToolLaunched is how the start of the tool Name for Session went.
type ToolLaunched struct {
	Name    string
	Session *auth.Session
	Err     error
}

func (EngineEvent) msg()  {}
func (Tick) msg()         {}
func (Restored) msg()     {}
func (Saved) msg()        {}
func (Deleted) msg()      {}
func (Reachability) msg() {}
func (ToolLaunched) msg() {}

// The machine's goroutines. Each hands its result to Wiring.Post and
// touches nothing else.

// forward posts an attempt's events until the attempt ends.
func (m *Machine) forward(ctx context.Context, attempt int, events <-chan auth.Event) {
	if events == nil {
		return
	}
	go func() {
		for {
			select {
			case e, ok := <-events:
				if !ok {
					return
				}
				m.w.Post(EngineEvent{Attempt: attempt, Event: e})
			case <-ctx.Done():
				return
			}
		}
	}()
}

// ticker posts a Tick a second, with the idle time, until ctx ends.
func (m *Machine) ticker(ctx context.Context) {
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				m.w.Post(Tick{Idle: m.SampleIdle()})
			case <-ctx.Done():
				return
			}
		}
	}()
}

// ErrNoIdleTime is Options.IdleTime's error when this machine cannot tell
// its idle time at all.
var ErrNoIdleTime = errors.New("the machine's idle time cannot be read")

// SampleIdle asks the system for its idle time, off the screen's goroutine
// (a display server or D-Bus call), and only while it decides something:
// the idle sign-out, or the rest and wake of codes on demand.
// It is safe from any goroutine.
func (m *Machine) SampleIdle() IdleSample {
	if m.opts.IdleTime == nil || !m.wantIdle.Load() {
		return IdleSample{}
	}
	d, err := m.opts.IdleTime()
	if err != nil {
		if !errors.Is(err, ErrNoIdleTime) && !m.idleErrLogged.Swap(true) {
			m.w.LogError("reading the machine's idle time; counting only this window's input", err)
		}
		return IdleSample{}
	}
	return IdleSample{Idle: d, OK: true}
}

// startKeyringWorker starts the one goroutine that makes keyring calls, so
// they never hold up the screen and never overtake each other.
func (m *Machine) startKeyringWorker() {
	m.keyring = make(chan func(), 16)
	go func() {
		for op := range m.keyring {
			op()
		}
	}()
}

// onKeyring queues a keyring call on the keyring worker; it posts its result.
func (m *Machine) onKeyring(op func(Sessions) Msg) {
	if m.keyring != nil {
		m.keyring <- func() { m.w.Post(op(m.opts.Sessions)) }
	}
}

// checkTrustCentre asks, in the background, whether Digidentity answers.
func (m *Machine) checkTrustCentre() {
	if m.opts.CheckTrustCentre == nil {
		return
	}
	m.reachable = ""
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.w.Post(Reachability{Err: m.opts.CheckTrustCentre(ctx)})
	}()
}

// launch starts a tool of h in the background.
func (m *Machine) launch(h Handoff, name string, s *auth.Session) {
	go func() {
		m.w.Post(ToolLaunched{Name: name, Session: s, Err: h.LaunchTool(name, s)})
	}()
}
