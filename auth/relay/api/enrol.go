package relayapi

import "time"

// The relay's self-service enrolment (issue 26): with the relay's policy
// enrolment = "garage", a kiosk with no key asks for an enrolment QR code
// (no Authorization header), a technician of the garage approves it in the
// Digidentity app, and the relay answers with a credential bound to that
// garage. The credential replaces the kiosk key ("wlk_…") in every call.
const (
	PathEnrol     = "/v1/enrolments"      // POST EnrolRequest: an enrolment QR code
	PathEnrolPoll = "/v1/enrolments/poll" // POST PollRequest: what became of it
)

// Relay enrolment policies (Info.Enrolment).
const (
	EnrolmentAdmin  = "admin"  // an administrator adds each kiosk (relay add-kiosk)
	EnrolmentGarage = "garage" // a garage's technician enrols its own kiosk
)

// CredentialPrefix starts a credential from self-service enrolment; a
// key from relay add-kiosk starts with "wlk_".
const CredentialPrefix = "wlc_"

// EnrolRequest names the kiosk being enrolled: 1 to 48 letters, digits,
// '.', '-' or '_'; a poll also carries the handle of its code.
type EnrolRequest struct {
	Name   string `json:"name"`
	Handle string `json:"handle,omitempty"`
}

// ErrEnrolmentClosed (404): the relay's policy is enrolment = "admin".
const ErrEnrolmentClosed = "enrolment_closed"

// EnrolStartAnswer is an enrolment QR code (201): Handle is polled at
// PathEnrolPoll.
type EnrolStartAnswer = StartAnswer

// EnrolPollAnswer is PollAnswer's states; approved carries the
// credential and what the relay now knows the kiosk as.
type EnrolPollAnswer struct {
	State   State  `json:"state"`
	Handle  string `json:"handle,omitempty"`
	RetryIn int    `json:"retry_in,omitempty"`
	Lost    bool   `json:"lost,omitempty"`
	Error   string `json:"error,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// approved:
	Credential string       `json:"credential,omitempty"`
	Kiosk      *KioskAnswer `json:"kiosk,omitempty"`
}

// KioskPlace is where an enrolled kiosk is, as the relay knows it: the
// rest screen and the QR screen show it, and Code is what a person compares
// with what the relay's records (and the assertion's kiosk claim) show.
type KioskPlace struct {
	Name       string    `json:"name,omitempty"`
	Garage     string    `json:"garage,omitempty"`      // the garage's IOUID
	GarageName string    `json:"garage_name,omitempty"` // its name segment, for the screen
	Code       string    `json:"code,omitempty"`        // "K7Q4-MZ2A"
	EnrolledAt time.Time `json:"enrolled_at,omitzero"`
	ApprovedBy string    `json:"approved_by,omitempty"` // the approving technician's authorisation UID
	// BoundToGarage: only the garage's technicians (and remote specialists
	// working for it) sign in here.
	BoundToGarage bool `json:"bound_to_garage,omitempty"`
}
