package state

import (
	"context"
	"errors"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// Enrolment is the kiosk's enrolment at a relay whose garages enrol their
// own kiosks (the platform's wiring of auth.Enroller and the keyring). Its
// calls may take minutes; the machine makes them off the screen's goroutine.
type Enrolment interface {
	// Place is where the relay knows this kiosk to be (renewing its
	// credential when a key rotation made it old); an error when the kiosk
	// is not enrolled or the relay cannot say.
	Place(ctx context.Context) (relayapi.KioskPlace, error)
	// Enrol shows each enrolment code through show until a technician of
	// the garage approves one, keeps the credential, and has the sign-in
	// use it from then on.
	Enrol(ctx context.Context, show func(auth.EnrolCode)) (relayapi.KioskPlace, error)
}

// PlaceKnown is where the relay says the kiosk is.
type PlaceKnown struct {
	Place relayapi.KioskPlace
	Err   error
}

// EnrolCodeReady is an enrolment code to show; Run numbers the enrolment.
type EnrolCodeReady struct {
	Run  int
	Code auth.EnrolCode
}

// EnrolDone is how an enrolment ended.
type EnrolDone struct {
	Run   int
	Place relayapi.KioskPlace
	Err   error
}

func (PlaceKnown) msg()     {}
func (EnrolCodeReady) msg() {}
func (EnrolDone) msg()      {}

// AuditEnrolled is the audit log's record of an enrolment.
const AuditEnrolled = "enrolled"

// enrolState is the enrolment screen's, and where the kiosk is.
type enrolState struct {
	open   bool
	run    int
	code   auth.EnrolCode
	status auth.MessageKey
	cancel context.CancelFunc
	place  relayapi.KioskPlace
	pause  time.Duration // before the next code, after a failure
	closed bool          // the relay enrols through its administrator
	// onWake: codes on demand, and nobody was there to enrol the kiosk;
	// the next input starts the enrolment (rest.go).
	onWake bool
}

// CanEnrol says whether the settings offer "Enrol with a manufacturer".
func (m *Machine) CanEnrol() bool { return m.opts.Enrolment != nil && !m.enrol.closed }

// StartEnrol shows an enrolment code in place of the sign-in's: the
// person asked for it.
func (m *Machine) StartEnrol() {
	m.lastInput = m.opts.Now()
	m.startEnrol()
}

// startEnrol shows an enrolment code in place of the sign-in's.
func (m *Machine) startEnrol() {
	if !m.CanEnrol() || m.session != nil {
		return
	}
	m.endAttempt()
	m.attempt++ // the sign-in's late events are dropped
	m.settingsOpen, m.resting = false, false
	e := &m.enrol
	e.onWake = false
	if e.cancel != nil {
		e.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.open, e.code, e.cancel = true, auth.EnrolCode{}, cancel
	e.run++
	run, pause := e.run, e.pause
	e.pause = 0
	m.mark(Everything)
	go func() {
		select { // a failing relay is not asked again at once
		case <-time.After(pause):
		case <-ctx.Done():
			m.w.Post(EnrolDone{Run: run, Err: ctx.Err()})
			return
		}
		place, err := m.opts.Enrolment.Enrol(ctx, func(c auth.EnrolCode) { m.w.Post(EnrolCodeReady{Run: run, Code: c}) })
		m.w.Post(EnrolDone{Run: run, Place: place, Err: err})
	}()
}

// CancelEnrol goes back to signing in.
func (m *Machine) CancelEnrol() {
	if !m.enrol.open {
		return
	}
	m.enrol.cancel()
	m.enrol.open, m.enrol.status = false, ""
	m.startAttempt()
}

// begin starts the first sign-in, or the enrolment of a kiosk that has
// none, and asks where the kiosk is.
func (m *Machine) begin() {
	switch {
	case m.opts.EnrolAtStart && m.resting:
		// On demand, the enrolment's code too waits for someone.
		m.enrol.onWake = m.CanEnrol()
		m.startAttempt()
	case m.opts.EnrolAtStart:
		m.startEnrol()
	default:
		m.startAttempt()
	}
	m.askPlace()
}

// askPlace asks the relay, in the background, where the kiosk is.
func (m *Machine) askPlace() {
	if m.opts.Enrolment == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		place, err := m.opts.Enrolment.Place(ctx)
		m.w.Post(PlaceKnown{Place: place, Err: err})
	}()
}

// handleEnrol applies the enrolment's messages; it says whether msg was one.
func (m *Machine) handleEnrol(msg Msg) bool {
	e := &m.enrol
	switch msg := msg.(type) {
	case PlaceKnown:
		if msg.Err == nil {
			e.place = msg.Place
			m.mark(Everything)
		}
	case EnrolCodeReady:
		if msg.Run == e.run && e.open {
			e.code = msg.Code
			m.mark(Everything)
		}
	case EnrolDone:
		if msg.Run != e.run || !e.open || errors.Is(msg.Err, context.Canceled) {
			return true
		}
		if errors.Is(msg.Err, auth.ErrEnrolmentClosed) {
			// The relay enrols through its administrator after all.
			m.w.LogError("enrolling this kiosk", msg.Err)
			e.open, e.closed = false, true // no button, no hint that leads nowhere
			m.startAttempt()
			return true
		}
		if msg.Err != nil {
			// Refused (a remote specialist) or failed: say why over a
			// new code, as the sign-in does.
			m.w.LogError("enrolling this kiosk", msg.Err)
			m.audit(AuditRefused, nil, "enrolment: "+msg.Err.Error())
			status := auth.KeyOf(msg.Err)
			e.pause = 2 * time.Second
			m.startEnrol()
			e.status = status
			return true
		}
		e.open, e.status, e.place = false, "", msg.Place
		m.audit(AuditEnrolled, nil, "kiosk "+msg.Place.Name+" (code "+msg.Place.Code+") of "+msg.Place.Garage+
			", approved by "+msg.Place.ApprovedBy)
		m.resting, m.idleAt = m.restable(), time.Time{}
		m.startAttempt()
	default:
		return false
	}
	return true
}

// viewEnrol is the enrolment screen: its code where the sign-in's goes.
func (m *Machine) viewEnrol(v *View) {
	v.Screen, v.ShowQR, v.CodeURI = ScreenEnrol, true, m.enrol.code.URI
	v.Countdown = key("ui.enrol_scan", nil)
	if m.enrol.code.URI == "" {
		v.Countdown = key("ui.getting_code", nil)
	}
	if m.enrol.status != "" {
		v.Status = key(string(m.enrol.status), nil)
	}
}

// place is where the kiosk is, for the rest and QR screens.
func (m *Machine) placeText() Text {
	p := m.enrol.place
	if p.GarageName == "" {
		return Text{}
	}
	return key("ui.kiosk_place", map[string]any{"Garage": p.GarageName, "Name": p.Name, "Code": p.Code})
}
