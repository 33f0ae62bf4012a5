package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/workshop-login/workshop-login/auth/assertion"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// RelaySettings is how a kiosk reaches its VM's relay instead of
// Digidentity: the relay holds the client secret, the kiosk only its own key.
type RelaySettings struct {
	URL      string // https://…, or http on loopback
	KioskKey Secret // wlk_…, from the OS keyring
}

// CheckRelayURL refuses a relay address that is not https, except on
// loopback: the kiosk's key and the assertions must not cross a network in
// clear text.
func CheckRelayURL(raw string) error { return checkTrustCentreURL("RelayURL", raw, true) }

// ErrNoRelay is returned by relay-only calls of an engine that signs in
// direct.
var ErrNoRelay = errors.New("this kiosk signs in directly at the Trust Centre, not through a relay")

// NewRelayed returns the QR code engine signing in through a relay: the
// same attempt loop as direct (codes polled until gone, slow_down, lost
// answers), with the relay in the Trust Centre's place. s gives the
// engine's timings; its Trust Centre settings are not used.
func NewRelayed(r RelaySettings, s Settings, opts ...Option) (*Passwordless, error) {
	if err := CheckRelayURL(r.URL); err != nil {
		return nil, err
	}
	if err := s.ValidateTimings(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	rc := &RelayClient{base: strings.TrimRight(r.URL, "/"), key: r.KioskKey, settings: s, client: o.client, now: o.clock.Now}
	p := newEngine(s, o, rc)
	p.relay = rc
	p.identity = &relayIdentity{rc: rc, settings: s, clock: o.clock, random: o.random}
	return p, nil
}

// Relay is the relay the engine signs in through, or nil when it signs in
// direct.
func (p *Passwordless) Relay() *RelayClient { return p.relay }

// RelayClient speaks the relay's API (auth/relay/api) for one kiosk.
type RelayClient struct {
	base     string
	key      Secret
	settings Settings
	client   *http.Client
	now      func() time.Time

	mu   sync.Mutex
	info *relayapi.Info // read once: what the assertions are checked against

	keyMu sync.RWMutex // key changes when the garage enrols the kiosk (SetKey)
}

// URL is the relay's address.
func (rc *RelayClient) URL() string { return rc.base }

func (rc *RelayClient) endpoints(context.Context) Endpoints {
	return Endpoints{QRAuthorize: rc.base + relayapi.PathStart, Token: rc.base + relayapi.PathPoll,
		JWKS: rc.base + relayapi.PathJWKS, Source: map[string]string{"relay": rc.base}}
}

func (rc *RelayClient) requestQR(ctx context.Context) (qrSession, error) {
	var answer relayapi.StartAnswer
	status, header, body, err := rc.call(ctx, http.MethodPost, relayapi.PathStart, nil, rc.settings.HTTPTimeout, "QR code request")
	if err != nil {
		return qrSession{}, err
	}
	if status != http.StatusCreated && status != http.StatusOK {
		return qrSession{}, relayRefusal("QR code request", status, header, body)
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Handle == "" {
		return qrSession{}, fail(verdictFailed, MsgUnexpected, "the relay's QR code answer cannot be read")
	}
	if u, err := url.Parse(answer.QRURI); err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") || len(answer.QRURI) > 2048 {
		return qrSession{}, fail(verdictFailed, MsgUnexpected, "the relay's QR code answer has no usable qr_uri")
	}
	return qrSession{code: Secret(answer.Handle), uri: answer.QRURI}, nil
}

// exchange polls a handle. An approval (or an identity still being read)
// comes back as a tokenResponse carrying the relay's answer, for
// relayIdentity.
func (rc *RelayClient) exchange(ctx context.Context, handle Secret) (tokenResponse, error) {
	answer, err := rc.poll(ctx, handle)
	if err != nil {
		return tokenResponse{}, err
	}
	switch answer.State {
	case relayapi.Pending:
		return tokenResponse{}, fail(verdictPending, MsgScanCode, "relay: pending")
	case relayapi.SlowDown:
		return tokenResponse{}, fail(verdictSlowDown, MsgScanCode, "relay: slow_down")
	case relayapi.Gone:
		return tokenResponse{}, fail(verdictGone, MsgScanCode, "relay: the code is gone (%s)", answer.Detail)
	case relayapi.Refused:
		// The relay's own refusals (another garage's person at a bound
		// kiosk) name their message; Digidentity's are plain "refused".
		key := relayFailure(answer).err.Key
		if key == MsgFailed {
			key = MsgRefused
		}
		return tokenResponse{}, fail(verdictRefused, key, "relay: refused (%s)", answer.Detail)
	case relayapi.SigningIn, relayapi.Approved:
		return tokenResponse{AccessToken: "relay", TokenType: "Bearer", relayed: &answer}, nil
	}
	return tokenResponse{}, relayFailure(answer)
}

func (rc *RelayClient) userInfo(context.Context, Secret) ([]byte, error) {
	return nil, fail(verdictFailed, MsgFailed, "user info is read by the relay, not the kiosk")
}

// poll asks the relay about a code or token handle; busy and unavailable
// come back as errors the engine waits on.
func (rc *RelayClient) poll(ctx context.Context, handle Secret) (relayapi.PollAnswer, error) {
	request, _ := json.Marshal(relayapi.PollRequest{Handle: handle.Reveal()})
	// The relay's own token call may take TokenTimeout; give it that and a
	// little more for the way to and from the relay.
	status, header, body, err := rc.call(ctx, http.MethodPost, relayapi.PathPoll, request, rc.settings.TokenTimeout+rc.settings.HTTPTimeout, "poll")
	if err != nil {
		return relayapi.PollAnswer{}, err
	}
	var answer relayapi.PollAnswer
	if jsonErr := json.Unmarshal(body, &answer); jsonErr != nil || answer.State == "" {
		if status == http.StatusOK {
			// A 200 cut off on the way may have carried an approval.
			return relayapi.PollAnswer{}, &callError{verdict: verdictTransient, lost: true,
				err: NewError(MsgOffline, jsonErr, "the relay's poll answer cannot be read (cut off on the way?)")}
		}
		return relayapi.PollAnswer{}, relayRefusal("poll", status, header, body)
	}
	switch answer.State {
	case relayapi.Busy:
		e := fail(verdictRetryAfter, MsgBusy, "relay: busy (%s)", answer.Detail)
		e.retryAfter = header.Get("Retry-After")
		return relayapi.PollAnswer{}, e
	case relayapi.Unavailable:
		e := fail(verdictTransient, MsgOffline, "relay: the Trust Centre did not answer (%s)", answer.Detail)
		e.lost = answer.Lost
		return relayapi.PollAnswer{}, e
	}
	if status != http.StatusOK {
		return relayapi.PollAnswer{}, relayRefusal("poll", status, header, body)
	}
	return answer, nil
}

// Assertion asks the relay for a fresh assertion of a signed-in session,
// for one hand-off: assertions live minutes, a session hours.
func (rc *RelayClient) Assertion(ctx context.Context, s *Session) (Secret, time.Time, error) {
	if s == nil || s.RelaySession == "" {
		return "", time.Time{}, errors.New("the session was not made by the relay: sign in again")
	}
	request, _ := json.Marshal(relayapi.AssertionRequest{Session: s.RelaySession.Reveal()})
	status, header, body, err := rc.call(ctx, http.MethodPost, relayapi.PathAssertion, request, rc.settings.HTTPTimeout, "assertion request")
	if err != nil {
		return "", time.Time{}, err
	}
	if status != http.StatusOK {
		return "", time.Time{}, relayRefusal("assertion request", status, header, body)
	}
	var answer relayapi.AssertionAnswer
	if err := json.Unmarshal(body, &answer); err != nil || answer.Assertion == "" {
		return "", time.Time{}, fail(verdictFailed, MsgUnexpected, "the relay's assertion answer cannot be read")
	}
	if _, err := rc.verify(ctx, answer.Assertion); err != nil {
		return "", time.Time{}, err
	}
	return Secret(answer.Assertion), answer.ExpiresAt, nil
}

// Reachable reports whether the relay answers at all: the about panel's
// "is the way to Digidentity open?" check. It sends nothing about anyone.
func (rc *RelayClient) Reachable(ctx context.Context) error {
	status, _, _, err := rc.callPublic(ctx, rc.base+relayapi.PathHealth, "health check")
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("the relay at %s answered HTTP %d", rc.base, status)
	}
	return nil
}

// RelayStatus is what check shows of the relay.
type RelayStatus struct {
	Reachable bool   // the relay answered its info
	Kiosk     string // the name the relay knows this kiosk's key by; empty when refused
	JWKSKeys  int    // public keys the relay publishes
	Info      relayapi.Info
}

// Check asks the relay whether it answers, accepts this kiosk's key and
// publishes its key set; err says the first that failed, in words for an
// administrator.
func (rc *RelayClient) Check(ctx context.Context) (RelayStatus, error) {
	var st RelayStatus
	info, err := rc.readInfo(ctx)
	if err != nil {
		return st, err
	}
	st.Reachable, st.Info = true, info
	status, header, body, err := rc.call(ctx, http.MethodGet, relayapi.PathKiosk, nil, rc.settings.HTTPTimeout, "kiosk check")
	if err != nil {
		return st, err
	}
	if status != http.StatusOK {
		return st, relayRefusal("kiosk check", status, header, body)
	}
	var kiosk relayapi.KioskAnswer
	_ = json.Unmarshal(body, &kiosk)
	st.Kiosk = kiosk.Kiosk
	status, _, body, err = rc.callPublic(ctx, info.JWKSURI, "key set")
	if err != nil {
		return st, err
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &set) != nil || len(set.Keys) == 0 {
		return st, fmt.Errorf("the relay's key set at %s cannot be read (HTTP %d): tools could not check who signed in", info.JWKSURI, status)
	}
	st.JWKSKeys = len(set.Keys)
	return st, nil
}

// readInfo reads the relay's info once; the assertions of this run are
// checked against it.
func (rc *RelayClient) readInfo(ctx context.Context) (relayapi.Info, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.info != nil {
		return *rc.info, nil
	}
	status, header, body, err := rc.callPublic(ctx, rc.base+relayapi.PathInfo, "relay info")
	if err != nil {
		return relayapi.Info{}, err
	}
	var info relayapi.Info
	if status != http.StatusOK || json.Unmarshal(body, &info) != nil || info.Issuer == "" || info.Audience == "" || info.JWKSURI == "" {
		return relayapi.Info{}, relayRefusal("relay info", status, header, body)
	}
	if err := checkTrustCentreURL("RelayJWKS", info.JWKSURI, true); err != nil {
		return relayapi.Info{}, fail(verdictFailed, MsgUnexpected, "the relay names a key set that is not https: %s", info.JWKSURI)
	}
	rc.info = &info
	return info, nil
}

// verify checks an assertion the relay signed, against the relay's key set,
// and returns the identity it carries.
func (rc *RelayClient) verify(ctx context.Context, raw string) (assertion.Identity, error) {
	info, err := rc.readInfo(ctx)
	if err != nil {
		return assertion.Identity{}, err
	}
	id, err := assertion.Verify(ctx, raw, assertion.Options{
		JWKSURL: info.JWKSURI, Issuer: info.Issuer, Audience: info.Audience, HTTPClient: rc.client, Now: rc.now,
	})
	if err != nil {
		if errors.Is(err, assertion.ErrKeys) {
			return assertion.Identity{}, &retryableError{NewError(MsgOffline, err, "the relay's key set cannot be read")}
		}
		if errors.Is(err, assertion.ErrUnknownKey) {
			// A key just promoted, and the key set read at a replica that
			// does not publish it yet: asking again (the verifier refetches
			// within seconds) must not lose the approval.
			return assertion.Identity{}, &retryableError{NewError(MsgOffline, err, "the relay's key set lacks the key of its assertion (a key rotation is rolling out?)")}
		}
		return assertion.Identity{}, NewError(MsgIdentityInvalid, err, "the relay's assertion does not verify")
	}
	return id, nil
}

func (rc *RelayClient) call(ctx context.Context, method, path string, body []byte, timeout time.Duration, what string) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, rc.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, fail(verdictFailed, MsgFailed, "building the %s: %v", what, err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	key := rc.currentKey()
	if key == "" {
		// Not enrolled: say so on screen, without asking the relay.
		return 0, nil, nil, fail(verdictFailed, MsgNotEnrolled, "this kiosk has no relay key: run workshop-login enrol")
	}
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return send(rc.client, req, "relay "+what)
}

func (rc *RelayClient) callPublic(ctx context.Context, address, what string) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, rc.settings.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, address, nil)
	if err != nil {
		return 0, nil, nil, fail(verdictFailed, MsgFailed, "building the %s request: %v", what, err)
	}
	req.Header.Set("Accept", "application/json")
	return send(rc.client, req, "relay "+what)
}

// relayRefusal classifies an answer that is not about a code.
func relayRefusal(what string, status int, header http.Header, body []byte) *callError {
	var refusal relayapi.ErrorAnswer
	_ = json.Unmarshal(body, &refusal)
	if status == http.StatusUnauthorized || refusal.Error == relayapi.ErrNotEnrolled {
		return fail(verdictFailed, MsgNotEnrolled, "%s: the relay does not know this kiosk's key (HTTP %d)", what, status)
	}
	if e := busyOrDown(what, "the relay", ", "+refusal.Error, status, header); e != nil {
		return e
	}
	return fail(verdictFailed, MsgUnexpected, "%s: the relay answered HTTP %d %s: %s", what, status, refusal.Error, truncate(refusal.Message, 120))
}

// relayFailure is a failed answer about a code: its catalogue key when it is
// one the kiosk knows.
func relayFailure(answer relayapi.PollAnswer) *callError {
	key := MsgFailed
	for _, k := range Messages {
		if string(k) == answer.Error {
			key = k
		}
	}
	return fail(verdictFailed, key, "relay: %s (%s)", answer.State, truncate(answer.Detail, 200))
}
