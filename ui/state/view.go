package state

import (
	"fmt"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// Screen is which of the window's screens shows.
type Screen int

const (
	ScreenSignIn Screen = iota
	ScreenSignedIn
	ScreenSettings
	// ScreenRest: codes on demand, nobody there, no code; any input wakes.
	ScreenRest
	// ScreenEnrol: the enrolment code, where the sign-in's goes (enrol.go).
	ScreenEnrol
)

// Text is something to show: a message key and its parameters, which the
// view translates into the language on screen, or Plain text as it is. A
// parameter that is itself a Text is translated too.
type Text struct {
	Key    string
	Params map[string]any
	Plain  string
}

// Empty says there is nothing to show.
func (t Text) Empty() bool { return t.Key == "" && t.Plain == "" }

func plain(s string) Text { return Text{Plain: s} }

func key(k string, params map[string]any) Text { return Text{Key: k, Params: params} }

// View describes the screen: everything the view shows, and nothing it
// needs to decide.
type View struct {
	Screen   Screen
	SignedIn bool // someone is, also under the settings screen
	// Person is who is signed in (the garage's name, for the window's
	// title), and PersonID tells people apart; both empty when nobody is.
	Person, PersonID string
	// IdleLeft is the time to the idle sign-out ("0:29") while its warning
	// shows, else empty.
	IdleLeft string

	// The rest screen: the kiosk's name, if it has one; EnrolOnWake when
	// the next input starts the kiosk's enrolment, not a sign-in.
	Name        string
	EnrolOnWake bool
	// Place is where the relay knows the kiosk to be (garage, name, code),
	// on the rest and QR screens; CanEnrol offers enrolment in the settings.
	Place    Text
	CanEnrol bool

	// The sign-in screen.
	CodeURI     string // the QR code; empty: none
	Countdown   Text
	Status      Text
	TryAgainNow bool
	Deeplink    bool
	// The browser sign-in: Web while one is under way; ShowQR says whether
	// the code and its countdown show, BackToQR whether the way back does.
	Web, ShowQR, BackToQR bool

	// The signed-in screen.
	Role, Company, Garage, OnBehalfOf, CAB, AuthorisationUID Text
	SingleUse                                                bool
	Remaining                                                Text
	Portal                                                   bool
	HandoffStatus                                            Text
	SessionNotSaved                                          bool

	// Several manufacturers: a tile each at rest (Choices), whose code
	// shows (Manufacturer) and the way back to the tiles (ChooseOther);
	// signed in, each one signed in with its hand-offs (Signed), the
	// others to sign in to as well (Also), why there are none for a remote
	// specialist (NoSecond), and why a second sign-in was refused
	// (AddNote). Adding: signed in, another manufacturer's code shows.
	Choices      []Choice
	Manufacturer string
	ChooseOther  bool
	Adding       bool
	Signed       []SignedVM
	Also         []Choice
	NoSecond     Text
	AddNote      Text

	// The about panel.
	Reachability Text
	Codes        Text // codes on demand, or always on screen
}

// View is the screen for the state of now.
func (m *Machine) View() View {
	now := m.opts.Now()
	v := View{Web: m.web, BackToQR: m.web && !m.opts.Settings.WebOnly(), HandoffStatus: m.handoffErr, SessionNotSaved: m.sessionNotSaved}
	v.Codes = key("ui.codes_always", nil)
	v.Place, v.CanEnrol = m.placeText(), m.CanEnrol()
	if m.onDemand() != nil {
		v.Codes = key("ui.codes_on_demand", nil)
	}
	switch {
	case m.settingsOpen:
		v.Screen = ScreenSettings
	case m.enrol.open:
		m.viewEnrol(&v)
		return v
	case m.session != nil && m.adding:
		v.Screen, v.Adding = ScreenSignIn, true
	case m.session != nil:
		v.Screen = ScreenSignedIn
	case m.resting && !m.signingIn:
		v.Screen, v.Name, v.EnrolOnWake = ScreenRest, m.opts.Settings.Name, m.enrol.onWake
		if m.choice() {
			v.Choices = m.choices()
		}
		return v
	}
	if m.choice() {
		v.Manufacturer = m.vms[m.cur].Name
		v.ChooseOther = m.session == nil && !m.web
	}
	v.SignedIn = m.session != nil
	v.ShowQR = m.opts.WebSignIn == nil || !m.web && !m.opts.Settings.WebOnly()
	if m.idleLeft > 0 {
		v.IdleLeft = ClockText(m.idleLeft)
	}
	switch m.reachable {
	case "":
		v.Reachability = key("ui.checking", nil)
	case "ok":
		v.Reachability = key("ui.reachable", nil)
	default:
		v.Reachability = key("ui.unreachable", map[string]any{"Reason": m.reachable})
	}
	if m.session != nil {
		m.viewSession(&v, now)
		if m.adding {
			m.viewCode(&v, now)
		}
		return v
	}
	m.viewCode(&v, now)
	return v
}

func (m *Machine) viewCode(v *View, now time.Time) {
	v.CodeURI = m.code.URI
	switch {
	case m.signingIn: // the status line says it all
	case m.code.URI == "":
		v.Countdown = key("ui.getting_code", nil)
	case m.code.ExpiresAt.IsZero():
		// The Trust Centre's lifetime is not known yet: a countdown would
		// be a guess. The code stays until the engine says it is gone.
	default:
		v.Countdown = key("ui.valid_for", map[string]any{"Time": CountdownText(m.code.ExpiresAt.Sub(now))})
	}
	if m.message != "" {
		// "Trying again in N s" counts down too.
		seconds := 0
		if !m.retryUntil.IsZero() {
			seconds = max(int((m.retryUntil.Sub(now)+time.Second-1)/time.Second), 0)
		}
		v.Status = key(string(m.message), map[string]any{"Seconds": seconds, "Garage": m.enrol.place.GarageName})
		if m.message == auth.MsgNotEnrolled && m.CanEnrol() {
			v.Status = key("ui.not_enrolled_hint", nil) // the garage can do it here
		}
	}
	_, canRetry := m.signIn().(retrier)
	v.TryAgainNow = canRetry && !m.web && !m.retryUntil.IsZero() && now.Before(m.retryUntil)
	v.Deeplink = m.opts.Settings.DeeplinkButton && m.code.URI != ""
}

func (m *Machine) viewSession(v *View, now time.Time) {
	id := m.session.Identity
	v.Person, v.PersonID = id.IOUID.Name, id.Sub
	if id.Role == auth.RoleRSSE {
		v.Role = key("ui.role_rsse", nil)
		v.Company = plain(id.RSSUID.Name)
		v.OnBehalfOf = key("ui.on_behalf_of_value", map[string]any{"Garage": id.IOUID.Name, "UID": id.IOEUID.AuthorisationUID})
		v.SingleUse = true
	} else {
		v.Role = key("ui.role_ioe", nil)
		v.Garage = plain(id.IOUID.Name)
	}
	v.CAB = plain(fmt.Sprintf("%s (%s)", id.IOEUID.CABName, id.CABUID.Raw))
	v.AuthorisationUID = plain(id.AuthorisationUID())
	if m.session.ExpiresAt.IsZero() {
		v.Remaining = key("ui.session_no_end", nil)
	} else {
		v.Remaining = key("ui.session_ends", map[string]any{"Time": CountdownText(m.session.ExpiresAt.Sub(now))})
	}
	m.viewManufacturers(v)
}

// The countdowns of the code and of the session move to the second only
// in their last FineCountdown; before, in CoarseStep steps. Far from the
// end nobody needs the seconds, and each change of a text repaints the
// whole window, in software on a kiosk without a graphics card.
const (
	FineCountdown = 30 * time.Second
	CoarseStep    = 10 * time.Second
)

// CountdownText is the time left d as a countdown shows it: ClockText,
// and while more than FineCountdown is left, rounded down to a CoarseStep
// (1:57 shows as 1:50), never up: a code or session must not seem to
// last longer than it does.
func CountdownText(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	if d > FineCountdown {
		d = d.Truncate(CoarseStep)
	}
	return ClockText(d)
}

// ClockText shows a duration as m:ss (or h:mm:ss), never negative.
func ClockText(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
