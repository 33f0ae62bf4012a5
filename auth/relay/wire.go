package relay

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

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
		writeJSON(w, status, auth.RelayErrorAnswer{Error: auth.RelayErrBadRequest, Message: "the request is not the JSON this call takes"})
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

func (s *Server) answer(w http.ResponseWriter, a auth.RelayPollAnswer) {
	s.cfg.Metrics.poll(string(a.State))
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.cfg.Log.Error("relay failure", "while", what, "error", err)
	w.Header().Set("Retry-After", "2")
	writeJSON(w, http.StatusServiceUnavailable, auth.RelayPollAnswer{State: auth.RelayUnavailable, RetryIn: 2, Detail: "the relay failed " + what})
}
