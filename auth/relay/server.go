package relay

import (
	"context"
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

	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"

	"golang.org/x/time/rate"

	"github.com/workshop-login/workshop-login/auth"
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
	own := lim.ReserveN(now, 1)
	if d := own.DelayFrom(now); d > 0 {
		own.CancelAt(now)
		return max(d, time.Second), "kiosk_rate_limited"
	}
	all := s.global.ReserveN(now, 1)
	if d := all.DelayFrom(now); d > 0 {
		all.CancelAt(now)
		own.CancelAt(now)
		return max(d, time.Second), "global_rate_limited"
	}
	return 0, ""
}

func (s *Server) start(w http.ResponseWriter, r *http.Request, kiosk string) {
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
		s.cfg.Log.Warn("QR code request failed", "kiosk", kiosk, "state", answer.State, "detail", answer.Err.Error())
		s.writeTrouble(w, answer)
		return
	}
	now := s.cfg.Now()
	handle, err := s.cfg.Sealer.Seal(Handle{Kind: HandleCode, Code: qr.Code, Kiosk: kiosk, QRIssuedAt: now})
	if err != nil {
		s.internal(w, "sealing a handle", err)
		return
	}
	s.cfg.Metrics.started.Inc()
	s.cfg.Log.Debug("QR code issued", "kiosk", kiosk)
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
		s.cfg.Log.Info("sign-in refused", "kiosk", kiosk)
		s.answer(w, relayapi.PollAnswer{State: relayapi.Refused, Error: string(auth.MsgRefused), Detail: answer.Err.Error()})
	case auth.PollIssued:
		s.identify(w, r.Context(), kiosk, Handle{Kind: HandleToken, Kiosk: kiosk, Token: answer.Token, ApprovedAt: s.cfg.Now()}, s.approveHere)
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
