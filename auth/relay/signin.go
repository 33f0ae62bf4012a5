package relay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// A sign-in's calls: start, poll, the identity and the approval, and a
// fresh assertion for a hand-off.

func (s *Server) start(w http.ResponseWriter, r *http.Request, kiosk string) {
	s.issueCode(w, r, kiosk, "QR code", func() {
		s.cfg.Metrics.started.Inc()
		s.cfg.Log.Debug("QR code issued", "kiosk", kiosk)
	})
}

// issueCode asks the Trust Centre for a QR code, within the bound on
// Trust Centre calls, and answers the kiosk with the code's sealed handle
// (issued runs just before: metrics, log). what names the code in the log.
// A sign-in's code and an enrolment's are issued alike.
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, kiosk, what string, issued func()) {
	if !s.tcCalls.take() {
		s.shed(w, "Trust Centre calls in flight")
		return
	}
	defer s.tcCalls.give()
	began := s.cfg.Now()
	qr, err := s.cfg.Upstream.RequestQR(r.Context())
	s.cfg.Metrics.observe("qr", began, s.cfg.Now())
	if err != nil {
		answer := auth.Classify(err, s.cfg.Upstream.Settings().MaxRetryWait)
		s.cfg.Metrics.upstreamError("qr", string(answer.State))
		s.cfg.Log.Warn(what+" request failed", "kiosk", kiosk, "state", answer.State, "detail", answer.Err.Error())
		s.writeTrouble(w, answer)
		return
	}
	now := s.cfg.Now()
	handle, err := s.cfg.Sealer.Seal(Handle{Kind: HandleCode, Code: qr.Code, Kiosk: kiosk, QRIssuedAt: now})
	if err != nil {
		s.internal(w, "sealing a handle", err)
		return
	}
	issued()
	writeJSON(w, http.StatusCreated, relayapi.StartAnswer{Handle: handle, QRURI: qr.URI, IssuedAt: now.UTC()})
}

func (s *Server) poll(w http.ResponseWriter, r *http.Request, kiosk string) {
	var req relayapi.PollRequest
	if !readJSON(w, r, &req) {
		return
	}
	h, err := s.cfg.Sealer.Open(req.Handle, kiosk)
	if errors.Is(err, ErrHandleNewerKey) {
		s.notYet(w, kiosk)
		return
	}
	if err != nil || h.Kind == HandleSession {
		// Why only goes to the log: a handle that is too old, from another
		// kiosk or tampered with is "start again" to the kiosk alike.
		s.cfg.Metrics.reject("bad_handle")
		s.cfg.Log.Warn("a poll's handle was refused", "kiosk", kiosk, "why", handleWhy(err, h))
		s.answer(w, relayapi.PollAnswer{State: relayapi.Gone, Error: string(auth.MsgCodeExpired), Detail: "the sign-in is unknown or too old"})
		return
	}
	// Taken before the Trust Centre sees the code: a shed poll leaves the
	// code as it was, and the kiosk polls it again after Retry-After.
	if !s.tcCalls.take() {
		s.shed(w, "Trust Centre calls in flight")
		return
	}
	defer s.tcCalls.give()
	if h.Kind == HandleToken {
		s.identify(w, r.Context(), kiosk, h, s.approveHere)
		return
	}
	s.pollCode(w, r, kiosk, h, s.approveHere, "sign-in")
}

// pollCode asks the Trust Centre about h's code once and answers the kiosk;
// an issued token's identity goes to done (a sign-in's approval, or an
// enrolment's). what names the flow in the log.
func (s *Server) pollCode(w http.ResponseWriter, r *http.Request, kiosk string, h Handle,
	done func(context.Context, http.ResponseWriter, string, Handle, auth.Identity), what string) {
	began := s.cfg.Now()
	answer := s.cfg.Upstream.Poll(r.Context(), h.Code)
	s.cfg.Metrics.observe("token", began, s.cfg.Now())
	switch answer.State {
	case auth.PollPending:
		s.answer(w, relayapi.PollAnswer{State: relayapi.Pending})
	case auth.PollSlowDown:
		s.answer(w, relayapi.PollAnswer{State: relayapi.SlowDown})
	case auth.PollGone:
		s.answer(w, relayapi.PollAnswer{State: relayapi.Gone, Error: string(auth.MsgCodeExpired), Detail: answer.Err.Error()})
	case auth.PollRefused:
		s.cfg.Metrics.refused.Inc()
		s.cfg.Log.Info(what+" refused", "kiosk", kiosk)
		s.answer(w, relayapi.PollAnswer{State: relayapi.Refused, Error: string(auth.MsgRefused), Detail: answer.Err.Error()})
	case auth.PollIssued:
		s.identify(w, r.Context(), kiosk, Handle{Kind: HandleToken, Kiosk: kiosk, Token: answer.Token, ApprovedAt: s.cfg.Now()}, done)
	default:
		s.cfg.Metrics.upstreamError("token", string(answer.State))
		s.cfg.Log.Warn("token poll failed", "kiosk", kiosk, "state", answer.State, "lost", answer.Lost, "detail", answer.Err.Error())
		s.writeTrouble(w, answer)
	}
}

// identify reads the identity of an issued token once. While it cannot be
// read it answers signing_in with the token sealed in a new handle, so the
// kiosk's next poll, at any replica, tries again; the token is never asked
// for twice. done gets the identity: a sign-in's or an enrolment's.
func (s *Server) identify(w http.ResponseWriter, ctx context.Context, kiosk string, h Handle,
	done func(context.Context, http.ResponseWriter, string, Handle, auth.Identity)) {
	limit := s.cfg.Upstream.Settings().IdentityRetryLimit
	deadline := h.ApprovedAt.Add(limit)
	if h.Token.ExpiresIn > 0 {
		deadline = minTime(deadline, h.ApprovedAt.Add(h.Token.ExpiresIn))
	}
	began := s.cfg.Now()
	id, err := s.cfg.Upstream.ReadIdentity(ctx, h.Token)
	now := s.cfg.Now()
	s.cfg.Metrics.observe("identity", began, now)
	if err == nil {
		done(ctx, w, kiosk, h, id)
		return
	}
	key, detail := auth.KeyOf(err), err.Error()
	s.cfg.Metrics.upstreamError("identity", string(key))
	if auth.Retryable(err) {
		wait := min(2*time.Second<<min(h.Tries, 4), 30*time.Second)
		if now.Add(wait).Before(deadline) {
			h.Tries++
			h.IssuedAt = time.Time{}
			next, sealErr := s.cfg.Sealer.Seal(h)
			if sealErr != nil {
				s.internal(w, "sealing a handle", sealErr)
				return
			}
			s.cfg.Log.Warn("the identity could not be read yet; the kiosk will ask again", "kiosk", kiosk, "try", h.Tries, "detail", detail)
			s.answer(w, relayapi.PollAnswer{State: relayapi.SigningIn, Handle: next, RetryIn: int(wait / time.Second)})
			return
		}
		key = auth.MsgIdentityUnreadable
		detail = fmt.Sprintf("the identity could not be read within %s: %s", now.Sub(h.ApprovedAt).Round(time.Second), detail)
	}
	s.cfg.Log.Warn("sign-in failed after approval", "kiosk", kiosk, "message", key, "detail", detail)
	s.answer(w, relayapi.PollAnswer{State: relayapi.Failed, Error: string(key), Detail: detail})
}

// approve signs the identity and seals the session that gets fresh
// assertions for the hand-offs that follow.
func (s *Server) approve(w http.ResponseWriter, kiosk string, h Handle, id auth.Identity) {
	// The session is derived from the approval alone, so replaying the
	// handle yields the same one (session.go).
	ends := h.ApprovedAt.Add(s.cfg.SessionMaxAge)
	if h.Token.ExpiresIn > 0 {
		ends = minTime(ends, h.ApprovedAt.Add(h.Token.ExpiresIn))
	}
	if err := checkUIDs(id); err != nil {
		s.cfg.Log.Warn("sign-in failed after approval: the identity is not SERMI's syntax", "kiosk", kiosk, "detail", err.Error())
		s.answer(w, relayapi.PollAnswer{State: relayapi.Failed, Error: string(auth.MsgIdentityInvalid), Detail: err.Error()})
		return
	}
	signed, err := s.cfg.Signer.Sign(id, kiosk)
	if err != nil {
		s.internal(w, "signing an assertion", err)
		return
	}
	session, err := s.cfg.Sealer.Seal(Handle{Kind: HandleSession, Kiosk: kiosk, IssuedAt: h.ApprovedAt, Identity: &id, ExpiresAt: ends})
	if err != nil {
		s.internal(w, "sealing a session", err)
		return
	}
	s.cfg.Metrics.approved.Inc()
	s.cfg.Metrics.assertions.Inc()
	s.cfg.Log.Info("signed in", "kiosk", kiosk, "role", id.Role)
	ends = ends.UTC()
	answer := relayapi.PollAnswer{State: relayapi.Approved, Assertion: signed, Session: session, ExpiresAt: &ends}
	if s.cfg.HandAccessToken {
		answer.AccessToken = h.Token.AccessToken.Reveal()
	}
	s.answer(w, answer)
}

func (s *Server) assertion(w http.ResponseWriter, r *http.Request, kiosk string) {
	var req relayapi.AssertionRequest
	if !readJSON(w, r, &req) {
		return
	}
	h, err := s.cfg.Sealer.Open(req.Session, kiosk)
	if errors.Is(err, ErrHandleNewerKey) {
		s.notYet(w, kiosk)
		return
	}
	if err != nil || h.Kind != HandleSession {
		s.cfg.Metrics.reject("bad_handle")
		s.cfg.Log.Warn("an assertion's session was refused", "kiosk", kiosk, "why", handleWhy(err, h))
		writeJSON(w, http.StatusGone, relayapi.ErrorAnswer{Error: relayapi.ErrSessionEnded,
			Message: "This sign-in has ended: sign in again"})
		return
	}
	signed, err := s.cfg.Signer.Sign(*h.Identity, kiosk)
	if err != nil {
		s.internal(w, "signing an assertion", err)
		return
	}
	s.cfg.Metrics.assertions.Inc()
	writeJSON(w, http.StatusOK, relayapi.AssertionAnswer{Assertion: signed, ExpiresAt: s.cfg.Now().Add(s.cfg.Signer.TTL()).UTC()})
}
