// Package relayapi is the relay's API, version 1: what a kiosk and the
// relay say to each other (the README's "The relay's API" documents it for a
// VM's engineers). Both sides import it, the kiosk's client in package auth
// and the server in auth/relay, so that they cannot drift apart; it imports
// neither.
//
// Every call but info, jwks, health, readiness and metrics carries the
// kiosk's key: "Authorization: Bearer wlk_…". JSON in, JSON out.
package relayapi

import "time"

// The relay's paths.
const (
	PathStart     = "/v1/sign-ins"           // POST: a new QR code
	PathPoll      = "/v1/sign-ins/poll"      // POST PollRequest: what became of it
	PathAssertion = "/v1/assertions"         // POST AssertionRequest: a fresh assertion for a hand-off
	PathKiosk     = "/v1/kiosk"              // GET: whether this kiosk's key is accepted
	PathInfo      = "/v1/info"               // GET: issuer, audience and key set of the assertions
	PathJWKS      = "/v1/jwks"               // GET: the assertions' public keys
	PathWellKnown = "/.well-known/jwks.json" // GET: the same keys where verifiers look first
	PathHealth    = "/healthz"               // GET: the process answers (liveness)
	PathReady     = "/readyz"                // GET: it takes sign-ins (readiness)
	PathMetrics   = "/metrics"               // GET: Prometheus metrics
)

// StartAnswer is a new QR code (201 Created).
type StartAnswer struct {
	// Handle is opaque to the kiosk: sealed by the relay, it carries the
	// authorisation code, the kiosk and the issue time.
	Handle   string    `json:"handle"`
	QRURI    string    `json:"qr_uri"`
	IssuedAt time.Time `json:"issued_at"`
	// ExpiresAt is when the code ends, when the Trust Centre said; absent
	// while unknown (the kiosk learns it as it does direct).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// PollRequest asks about one handle.
type PollRequest struct {
	Handle string `json:"handle"`
}

// State is what became of a sign-in.
type State string

const (
	Pending   State = "pending"    // nobody approved yet: poll again
	SlowDown  State = "slow_down"  // poll 5 s slower
	Gone      State = "gone"       // the code expired or was used: start again
	Refused   State = "refused"    // the person or Digidentity said no
	SigningIn State = "signing_in" // approved; the identity is being read: poll Handle after RetryIn
	Approved  State = "approved"   // signed in: Assertion and Session are set
	Failed    State = "failed"     // something unexpected: Error names it; start again
	// Sent with HTTP 429 and 503 (Retry-After set): not an answer about the
	// code, which stays as it was.
	Busy        State = "busy"        // the Trust Centre or the relay asks to wait
	Unavailable State = "unavailable" // the Trust Centre did not answer
)

// PollAnswer is the answer to a poll: 200, or 429 and 503 for busy and
// unavailable.
type PollAnswer struct {
	State State `json:"state"`
	// Handle replaces the polled one (signing_in).
	Handle string `json:"handle,omitempty"`
	// RetryIn is the wait in seconds (signing_in, busy, unavailable).
	RetryIn int `json:"retry_in,omitempty"`
	// Lost (unavailable): the Trust Centre's answer was lost on the way, and
	// may have carried an approval.
	Lost bool `json:"lost,omitempty"`
	// Error is the message catalogue's key (failed, refused, gone; auth.MessageKey, kept a string so this package imports nothing of the engine), Detail
	// what went wrong in words for the log (never a token or code).
	Error  string `json:"error,omitempty"`
	Detail string `json:"detail,omitempty"`

	// approved:
	Assertion string `json:"assertion,omitempty"` // the signed identity, for tools and portals
	Session   string `json:"session,omitempty"`   // sealed: fresh assertions until ExpiresAt
	// ExpiresAt is when the session ends: the Trust Centre's token expiry,
	// or the relay's session limit.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// AccessToken is Digidentity's, only when the VM configured the relay to
	// hand it on; otherwise it stays at the relay.
	AccessToken string `json:"access_token,omitempty"`
}

// AssertionRequest asks for a fresh assertion of a signed-in session.
type AssertionRequest struct {
	Session string `json:"session"`
}

// AssertionAnswer is a fresh assertion (200); a session that ended is
// 410 with ErrorAnswer "session_ended".
type AssertionAnswer struct {
	Assertion string    `json:"assertion"`
	ExpiresAt time.Time `json:"expires_at"`
}

// KioskAnswer names the kiosk whose key was presented.
type KioskAnswer struct {
	Kiosk string `json:"kiosk"`
	// For a kiosk enrolled by its garage (enrol.go): where it is,
	// and Credential, the same credential sealed with the relay's current
	// key when the presented one was sealed with an older key (keep it).
	KioskPlace
	Credential string `json:"credential,omitempty"`
}

// Info says what a verifier of the relay's assertions needs.
type Info struct {
	APIVersion int    `json:"api_version"`
	Issuer     string `json:"issuer"`
	Audience   string `json:"audience"`
	JWKSURI    string `json:"jwks_uri"`
	// AssertionTTL is how long an assertion is valid, in seconds.
	AssertionTTL int `json:"assertion_ttl"`
	// Enrolment is the relay's enrolment policy: "admin" or "garage".
	Enrolment string `json:"enrolment,omitempty"`
}

// ErrorAnswer is every refusal that is not about a code: 400
// bad_request, 401 not_enrolled, 410 session_ended, 413, 429 rate_limited.
type ErrorAnswer struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Relay error codes (ErrorAnswer.Error).
const (
	ErrBadRequest   = "bad_request"
	ErrNotEnrolled  = "not_enrolled"
	ErrSessionEnded = "session_ended"
	ErrRateLimited  = "rate_limited"
)
