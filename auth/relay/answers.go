package relay

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/assertion"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// writeTrouble answers a failed Trust Centre call: 429 and 503 for a wait
// (the code stays as it was), 200 failed for an answer that ends the code.
func (s *Server) writeTrouble(w http.ResponseWriter, a auth.PollAnswer) {
	detail := a.Err.Error()
	switch a.State {
	case auth.PollBusy:
		wait := max(a.RetryAfter, time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeJSON(w, http.StatusTooManyRequests, relayapi.PollAnswer{State: relayapi.Busy, RetryIn: int(math.Ceil(wait.Seconds())), Detail: detail})
	case auth.PollUnavailable:
		w.Header().Set("Retry-After", "2")
		writeJSON(w, http.StatusServiceUnavailable, relayapi.PollAnswer{State: relayapi.Unavailable, RetryIn: 2, Lost: a.Lost, Detail: detail})
	default:
		key := auth.MsgFailed
		if a.Err != nil {
			key = a.Err.Key
		}
		s.answer(w, relayapi.PollAnswer{State: relayapi.Failed, Error: string(key), Detail: detail})
	}
}

func (s *Server) answer(w http.ResponseWriter, a relayapi.PollAnswer) {
	s.cfg.Metrics.poll(string(a.State))
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.cfg.Log.Error("relay failure", "while", what, "error", err)
	w.Header().Set("Retry-After", "2")
	writeJSON(w, http.StatusServiceUnavailable, relayapi.PollAnswer{State: relayapi.Unavailable, RetryIn: 2, Detail: "the relay failed " + what})
}

// handleWhy names why a handle was refused, for the log: never the handle.
func handleWhy(err error, h Handle) string {
	if err != nil {
		return err.Error()
	}
	return "a handle of kind " + string(h.Kind) + " where another was expected"
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		status := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, status, relayapi.ErrorAnswer{Error: relayapi.ErrBadRequest, Message: "the request is not the JSON this call takes"})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// checkUIDs checks the UIDs the relay is about to sign as a verifier will
// (auth/assertion): an identity it would refuse is not signed.
func checkUIDs(id auth.Identity) error {
	for _, f := range id.Fields() {
		if !f.Claim || f.Name == "sub" {
			continue
		}
		if err := assertion.CheckUID(f.Name, f.Value); err != nil {
			return err
		}
	}
	return nil
}
