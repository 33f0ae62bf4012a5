package state

import (
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// Codes on demand: with nobody at the kiosk it rests, and asks the Trust
// Centre nothing. Input to the window or, where the system can tell, to
// any program wakes it, and the first code is asked for then; after
// CodeRestAfter without input it rests again. A code that was on screen
// is still polled by the engine until the Trust Centre says it is gone,
// so a person who scanned it and approves later is still signed in.

// idleSlack is what a sample of the idle time may lag: less than it is
// not input.
const idleSlack = 500 * time.Millisecond

// onDemand is the engine to rest and wake, or nil when codes are always on
// screen.
func (m *Machine) onDemand() auth.OnDemand {
	if !m.opts.Settings.OnDemand() || m.opts.Settings.WebOnly() {
		return nil
	}
	od, _ := m.signIn().(auth.OnDemand)
	return od
}

// Resting says whether the kiosk rests: no code, nobody there.
func (m *Machine) Resting() bool { return m.resting }

// wake asks for a code: someone is here.
func (m *Machine) wake() {
	if m.resting && m.enrol.onWake {
		m.StartEnrol()
		return
	}
	od := m.onDemand()
	if !m.resting || od == nil || m.session != nil || m.choice() {
		return // with several manufacturers, the person picks one first
	}
	m.resting, m.idleAt = false, time.Time{}
	m.lastInput = m.opts.Now()
	m.code, m.message = auth.QRCode{}, ""
	od.Wake()
	m.mark(Everything)
}

// rest takes the code off the screen and stops fetching new ones.
func (m *Machine) rest() {
	m.resting, m.idleAt = true, time.Time{}
	m.code, m.message, m.retryUntil = auth.QRCode{}, "", time.Time{}
	if od := m.onDemand(); od != nil {
		od.Rest()
	}
	m.mark(Everything)
}

// checkRest wakes the kiosk on input elsewhere on the machine, and rests
// it after CodeRestAfter without any.
func (m *Machine) checkRest(sample IdleSample) {
	if !m.restable() || m.session != nil || m.web || m.signingIn || m.settingsOpen {
		return
	}
	now := m.opts.Now()
	if m.enrol.open {
		m.restFromEnrolment(now, sample)
		return
	}
	if m.resting {
		if !sample.OK {
			return
		}
		// Input since the last sample: the idle time grew less than the
		// time that passed. (Not "less than the rest has lasted": a
		// display server's count may start with the kiosk itself.)
		if !m.idleAt.IsZero() && sample.Idle+idleSlack < m.idleThen+now.Sub(m.idleAt) {
			m.wake()
			return
		}
		m.idleThen, m.idleAt = sample.Idle, now
		return
	}
	idle := now.Sub(m.lastInput)
	if sample.OK && sample.Idle < idle {
		idle = sample.Idle
	}
	if after := m.opts.Settings.CodeRestAfter; after > 0 && idle >= after {
		m.rest()
	}
}

// restFromEnrolment ends an enrolment nobody finished after CodeRestAfter
// without input: its codes would be polled for nobody. The next input
// starts it again.
func (m *Machine) restFromEnrolment(now time.Time, sample IdleSample) {
	idle := now.Sub(m.lastInput)
	if sample.OK && sample.Idle < idle {
		idle = sample.Idle
	}
	if after := m.opts.Settings.CodeRestAfter; after <= 0 || idle < after {
		return
	}
	e := &m.enrol
	e.cancel()
	e.open, e.status, e.code, e.onWake = false, "", auth.EnrolCode{}, true
	m.resting, m.idleAt = true, time.Time{}
	m.startAttempt()
}
