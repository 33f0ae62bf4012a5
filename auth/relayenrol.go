package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth/clock"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// Enroller enrols this kiosk at a relay whose policy is enrolment =
// "garage": it shows enrolment QR codes until a technician of the garage
// approves one, and returns the credential the relay seals for the kiosk.
// It keeps nothing itself: the caller stores the credential in one step
// (the OS keyring), so a kiosk stopped half-way is simply not enrolled.
type Enroller struct {
	base, name string
	settings   Settings
	client     *http.Client
	clock      clock.Clock
}

// EnrolCode is one enrolment QR code on screen.
type EnrolCode struct {
	URI      string
	IssuedAt time.Time
}

// Enrolled is a finished enrolment: the credential to keep, and where the
// relay now knows the kiosk to be.
type Enrolled struct {
	Credential Secret
	Kiosk      relayapi.KioskAnswer
}

// ErrEnrolmentClosed: the relay enrols kiosks through its administrator.
var ErrEnrolmentClosed = errors.New("this relay enrols kiosks through its administrator (relay add-kiosk): ask them for a kiosk key")

// NewEnroller checks the relay's address and the kiosk's name.
func NewEnroller(relayURL, name string, s Settings, opts ...Option) (*Enroller, error) {
	if err := CheckRelayURL(relayURL); err != nil {
		return nil, err
	}
	if err := s.ValidateTimings(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	return &Enroller{base: strings.TrimRight(relayURL, "/"), name: name, settings: s, client: o.client, clock: o.clock}, nil
}

// Policy reads the relay's enrolment policy: relayapi.EnrolmentAdmin or
// relayapi.EnrolmentGarage.
func (e *Enroller) Policy(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, e.settings.HTTPTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base+relayapi.PathInfo, nil)
	status, _, body, err := send(e.client, req, "relay info")
	if err != nil {
		return "", err
	}
	var info relayapi.Info
	if status != http.StatusOK || json.Unmarshal(body, &info) != nil {
		return "", fmt.Errorf("the relay at %s did not say how it enrols kiosks (HTTP %d)", e.base, status)
	}
	if info.Enrolment == "" {
		return relayapi.EnrolmentAdmin, nil
	}
	return info.Enrolment, nil
}

// Enrol shows a code through show, polls it, and starts a new one when it
// is gone, until a technician approves (the credential), the relay refuses
// (an *Error naming why), or ctx ends.
func (e *Enroller) Enrol(ctx context.Context, show func(EnrolCode)) (Enrolled, error) {
	for codes := 0; ; codes++ {
		if codes >= 20 { // 20 codes is over an hour of nobody scanning
			return Enrolled{}, NewError(MsgCodeExpired, nil, "nobody approved the enrolment")
		}
		var start relayapi.StartAnswer
		if err := e.callRetrying(ctx, relayapi.PathEnrol, relayapi.EnrolRequest{Name: e.name}, &start, http.StatusCreated); err != nil {
			return Enrolled{}, err
		}
		show(EnrolCode{URI: start.QRURI, IssuedAt: start.IssuedAt})
		done, err := e.pollCode(ctx, start.Handle)
		if err != nil || done.Credential != "" {
			return done, err
		}
	}
}

// pollCode polls one code until it is approved, refused or gone (zero
// Enrolled, nil error: start a new one).
func (e *Enroller) pollCode(ctx context.Context, handle string) (Enrolled, error) {
	interval := e.settings.PollInterval
	for {
		if !e.clock.Sleep(ctx, interval) {
			return Enrolled{}, ctx.Err()
		}
		var a relayapi.EnrolPollAnswer
		if err := e.callRetrying(ctx, relayapi.PathEnrolPoll, relayapi.EnrolRequest{Name: e.name, Handle: handle}, &a, http.StatusOK); err != nil {
			return Enrolled{}, err
		}
		switch a.State {
		case relayapi.Pending:
		case relayapi.SlowDown:
			interval += 5 * time.Second
		case relayapi.SigningIn:
			handle, interval = a.Handle, time.Duration(max(a.RetryIn, 1))*time.Second
		case relayapi.Gone:
			return Enrolled{}, nil
		case relayapi.Approved:
			if a.Credential == "" || a.Kiosk == nil || !strings.HasPrefix(a.Credential, relayapi.CredentialPrefix) {
				return Enrolled{}, NewError(MsgUnexpected, nil, "the relay's enrolment answer has no credential")
			}
			return Enrolled{Credential: Secret(a.Credential), Kiosk: *a.Kiosk}, nil
		default: // refused, failed
			key := MsgFailed
			for _, k := range Messages {
				if string(k) == a.Error {
					key = k
				}
			}
			return Enrolled{}, NewError(key, nil, "the relay refused the enrolment: %s", truncate(a.Detail, 200))
		}
	}
}

// callRetrying posts body and decodes the answer into out, waiting out
// busy (429) and unavailable (503) answers and lost connections.
func (e *Enroller) callRetrying(ctx context.Context, path string, body any, out any, want int) error {
	payload, _ := json.Marshal(body)
	for {
		cctx, cancel := context.WithTimeout(ctx, e.settings.TokenTimeout+e.settings.HTTPTimeout)
		req, _ := http.NewRequestWithContext(cctx, http.MethodPost, e.base+path, bytes.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		status, header, answer, err := send(e.client, req, "relay enrolment")
		cancel()
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			wait = 2 * time.Second
		case status == http.StatusNotFound:
			return ErrEnrolmentClosed
		case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
			secs, _ := strconv.Atoi(header.Get("Retry-After"))
			wait = time.Duration(min(max(secs, 1), 60)) * time.Second
		case status == want:
			if json.Unmarshal(answer, out) != nil {
				return NewError(MsgUnexpected, nil, "the relay's enrolment answer cannot be read")
			}
			return nil
		default:
			return relayRefusal("enrolment", status, header, answer)
		}
		if !e.clock.Sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// Whoami asks the relay what it knows this kiosk as: its name and, for a
// kiosk its garage enrolled, where it is, and the credential sealed again
// when a key rotation made the kept one old (keep it in its place).
func (rc *RelayClient) Whoami(ctx context.Context) (relayapi.KioskAnswer, error) {
	status, header, body, err := rc.call(ctx, http.MethodGet, relayapi.PathKiosk, nil, rc.settings.HTTPTimeout, "kiosk check")
	if err != nil {
		return relayapi.KioskAnswer{}, err
	}
	if status != http.StatusOK {
		return relayapi.KioskAnswer{}, relayRefusal("kiosk check", status, header, body)
	}
	var k relayapi.KioskAnswer
	if json.Unmarshal(body, &k) != nil || k.Kiosk == "" {
		return relayapi.KioskAnswer{}, NewError(MsgUnexpected, nil, "the relay's kiosk answer cannot be read")
	}
	if k.Credential != "" && !strings.HasPrefix(k.Credential, relayapi.CredentialPrefix) {
		k.Credential = ""
	}
	return k, nil
}

// SetKey replaces the kiosk's key or credential: the garage has just
// enrolled the kiosk, or the relay sealed its credential again.
func (rc *RelayClient) SetKey(key Secret) {
	rc.keyMu.Lock()
	defer rc.keyMu.Unlock()
	rc.key = key
}

func (rc *RelayClient) currentKey() Secret {
	rc.keyMu.RLock()
	defer rc.keyMu.RUnlock()
	return rc.key
}
