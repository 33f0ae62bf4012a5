package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// The control endpoints tests and testers use: /sim/sessions, /sim/faults, /sim/reset.

// SessionInfo describes a code for /sim/sessions; it never holds the
// authorisation code, which only the kiosk may know.
type SessionInfo struct {
	QRCodeURI string    `json:"qr_code_uri"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	State     string    `json:"state"`
}

func (s *Simulator) sessionInfos() []SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.prune(now)
	out := make([]SessionInfo, 0, len(s.byQR))
	for _, sess := range s.byQR { // a control endpoint: it may walk
		if sess.web != nil || !now.Before(sess.expires) {
			continue // not a QR code, or gone
		}
		out = append(out, SessionInfo{QRCodeURI: s.publicURL() + "/sim/login/" + sess.qrID,
			CreatedAt: sess.created, ExpiresAt: sess.expires, State: string(sess.state)})
	}
	// Newest first; equal times (a coarse clock) keep a stable order by address.
	sortSessions(out)
	return out
}

func (s *Simulator) handleSessions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"sessions": s.sessionInfos()})
}

func (s *Simulator) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, f)
}

func (s *Simulator) handleSetFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "faults: "+err.Error())
		return
	}
	s.SetFaults(f)
	s.handleGetFaults(w, r)
}

func (s *Simulator) handleReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}
