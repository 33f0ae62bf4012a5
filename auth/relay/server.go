package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/workshop-login/workshop-login/auth"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// Authenticator names the kiosk a key belongs to, or says ErrNotEnrolled:
// KioskKeys, or a KioskFile that follows its file.
type Authenticator interface {
	Authenticate(key string) (string, error)
}

// Limits protect the VM's quota at Digidentity. They hold per replica:
// behind N replicas a kiosk may make N times as many calls, which is why the
// per-kiosk limit is far above what an honest kiosk needs (at most 0.8 calls
// a second: a QR code and three live codes polled every 5 s).
type Limits struct {
	PerKiosk      rate.Limit // calls a second, per kiosk
	PerKioskBurst int
	Global        rate.Limit // calls a second, all kiosks together
	GlobalBurst   int
}

// DefaultLimits suit a replica of a relay for a few thousand kiosks.
var DefaultLimits = Limits{PerKiosk: 2, PerKioskBurst: 10, Global: 1000, GlobalBurst: 2000}

// ServerConfig is everything a relay replica needs; replicas with the same
// keys are interchangeable.
type ServerConfig struct {
	Upstream *auth.Upstream // the Trust Centre, with the VM's client credentials
	Sealer   *Sealer
	Signer   *Signer
	Kiosks   Authenticator
	Limits   Limits
	// PublicURL is where kiosks and verifiers reach the relay: the JWKS's
	// address is PublicURL + /v1/jwks.
	PublicURL string
	// SessionMaxAge bounds a session when the Trust Centre's token does not
	// say when it expires (and caps it when it does).
	SessionMaxAge time.Duration
	// HandAccessToken gives kiosks Digidentity's access token with the
	// approval; by default it stays at the relay.
	HandAccessToken bool
	// Enrolment is self-service enrolment and garage binding
	// (enrolserver.go); the zero value is the administrator's way only.
	Enrolment EnrolmentConfig
	// Shedding bounds the work taken on (zero fields: DefaultShedding);
	// BodyTimeout bounds reading a request (zero: DefaultBodyTimeout).
	Shedding    Shedding
	BodyTimeout time.Duration
	Log         *slog.Logger
	Metrics     *Metrics
	Now         func() time.Time
}

// Server is one relay replica: it keeps nothing between calls.
type Server struct {
	cfg     ServerConfig
	global  *rate.Limiter
	perMu   sync.Mutex
	perKios map[string]*rate.Limiter
	ready   atomic.Bool
	mux     *http.ServeMux
	enrol   enrolLimiter
	calls   slots // kiosk calls in flight
	tcCalls slots // Trust Centre calls in flight
	quiet   *quietLog
}

// maxRequest bounds a request body; real ones are a handle of a few hundred
// bytes.
const maxRequest = 16 << 10

// NewServer checks the configuration and returns a replica, ready.
func NewServer(cfg ServerConfig) (*Server, error) {
	switch {
	case cfg.Upstream == nil || cfg.Sealer == nil || cfg.Signer == nil || cfg.Kiosks == nil:
		return nil, errors.New("relay: a server needs the Trust Centre, a sealer, a signer and the kiosks")
	case cfg.PublicURL == "":
		return nil, errors.New("relay: a server needs its public URL")
	case cfg.SessionMaxAge <= 0:
		return nil, errors.New("relay: a server needs a session max age")
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	cfg.Shedding.defaults()
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	s := &Server{cfg: cfg, global: rate.NewLimiter(cfg.Limits.Global, cfg.Limits.GlobalBurst),
		perKios: map[string]*rate.Limiter{}, mux: http.NewServeMux(), quiet: newQuietLog(cfg.Log, cfg.Now),
		calls: make(slots, cfg.Shedding.MaxInFlight), tcCalls: make(slots, cfg.Shedding.MaxTrustCentreCalls)}
	s.ready.Store(true)
	s.mux.HandleFunc("POST "+relayapi.PathStart, s.kioskCall(s.start))
	s.mux.HandleFunc("POST "+relayapi.PathPoll, s.kioskCall(s.poll))
	s.mux.HandleFunc("POST "+relayapi.PathAssertion, s.kioskCall(s.assertion))
	s.mux.HandleFunc("GET "+relayapi.PathKiosk, s.kioskCall(s.kiosk))
	s.routeEnrolment()
	s.mux.HandleFunc("GET "+relayapi.PathInfo, s.info)
	s.mux.HandleFunc("GET "+relayapi.PathJWKS, s.jwks)
	s.mux.HandleFunc("GET "+relayapi.PathWellKnown, s.jwks)
	s.mux.HandleFunc("GET "+relayapi.PathHealth, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET "+relayapi.PathReady, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !s.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "draining")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	s.mux.Handle("GET "+relayapi.PathMetrics, cfg.Metrics.Handler())
	return s, nil
}

// Handler is the replica's HTTP API.
func (s *Server) Handler() http.Handler { return s.mux }

// SetReady says whether the replica takes new work: false while it drains
// before shutting down, so the load balancer stops sending it kiosks.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// kioskCall authenticates the kiosk's key and applies the rate limits
// before handing the call on.
func (s *Server) kioskCall(next func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.calls.take() {
			s.shed(w, "kiosk calls in flight")
			return
		}
		defer s.calls.give()
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		kiosk, r, err := s.authenticate(w, r, strings.TrimSpace(key))
		if errors.Is(err, errAnswered) {
			return
		}
		if !ok || err != nil {
			s.cfg.Metrics.reject("not_enrolled")
			s.quiet.note("refused kiosks that are not enrolled", r.URL.Path)
			writeJSON(w, http.StatusUnauthorized, relayapi.ErrorAnswer{Error: relayapi.ErrNotEnrolled,
				Message: "This kiosk is not enrolled: ask your administrator"})
			return
		}
		if wait, reason := s.admit(kiosk); wait > 0 {
			s.cfg.Metrics.reject(reason)
			s.quiet.note("rate limited", reason)
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeJSON(w, http.StatusTooManyRequests, relayapi.PollAnswer{State: relayapi.Busy, RetryIn: int(math.Ceil(wait.Seconds())),
				Detail: reason})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequest)
		next(w, r, kiosk)
	}
}

// admit takes one call of kiosk from both limits, or says how long to wait
// and which limit refused. A refused call takes nothing.
func (s *Server) admit(kiosk string) (time.Duration, string) {
	now := s.cfg.Now()
	s.perMu.Lock()
	lim, ok := s.perKios[kiosk]
	if !ok {
		lim = rate.NewLimiter(s.cfg.Limits.PerKiosk, s.cfg.Limits.PerKioskBurst)
		s.perKios[kiosk] = lim
	}
	s.perMu.Unlock()
	return takeBoth(lim, s.global, now, "kiosk_rate_limited")
}

// takeBoth takes a call's token from the caller's own limiter and from the
// global one, or from neither: the wait before a retry (a second at least)
// and which limit said no (ownReason, or global_rate_limited); 0 and ""
// when the call may go on.
func takeBoth(own, global *rate.Limiter, now time.Time, ownReason string) (time.Duration, string) {
	mine := own.ReserveN(now, 1)
	if d := mine.DelayFrom(now); d > 0 {
		mine.CancelAt(now)
		return max(d, time.Second), ownReason
	}
	all := global.ReserveN(now, 1)
	if d := all.DelayFrom(now); d > 0 {
		all.CancelAt(now)
		mine.CancelAt(now)
		return max(d, time.Second), "global_rate_limited"
	}
	return 0, ""
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(relayapi.Info{APIVersion: 1, Issuer: s.cfg.Signer.Issuer(), Audience: s.cfg.Signer.Audience(),
		JWKSURI: s.cfg.PublicURL + relayapi.PathJWKS, AssertionTTL: int(s.cfg.Signer.TTL() / time.Second),
		Enrolment: s.cfg.Enrolment.policy()})
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	// A key is published promote_after (10 min) before it signs, longer
	// than these five minutes of caching; auth/assertion also refetches
	// at once for an unknown kid.
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/jwk-set+json")
	_ = json.NewEncoder(w).Encode(s.cfg.Signer.JWKS())
}
