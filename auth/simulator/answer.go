package simulator

import (
	"net/url"
	"strings"
)

// The person's side: approving or denying a code, as the simulator's page
// does, and what a test asks of the simulator's state.

// Reset forgets sessions and tokens, restores chain authorisations and
// clears the faults.
func (s *Simulator) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

func (s *Simulator) reset() {
	s.sessions, s.byQR = map[string]*session{}, map[string]*session{}
	s.tokens, s.usedChains = map[string]grant{}, map[string]bool{}
	s.browsers = map[string]browserSession{}
	s.expiries = nil
	s.faults = Faults{}
}

// Approve answers the code at qrCodeURI as the persona with pin, by the
// page's rules: a wrong PIN leaves the code open; a revoked person or a used
// chain authorisation ends it as refused.
func (s *Simulator) Approve(qrCodeURI, personaID, pin string) error {
	return s.answer(qrIDOf(qrCodeURI), "approve", personaID, pin)
}

// Deny answers the code at qrCodeURI with "no".
func (s *Simulator) Deny(qrCodeURI string) error {
	return s.answer(qrIDOf(qrCodeURI), "deny", "", "")
}

// PendingQRCodeURIs lists the addresses of the codes still open, newest first.
func (s *Simulator) PendingQRCodeURIs() []string {
	var out []string
	for _, info := range s.sessionInfos() {
		if info.State == string(statePending) {
			out = append(out, info.QRCodeURI)
		}
	}
	return out
}

func qrIDOf(uri string) string {
	if u, err := url.Parse(uri); err == nil {
		uri = u.Path
	}
	return uri[strings.LastIndex(uri, "/")+1:]
}

func (s *Simulator) answer(qrID, decision, personaID, pin string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.prune(now)
	sess := s.sessionByQR(qrID, now)
	switch {
	case sess == nil:
		return ErrUnknownSession
	case sess.state != statePending:
		return ErrAlreadyAnswered
	}
	if decision == "deny" {
		sess.state = stateDenied
		return nil
	}
	p, ok := s.findPersona(personaID)
	if !ok {
		return ErrUnknownPersona
	}
	if pin != p.PIN {
		return ErrWrongPIN
	}
	sess.persona = p
	switch {
	case p.Revoked:
		sess.state = stateRefused
		return ErrRefused
	case p.ChainAuthorisation && s.usedChains[p.ID]:
		sess.state = stateRefused
		return ErrChainUsed
	}
	sess.state = stateApproved
	sess.authTime = s.opts.Now()
	// An approved code is an OAuth authorization code from now on, with a
	// life of its own: a kiosk polling every few seconds still collects an
	// approval given just before the QR code's end.
	if until := s.opts.Now().Add(s.opts.ApprovedLifetime); until.After(sess.expires) {
		sess.expires = until
	}
	return nil
}

func (s *Simulator) forget(sess *session) {
	delete(s.sessions, sess.code)
	delete(s.byQR, sess.qrID)
}
