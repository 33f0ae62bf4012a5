package relay

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/workshop-login/workshop-login/auth"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// EnrolmentConfig is the relay's enrolment policy (enrolment = "garage" in
// relay.toml): a kiosk with no key asks for an enrolment QR code, a
// technician of its garage approves it, and the kiosk gets a credential
// bound to that garage. Nothing is written at the relay.
type EnrolmentConfig struct {
	Garage bool // self-service enrolment is open; false: relay add-kiosk only
	// BindToGarage refuses, at a kiosk its garage enrolled, anyone whose
	// identity names another garage.
	BindToGarage bool
	// Deny revokes enrolled kiosks; nil revokes none.
	Deny interface{ Denied(Enrolment) string }
	// Limits hold the unenrolled callers, apart from the kiosks' own.
	Limits EnrolLimits
	// TrustedProxies are the load balancers whose X-Forwarded-For names
	// the caller; behind them the per-source limit is per caller, not per
	// proxy.
	TrustedProxies []netip.Prefix
}

func (c EnrolmentConfig) policy() string {
	if c.Garage {
		return relayapi.EnrolmentGarage
	}
	return relayapi.EnrolmentAdmin
}

// enrolledKey is the context key of the calling kiosk's enrolment.
type enrolledKey struct{}

type caller struct {
	enrolment Enrolment
	renew     bool // its credential was sealed with an older key
}

// errAnswered says authenticate has answered the call itself.
var errAnswered = errors.New("answered")

func (s *Server) routeEnrolment() {
	s.enrol = newEnrolLimiter(s.cfg.Enrolment.Limits)
	s.mux.HandleFunc("POST "+relayapi.PathEnrol, s.unenrolledCall(s.enrolStart))
	s.mux.HandleFunc("POST "+relayapi.PathEnrolPoll, s.unenrolledCall(s.enrolPoll))
}

// authenticate names the kiosk a key or credential stands for; a credential's
// enrolment travels on in the request's context.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, key string) (string, *http.Request, error) {
	if !strings.HasPrefix(key, relayapi.CredentialPrefix) {
		kiosk, err := s.cfg.Kiosks.Authenticate(key)
		return kiosk, r, err
	}
	e, renew, err := s.cfg.Sealer.OpenCredential(key)
	if errors.Is(err, ErrHandleNewerKey) {
		// Sealed by a replica with a newer key (a rotation done out of
		// order): the kiosk waits, it is not un-enrolled.
		s.notYet(w, "an enrolled kiosk")
		return "", r, errAnswered
	}
	if err != nil {
		return "", r, ErrNotEnrolled
	}
	if s.cfg.Enrolment.Deny != nil {
		if why := s.cfg.Enrolment.Deny.Denied(e); why != "" {
			// kioskCall logs the refusal; this says why, when asked to.
			s.cfg.Metrics.reject("revoked_" + why)
			s.cfg.Log.Debug("the kiosk is on the deny list", "kiosk", e.Kiosk(), "revoked", why)
			return "", r, ErrNotEnrolled
		}
	}
	ctx := context.WithValue(r.Context(), enrolledKey{}, caller{enrolment: e, renew: renew})
	return e.Kiosk(), r.WithContext(ctx), nil
}

func callerOf(ctx context.Context) (caller, bool) {
	c, ok := ctx.Value(enrolledKey{}).(caller)
	return c, ok
}

// kiosk answers GET /v1/kiosk: the name the relay knows the kiosk by, where
// it is, and its credential sealed again when a rotation made its key old.
func (s *Server) kiosk(w http.ResponseWriter, r *http.Request, kiosk string) {
	answer := relayapi.KioskAnswer{Kiosk: kiosk}
	if c, ok := callerOf(r.Context()); ok {
		answer.KioskPlace = c.enrolment.Place(s.cfg.Enrolment.BindToGarage)
		if c.renew {
			renewed, err := s.cfg.Sealer.SealCredential(c.enrolment)
			if err != nil {
				s.internal(w, "sealing a credential", err)
				return
			}
			answer.Credential = renewed
			s.cfg.Log.Info("renewed a kiosk's credential under the current key", "kiosk", kiosk)
		}
	}
	writeJSON(w, http.StatusOK, answer)
}

// approveHere is a sign-in's identity step's end: at a kiosk bound to a
// garage, only that garage's people sign in. A remote specialist's identity
// names the garage whose technician granted the chain authorisation, so
// the same check accepts one working for this garage.
func (s *Server) approveHere(ctx context.Context, w http.ResponseWriter, kiosk string, h Handle, id auth.Identity) {
	if c, ok := callerOf(ctx); ok && s.cfg.Enrolment.BindToGarage && id.IOUID.Raw != c.enrolment.Garage {
		place := c.enrolment.Place(true)
		s.cfg.Metrics.refusedBy("other_garage")
		s.cfg.Log.Info("sign-in refused: another garage's person at a kiosk bound to its garage", "kiosk", kiosk, "role", id.Role)
		s.answer(w, relayapi.PollAnswer{State: relayapi.Refused, Error: string(auth.MsgOtherGarage),
			Detail: "This kiosk belongs to " + place.GarageName + ": sign in at your own garage's kiosk"})
		return
	}
	s.approve(w, kiosk, h, id)
}
