package auth

import "time"

// The relay's API, version 1: what a kiosk and the relay say to each other
// (the README's "The relay's API" documents it for a VM's engineers). It is
// defined here, beside the engine that speaks it, so that the server in
// auth/relay and the kiosk's client cannot drift apart.
//
// Every call but info, jwks, health, readiness and metrics carries the
// kiosk's key: "Authorization: Bearer wlk_…". JSON in, JSON out.
const (
	RelayPathStart     = "/v1/sign-ins"           // POST: a new QR code
	RelayPathPoll      = "/v1/sign-ins/poll"      // POST RelayPollRequest: what became of it
	RelayPathAssertion = "/v1/assertions"         // POST RelayAssertionRequest: a fresh assertion for a hand-off
	RelayPathKiosk     = "/v1/kiosk"              // GET: whether this kiosk's key is accepted
	RelayPathInfo      = "/v1/info"               // GET: issuer, audience and key set of the assertions
	RelayPathJWKS      = "/v1/jwks"               // GET: the assertions' public keys
	RelayPathWellKnown = "/.well-known/jwks.json" // GET: the same keys where verifiers look first
	RelayPathHealth    = "/healthz"               // GET: the process answers (liveness)
	RelayPathReady     = "/readyz"                // GET: it takes sign-ins (readiness)
	RelayPathMetrics   = "/metrics"               // GET: Prometheus metrics
)

// RelayStartAnswer is a new QR code (201 Created).
type RelayStartAnswer struct {
	// Handle is opaque to the kiosk: sealed by the relay, it carries the
	// authorisation code, the kiosk and the issue time.
	Handle   string    `json:"handle"`
	QRURI    string    `json:"qr_uri"`
	IssuedAt time.Time `json:"issued_at"`
	// ExpiresAt is when the code ends, when the Trust Centre said; absent
	// while unknown (the kiosk learns it as it does direct).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// RelayPollRequest asks about one handle.
type RelayPollRequest struct {
	Handle string `json:"handle"`
}

// RelayState is what became of a sign-in.
type RelayState string

const (
	RelayPending   RelayState = "pending"    // nobody approved yet: poll again
	RelaySlowDown  RelayState = "slow_down"  // poll 5 s slower
	RelayGone      RelayState = "gone"       // the code expired or was used: start again
	RelayRefused   RelayState = "refused"    // the person or Digidentity said no
	RelaySigningIn RelayState = "signing_in" // approved; the identity is being read: poll Handle after RetryIn
	RelayApproved  RelayState = "approved"   // signed in: Assertion and Session are set
	RelayFailed    RelayState = "failed"     // something unexpected: Error names it; start again
	// Sent with HTTP 429 and 503 (Retry-After set): not an answer about the
	// code, which stays as it was.
	RelayBusy        RelayState = "busy"        // the Trust Centre or the relay asks to wait
	RelayUnavailable RelayState = "unavailable" // the Trust Centre did not answer
)

// RelayPollAnswer is the answer to a poll: 200, or 429 and 503 for busy and
// unavailable.
type RelayPollAnswer struct {
	State RelayState `json:"state"`
	// Handle replaces the polled one (signing_in).
	Handle string `json:"handle,omitempty"`
	// RetryIn is the wait in seconds (signing_in, busy, unavailable).
	RetryIn int `json:"retry_in,omitempty"`
	// Lost (unavailable): the Trust Centre's answer was lost on the way, and
	// may have carried an approval.
	Lost bool `json:"lost,omitempty"`
	// Error is the message catalogue's key (failed, refused, gone), Detail
	// what went wrong in words for the log (never a token or code).
	Error  MessageKey `json:"error,omitempty"`
	Detail string     `json:"detail,omitempty"`

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

// RelayAssertionRequest asks for a fresh assertion of a signed-in session.
type RelayAssertionRequest struct {
	Session string `json:"session"`
}

// RelayAssertionAnswer is a fresh assertion (200); a session that ended is
// 410 with RelayErrorAnswer "session_ended".
type RelayAssertionAnswer struct {
	Assertion string    `json:"assertion"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RelayKioskAnswer names the kiosk whose key was presented.
type RelayKioskAnswer struct {
	Kiosk string `json:"kiosk"`
	// For a kiosk enrolled by its garage (relayenrolapi.go): where it is,
	// and Credential, the same credential sealed with the relay's current
	// key when the presented one was sealed with an older key (keep it).
	RelayKioskPlace
	Credential string `json:"credential,omitempty"`
}

// RelayInfo says what a verifier of the relay's assertions needs.
type RelayInfo struct {
	APIVersion int    `json:"api_version"`
	Issuer     string `json:"issuer"`
	Audience   string `json:"audience"`
	JWKSURI    string `json:"jwks_uri"`
	// AssertionTTL is how long an assertion is valid, in seconds.
	AssertionTTL int `json:"assertion_ttl"`
	// Enrolment is the relay's enrolment policy: "admin" or "garage".
	Enrolment string `json:"enrolment,omitempty"`
}

// RelayErrorAnswer is every refusal that is not about a code: 400
// bad_request, 401 not_enrolled, 410 session_ended, 413, 429 rate_limited.
type RelayErrorAnswer struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Relay error codes (RelayErrorAnswer.Error).
const (
	RelayErrBadRequest   = "bad_request"
	RelayErrNotEnrolled  = "not_enrolled"
	RelayErrSessionEnded = "session_ended"
	RelayErrRateLimited  = "rate_limited"
)
