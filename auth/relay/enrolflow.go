package relay

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// enrolHandleKiosk is the kiosk an enrolment's handles are sealed for: the
// '/' keeps it apart from any enrolled kiosk, so an enrolment's handle is
// never a sign-in's and the other way round.
func enrolHandleKiosk(name string) string { return "enrol/" + name }

// unenrolledCall is the only way in without a key: enrolment, when the
// policy allows it, under limits of its own, per source address and for
// all unenrolled callers together, checked before any Trust Centre call.
func (s *Server) unenrolledCall(next func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.Enrolment.Garage {
			writeJSON(w, http.StatusNotFound, relayapi.ErrorAnswer{Error: relayapi.ErrEnrolmentClosed,
				Message: "This relay enrols kiosks through its administrator: ask them for a kiosk key"})
			return
		}
		if wait, reason := s.enrol.admit(s.sourceOf(r), s.cfg.Now()); wait > 0 {
			s.cfg.Metrics.reject("enrolment_" + reason)
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeJSON(w, http.StatusTooManyRequests, relayapi.PollAnswer{State: relayapi.Busy, RetryIn: secs, Detail: "enrolment " + reason})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequest)
		var req relayapi.EnrolRequest
		if !readJSON(w, r, &req) {
			return
		}
		if !ValidEnrolName(req.Name) {
			writeJSON(w, http.StatusBadRequest, relayapi.ErrorAnswer{Error: relayapi.ErrBadRequest,
				Message: "a kiosk's name is 1 to 48 letters, digits, '.', '-' or '_'"})
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), enrolPollKey{}, req))
		next(w, r, enrolHandleKiosk(req.Name))
	}
}

type enrolPollKey struct{}

// sourceOf is the caller's address: the connection's, or, from a trusted
// proxy, the last address X-Forwarded-For names that is not a trusted proxy
// itself (the ones before it the caller could have written).
func (s *Server) sourceOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	trusted := func(a netip.Addr) bool {
		for _, p := range s.cfg.Enrolment.TrustedProxies {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	if a, err := netip.ParseAddr(host); err != nil || !trusted(a) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return host // not an address: count it as the proxy's
		}
		if !trusted(a) {
			return a.String()
		}
	}
	return host
}

func (s *Server) enrolStart(w http.ResponseWriter, r *http.Request, kiosk string) {
	s.issueCode(w, r, kiosk, "enrolment QR code", func() {
		s.cfg.Metrics.enrolments("started")
		s.cfg.Log.Info("enrolment QR code issued", "kiosk", kiosk)
	})
}

func (s *Server) enrolPoll(w http.ResponseWriter, r *http.Request, kiosk string) {
	req, _ := r.Context().Value(enrolPollKey{}).(relayapi.EnrolRequest)
	h, err := s.cfg.Sealer.Open(req.Handle, kiosk)
	if errors.Is(err, ErrHandleNewerKey) {
		s.notYet(w, kiosk)
		return
	}
	if err != nil || h.Kind == HandleSession {
		s.cfg.Metrics.reject("bad_handle")
		s.answer(w, relayapi.PollAnswer{State: relayapi.Gone, Error: string(auth.MsgCodeExpired), Detail: "the enrolment is unknown or too old"})
		return
	}
	if h.Kind == HandleToken {
		s.identify(w, r.Context(), kiosk, h, s.enrolled)
		return
	}
	s.pollCode(w, r, kiosk, h, s.enrolled, "enrolment")
}

// enrolled ends an approved enrolment: a garage's technician gets the
// kiosk a credential bound to the garage; a remote specialist, whose one
// login is on another's behalf, and a revoked garage get none.
func (s *Server) enrolled(_ context.Context, w http.ResponseWriter, kiosk string, h Handle, id auth.Identity) {
	name := strings.TrimPrefix(kiosk, enrolHandleKiosk(""))
	if id.Role != auth.RoleIOE {
		s.cfg.Metrics.enrolments("refused_rsse")
		s.cfg.Log.Info("enrolment refused: a remote specialist cannot enrol a kiosk", "kiosk", kiosk)
		s.answer(w, relayapi.PollAnswer{State: relayapi.Refused, Error: string(auth.MsgEnrolRSSE),
			Detail: "a remote specialist cannot enrol a kiosk: a technician of the garage must approve it"})
		return
	}
	code, err := newEnrolCode()
	if err != nil {
		s.internal(w, "making a kiosk's code", err)
		return
	}
	e := Enrolment{Name: name, Code: code, Garage: id.IOUID.Raw, ApprovedBy: id.AuthorisationUID(), At: h.ApprovedAt.UnixMilli()}
	if s.cfg.Enrolment.Deny != nil && s.cfg.Enrolment.Deny.Denied(e) == "garage" {
		s.cfg.Metrics.enrolments("refused_denied")
		s.cfg.Log.Warn("enrolment refused: the garage is on the deny list", "garage", e.Garage)
		s.answer(w, relayapi.PollAnswer{State: relayapi.Refused, Error: string(auth.MsgEnrolDenied),
			Detail: "this garage may not enrol kiosks at this relay: ask the vehicle manufacturer"})
		return
	}
	credential, err := s.cfg.Sealer.SealCredential(e)
	if err != nil {
		s.internal(w, "sealing a credential", err)
		return
	}
	s.cfg.Metrics.enrolments("enrolled")
	s.cfg.Log.Info("kiosk enrolled", "kiosk", e.Kiosk(), "garage", e.Garage, "approved_by", e.ApprovedBy,
		"at", time.UnixMilli(e.At).UTC().Format(time.RFC3339))
	place := e.Place(s.cfg.Enrolment.BindToGarage)
	s.cfg.Metrics.poll(string(relayapi.Approved))
	writeJSON(w, http.StatusOK, relayapi.EnrolPollAnswer{State: relayapi.Approved, Credential: credential,
		Kiosk: &relayapi.KioskAnswer{Kiosk: e.Kiosk(), KioskPlace: place}})
}
