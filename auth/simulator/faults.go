package simulator

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// Faults make the simulator misbehave on purpose. Counted faults hit the next
// N API requests (authorize, token, user info), or only those of one endpoint.
//
// Faults that name no endpoint (the slow answers and the 429 near a code's
// end) hit token requests only, whatever Only says.
type Faults struct {
	LatencyMS         int    `json:"latency_ms"`          // added before processing every API request
	ServerErrors      int    `json:"server_errors"`       // answer 503
	SlowDowns         int    `json:"slow_downs"`          // token requests answer slow_down
	MalformedJSON     int    `json:"malformed_json"`      // answer 200 with cut-off JSON
	TooManyRequests   int    `json:"too_many_requests"`   // answer 429 with Retry-After
	RetryAfterSeconds int    `json:"retry_after_seconds"` // for TooManyRequests; default 2
	Only              string `json:"only"`                // "", "authorize", "token" or "user_info"
	// IDToken spoils the ID tokens issued, for the kiosk's verification
	// tests: "wrong_nonce", "expired", "wrong_issuer" or "wrong_audience".
	IDToken string `json:"id_token"`
	// UserInfoSub, when set, makes user info name another person than the
	// ID token does.
	UserInfoSub  string `json:"user_info_sub"`
	LoseSessions bool   `json:"lose_sessions"` // action: forget every session now

	// SlowTokenAnswers is a count: each of the next N token requests,
	// whatever its outcome (other faults, errors, pending, issued), is
	// processed first (an approved code is used up, the token issued and
	// stored, a chain authorisation used), and its answer is then held for
	// SlowAnswerMS of real time before it is written. A client whose timeout
	// is shorter loses the answer, and its next poll of that code gets
	// session_not_found. A request whose client went away still counts with
	// its outcome (OnTokenRequest sees "issued"). Unlike LatencyMS, which
	// waits before processing.
	SlowTokenAnswers int `json:"slow_token_answers"`
	// Unauthorized answers 401 invalid_token, as a user-info host may for a
	// token it does not know yet.
	Unauthorized int `json:"unauthorized"`
	// SlowAnswerMS is how long SlowTokenAnswers hold an answer; 0 holds it
	// for no time.
	SlowAnswerMS int `json:"slow_answer_ms"`
	// TooManyNearEndSeconds, while above 0, answers 429 with Retry-After
	// (RetryAfterSeconds, default 2) to a token request for a known, pending
	// code whose remaining lifetime is below this many seconds, and leaves
	// the code as it was. Not counted: it holds until the faults change.
	TooManyNearEndSeconds int `json:"too_many_near_end_seconds"`
}

// SetFaults replaces the faults; LoseSessions acts at once.
func (s *Simulator) SetFaults(f Faults) {
	if f.LoseSessions {
		s.LoseSessions()
		f.LoseSessions = false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// LoseSessions forgets every session, as a Trust Centre restart would.
func (s *Simulator) LoseSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions, s.byQR = map[string]*session{}, map[string]*session{}
	// Their heap entries stay until they expire, and are skipped then.
}

// fault applies the faults to an API request and reports whether it answered.
func (s *Simulator) fault(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	return s.applyFault(w, r, endpoint, false) != ""
}

func (s *Simulator) tokenFault(w http.ResponseWriter, r *http.Request) string {
	return s.applyFault(w, r, "token", true)
}

func (s *Simulator) applyFault(w http.ResponseWriter, r *http.Request, endpoint string, token bool) string {
	s.mu.Lock()
	f := &s.faults
	latency := time.Duration(f.LatencyMS) * time.Millisecond
	outcome := ""
	if f.Only == "" || f.Only == endpoint {
		switch {
		case f.ServerErrors > 0:
			f.ServerErrors--
			outcome = "server_error"
		case f.TooManyRequests > 0:
			f.TooManyRequests--
			outcome = "too_many_requests"
		case f.MalformedJSON > 0:
			f.MalformedJSON--
			outcome = "malformed"
		case token && f.SlowDowns > 0:
			f.SlowDowns--
			outcome = "slow_down"
		case f.Unauthorized > 0:
			f.Unauthorized--
			outcome = "unauthorized"
		}
	}
	retryAfter := f.RetryAfterSeconds
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return "cancelled"
		}
	}
	switch outcome {
	case "server_error":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "<html><body><h1>503 Service Unavailable</h1></body></html>")
	case "too_many_requests":
		if retryAfter <= 0 {
			retryAfter = 2
		}
		w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
		oauthError(w, http.StatusTooManyRequests, "too_many_requests", "slow down")
	case "malformed":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"data": {"id": "`)
	case "slow_down":
		oauthError(w, http.StatusBadRequest, "slow_down", "slow_down")
	case "unauthorized":
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "the access token is not (yet) known here")
	}
	if outcome != "" {
		s.log(r, endpoint, "fault "+outcome)
	}
	return outcome
}
