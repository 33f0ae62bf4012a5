package auth

import (
	"errors"
	"fmt"
)

// MessageKey names one sentence of the user-message catalogue: what the
// screen tells the technician. The texts, in every language, live in
// assets/lang; the engine only ever hands out keys, so the same state reads the
// same everywhere and no raw Go error reaches a screen (like BankID's hint codes).
type MessageKey string

// The catalogue. Keys are stable: translations and tests refer to them.
const (
	MsgScanCode        MessageKey = "auth.scan_code"        // a code is on screen, nobody has scanned it yet
	MsgCodeExpired     MessageKey = "auth.code_expired"     // the old code expired, a new one is shown
	MsgOffline         MessageKey = "auth.offline"          // no connection; {{.Seconds}} until the next try
	MsgBusy            MessageKey = "auth.busy"             // Trust Centre asked us to wait; {{.Seconds}}
	MsgRefused         MessageKey = "auth.refused"          // the person or Digidentity said no
	MsgSignedIn        MessageKey = "auth.signed_in"        // approved, identity known
	MsgFailed          MessageKey = "auth.failed"           // something unexpected; a new code follows
	MsgUnexpected      MessageKey = "auth.unexpected"       // the Trust Centre's answer could not be understood
	MsgClientRejected  MessageKey = "auth.client_rejected"  // the kiosk's registration (client id, secret, scope) is refused
	MsgIdentityMissing MessageKey = "auth.identity_missing" // user info lacks SERMI attributes
	MsgIdentityInvalid MessageKey = "auth.identity_invalid" // ID token or user info failed verification
	// The approval arrived and the identity is being read.
	MsgSigningIn MessageKey = "auth.signing_in"
	// The approval arrived, but the identity could not be read in time.
	MsgIdentityUnreadable MessageKey = "auth.identity_unreadable"
	// A poll's answer was lost on the way and the code is now gone: the
	// approval may have been used up there.
	MsgApprovalLost MessageKey = "auth.approval_lost"

	// The web login.
	MsgWebContinue   MessageKey = "auth.web_continue"    // the browser is open: finish there
	MsgWebTimeout    MessageKey = "auth.web_timeout"     // nobody finished in the browser in time
	MsgWebReturn     MessageKey = "auth.web_return"      // the browser's page: signed in, return to the kiosk
	MsgWebFinishing  MessageKey = "auth.web_finishing"   // the browser's page: the kiosk is still finishing: return to it
	MsgWebRefusedTab MessageKey = "auth.web_refused_tab" // the browser's page: refused, return to the kiosk
	MsgWebWrongState MessageKey = "auth.web_wrong_state" // the browser's page: an answer to another sign-in
	MsgWebReplayed   MessageKey = "auth.web_replayed"    // the browser's page: this answer was used already
	MsgWebNotLocal   MessageKey = "auth.web_not_local"   // the browser's page: not from this machine
	MsgWebStaleLogin MessageKey = "auth.web_stale_login" // the browser reused an earlier Digidentity sign-in
	// The browser's page: an answer that came through another site, or
	// from a browser other than the one the kiosk opened.
	MsgWebOtherBrowser MessageKey = "auth.web_other_browser"
	// The kiosk's launcher page, for the moment it takes to open the sign-in.
	MsgWebOpening MessageKey = "auth.web_opening"

	// The web login opened in the shared browser, as no private window
	// could be opened: finish there, then sign out of Digidentity in it.
	MsgWebContinueShared MessageKey = "auth.web_continue_shared"

	// MsgNotEnrolled: the relay does not know this kiosk's key (never
	// enrolled, revoked, or mistyped).
	MsgNotEnrolled MessageKey = "auth.not_enrolled"

	// Self-service enrolment and garage binding (issue 26).
	MsgOtherGarage MessageKey = "auth.other_garage" // a bound kiosk refused another garage's person
	MsgEnrolRSSE   MessageKey = "auth.enrol_rsse"   // a remote specialist tried to enrol a kiosk
	MsgEnrolDenied MessageKey = "auth.enrol_denied" // the garage is on the relay's deny list
)

// Messages lists every key, for catalogue completeness checks.
var Messages = []MessageKey{
	MsgScanCode, MsgCodeExpired, MsgOffline, MsgBusy, MsgRefused, MsgSignedIn,
	MsgFailed, MsgUnexpected, MsgClientRejected, MsgIdentityMissing, MsgIdentityInvalid,
	MsgSigningIn, MsgIdentityUnreadable, MsgApprovalLost,
	MsgWebContinue, MsgWebContinueShared, MsgWebTimeout, MsgWebReturn, MsgWebFinishing, MsgWebRefusedTab, MsgWebWrongState, MsgWebReplayed, MsgWebNotLocal, MsgWebStaleLogin, MsgWebOtherBrowser, MsgWebOpening,
	MsgNotEnrolled, MsgOtherGarage, MsgEnrolRSSE, MsgEnrolDenied,
}

// Error is what the engine reports when something goes wrong: a catalogue key
// for the screen and a technical detail for the log. Detail never holds a
// token, a client secret or an authorisation code.
type Error struct {
	Key    MessageKey
	Detail string
	Err    error // the underlying cause, if any; also free of secrets
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Detail + ": " + e.Err.Error()
	}
	return e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// NewError is an error the person is told of by key; detail and cause say
// more in the log.
func NewError(key MessageKey, cause error, format string, args ...any) *Error {
	return &Error{Key: key, Detail: fmt.Sprintf(format, args...), Err: cause}
}

// KeyOf returns the catalogue key for any error: the engine's own key, or
// MsgFailed for an error that did not come from the engine.
func KeyOf(err error) MessageKey {
	var e *Error
	if errors.As(err, &e) {
		return e.Key
	}
	return MsgFailed
}
