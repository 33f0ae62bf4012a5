package auth

import "time"

// The relay's self-service enrolment (issue 26): with the relay's policy
// enrolment = "garage", a kiosk with no key asks for an enrolment QR code
// (no Authorization header), a technician of the garage approves it in the
// Digidentity app, and the relay answers with a credential bound to that
// garage. The credential replaces the kiosk key ("wlk_…") in every call.
const (
	RelayPathEnrol     = "/v1/enrolments"      // POST RelayEnrolRequest: an enrolment QR code
	RelayPathEnrolPoll = "/v1/enrolments/poll" // POST RelayPollRequest: what became of it
)

// Relay enrolment policies (RelayInfo.Enrolment).
const (
	EnrolmentAdmin  = "admin"  // an administrator adds each kiosk (relay add-kiosk)
	EnrolmentGarage = "garage" // a garage's technician enrols its own kiosk
)

// RelayCredentialPrefix starts a credential from self-service enrolment; a
// key from relay add-kiosk starts with "wlk_".
const RelayCredentialPrefix = "wlc_"

// RelayEnrolRequest names the kiosk being enrolled: 1 to 48 letters, digits,
// '.', '-' or '_'; a poll also carries the handle of its code.
type RelayEnrolRequest struct {
	Name   string `json:"name"`
	Handle string `json:"handle,omitempty"`
}

// RelayErrEnrolmentClosed (404): the relay's policy is enrolment = "admin".
const RelayErrEnrolmentClosed = "enrolment_closed"

// RelayEnrolStartAnswer is an enrolment QR code (201): Handle is polled at
// RelayPathEnrolPoll.
type RelayEnrolStartAnswer = RelayStartAnswer

// RelayEnrolPollAnswer is RelayPollAnswer's states; approved carries the
// credential and what the relay now knows the kiosk as.
type RelayEnrolPollAnswer struct {
	State   RelayState `json:"state"`
	Handle  string     `json:"handle,omitempty"`
	RetryIn int        `json:"retry_in,omitempty"`
	Lost    bool       `json:"lost,omitempty"`
	Error   MessageKey `json:"error,omitempty"`
	Detail  string     `json:"detail,omitempty"`
	// approved:
	Credential string            `json:"credential,omitempty"`
	Kiosk      *RelayKioskAnswer `json:"kiosk,omitempty"`
}

// RelayKioskPlace is where an enrolled kiosk is, as the relay knows it: the
// rest screen and the QR screen show it, and Code is what a person compares
// with what the relay's records (and the assertion's kiosk claim) show.
type RelayKioskPlace struct {
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
