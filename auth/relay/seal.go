// Package relay holds the parts of the relay server that need no server: the
// sealed handles that make it stateless, the kiosks' keys, and the signer of
// the identity assertions that tools and portals verify.
//
// Nothing here logs, and nothing prints an authorisation code or a key:
// Handle.Code is an auth.Secret, and errors never quote a handle.
package relay

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// HandleKind says what a handle stands for; a handle of one kind is never
// accepted where another is expected.
type HandleKind string

const (
	// HandleCode: a QR code on screen, polled until approved or gone.
	HandleCode HandleKind = "c"
	// HandleToken: an approved code whose identity is still being read;
	// the token cannot be asked for twice, so it travels sealed.
	HandleToken HandleKind = "t"
	// HandleSession: a signed-in person, for fresh assertions at each
	// hand-off until ExpiresAt.
	HandleSession HandleKind = "s"
	// HandleCredential: a kiosk enrolled by its garage (enrolment.go);
	// long-lived, it opens under any key the sealer still holds.
	HandleCredential HandleKind = "k"
)

// Handle is what a kiosk holds between two calls, sealed so that any replica
// can answer any call without shared state.
type Handle struct {
	Kind HandleKind // empty means HandleCode
	// Code is Digidentity's authorisation code for the QR code on screen
	// (HandleCode).
	Code auth.Secret
	// Kiosk is the kiosk that started the sign-in; only it may poll.
	Kiosk string
	// IssuedAt is when the handle was sealed; Open refuses it after the
	// Sealer's MaxAge. Seal sets it when zero.
	IssuedAt time.Time
	// QRIssuedAt is when Digidentity issued the QR code, and QRExpiresAt
	// when it said the code ends (zero when it did not say).
	QRIssuedAt, QRExpiresAt time.Time
	// Interval is the poll interval in force, raised when Digidentity asks
	// to slow down; zero for the configured one.
	Interval time.Duration

	// Token is the issued token (HandleToken); ApprovedAt when it was
	// issued, and Tries how often its identity was tried, for the wait.
	Token      auth.IssuedToken
	ApprovedAt time.Time
	Tries      int

	// Identity is who signed in (HandleSession), and ExpiresAt when the
	// session ends: Open refuses the handle after it.
	Identity  *auth.Identity
	ExpiresAt time.Time

	// Enrolment is the kiosk a credential stands for (HandleCredential),
	// and for a token handle of an enrolment the name it asked for.
	Enrolment *Enrolment
}

// handleWire is the sealed form. Codes and tokens are plain strings here:
// sealing is the one place they must be written out, and auth.Secret would
// write the placeholder.
type handleWire struct {
	Kind        HandleKind     `json:"t,omitempty"`
	Code        string         `json:"c,omitempty"`
	Kiosk       string         `json:"k"`
	IssuedAt    int64          `json:"i"`            // Unix milliseconds
	QRIssuedAt  int64          `json:"qi,omitempty"` // Unix milliseconds
	QRExpiresAt int64          `json:"qe,omitempty"` // Unix milliseconds
	Interval    int64          `json:"iv,omitempty"` // milliseconds
	Access      string         `json:"at,omitempty"`
	Refresh     string         `json:"rt,omitempty"`
	IDToken     string         `json:"it,omitempty"`
	Scope       string         `json:"sc,omitempty"`
	ExpiresIn   int64          `json:"ei,omitempty"` // milliseconds
	ApprovedAt  int64          `json:"ap,omitempty"` // Unix milliseconds
	Tries       int            `json:"n,omitempty"`
	Identity    *auth.Identity `json:"id,omitempty"`
	ExpiresAt   int64          `json:"x,omitempty"` // Unix milliseconds
	Enrolment   *Enrolment     `json:"en,omitempty"`
}

// SealKey is one AES-256 key for sealing handles, named by a key id.
type SealKey struct {
	ID  string
	Key []byte // 32 bytes
	// RetiredAt is when the key stopped sealing: zero for the current key.
	// A retired key still opens handles for the Sealer's Grace after it.
	RetiredAt time.Time
	// PublishedAt is when new-keys published it (zero for keys made
	// before two-step rotation), PromotedAt when promote-keys made it seal.
	PublishedAt, PromotedAt time.Time
}

// sealKeyID is what a key id may hold: it goes in the handle's prefix, so no
// dots.
var sealKeyID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// NewSealKey makes a random key with the given id.
func NewSealKey(id string) (SealKey, error) {
	k := SealKey{ID: id, Key: make([]byte, 32)}
	if _, err := rand.Read(k.Key); err != nil {
		return SealKey{}, err
	}
	return k, nil
}

// DecodeSealKey reads a key from its base64url form (padded or not), as a
// configuration file or a Kubernetes Secret holds it.
func DecodeSealKey(id, encoded string, retiredAt time.Time) (SealKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(encoded), "="))
	if err != nil {
		return SealKey{}, fmt.Errorf("seal key %q is not base64url", id)
	}
	return SealKey{ID: id, Key: b, RetiredAt: retiredAt}, nil
}

// Encode is the key's base64url form, for DecodeSealKey.
func (k SealKey) Encode() string { return base64.RawURLEncoding.EncodeToString(k.Key) }

// SealerConfig is a Sealer's keys and limits.
type SealerConfig struct {
	Current SealKey
	// Next are published keys: they open handles but seal none, so that
	// every replica opens them before any seals with them.
	Next     []SealKey
	Previous []SealKey
	// Grace is how long after its RetiredAt a previous key still opens
	// handles: at least MaxAge, so no handle sealed before a rotation is
	// lost.
	Grace time.Duration
	// MaxAge is how old a code or token handle may be: the longest a
	// sign-in may wait.
	MaxAge time.Duration
	// SessionMaxAge is the longest a session handle may live; zero means
	// session handles are not sealed.
	SessionMaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Sealer seals and opens handles. It is safe for concurrent use.
type Sealer struct {
	current string
	keys    map[string]sealerKey
	grace   time.Duration
	maxAge  time.Duration
	session time.Duration
	now     func() time.Time
}

type sealerKey struct {
	id        string // set by unseal
	aead      cipher.AEAD
	nonceKey  []byte // for sessionNonce, derived from the key
	retiredAt time.Time
}

// Errors Open returns; test with errors.Is. A server answers all of them
// alike ("this sign-in is gone: start again"), and says why only in its log.
var (
	ErrHandleMalformed  = errors.New("relay: handle is malformed or has been tampered with")
	ErrHandleUnknownKey = errors.New("relay: handle sealed with an unknown key")
	ErrHandleKeyRetired = errors.New("relay: handle sealed with a key retired beyond its grace period")
	ErrHandleExpired    = errors.New("relay: handle is too old")
	ErrHandleWrongKiosk = errors.New("relay: handle belongs to another kiosk")
)

const (
	handleVersion = "h1"
	// handleSkew is how far in the future a handle's issue time may be,
	// for replicas whose clocks differ.
	handleSkew = time.Minute
)

// NewSealer checks the keys and the limits.
func NewSealer(cfg SealerConfig) (*Sealer, error) {
	if cfg.MaxAge <= 0 {
		return nil, errors.New("relay: sealer needs a MaxAge")
	}
	if longest := max(cfg.MaxAge, cfg.SessionMaxAge); len(cfg.Previous) > 0 && cfg.Grace < longest {
		return nil, fmt.Errorf("relay: grace period %v is shorter than the handles' max age %v: rotating would lose sign-ins", cfg.Grace, longest)
	}
	s := &Sealer{current: cfg.Current.ID, keys: map[string]sealerKey{}, grace: cfg.Grace, maxAge: cfg.MaxAge,
		session: cfg.SessionMaxAge, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if !cfg.Current.RetiredAt.IsZero() {
		return nil, fmt.Errorf("relay: the current seal key %q has a retirement time", cfg.Current.ID)
	}
	for _, k := range cfg.Next {
		if !k.RetiredAt.IsZero() {
			return nil, fmt.Errorf("relay: published seal key %q has a retirement time", k.ID)
		}
	}
	all := append(append([]SealKey{cfg.Current}, cfg.Next...), cfg.Previous...)
	for i, k := range all {
		if !sealKeyID.MatchString(k.ID) {
			return nil, fmt.Errorf("relay: seal key id %q: want 1 to 32 letters, digits, - or _", k.ID)
		}
		if _, dup := s.keys[k.ID]; dup {
			return nil, fmt.Errorf("relay: seal key id %q appears twice", k.ID)
		}
		if len(k.Key) != 32 {
			return nil, fmt.Errorf("relay: seal key %q is %d bytes, want 32", k.ID, len(k.Key))
		}
		if i > len(cfg.Next) && k.RetiredAt.IsZero() {
			return nil, fmt.Errorf("relay: previous seal key %q has no retirement time", k.ID)
		}
		block, err := aes.NewCipher(k.Key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block) // 96-bit random nonces, below
		if err != nil {
			return nil, err
		}
		s.keys[k.ID] = sealerKey{aead: aead, nonceKey: deriveNonceKey(k.Key), retiredAt: k.RetiredAt}
	}
	return s, nil
}

// additionalData binds the ciphertext to its format and key id, so a handle
// cannot be relabelled with another key's id.
func additionalData(kid string) []byte {
	return []byte("workshop-login relay handle " + handleVersion + "\x00" + kid)
}

// Seal encrypts h with the current key: "h1.<key id>.<base64url(nonce ‖
// ciphertext)>". AES-256-GCM with a random 96-bit nonce; at a nonce
// collision bound of 2^32 messages per key, rotate the key well before
// billions of sign-ins.
func (s *Sealer) Seal(h Handle) (string, error) {
	if h.Kind == "" {
		h.Kind = HandleCode
	}
	if h.IssuedAt.IsZero() {
		h.IssuedAt = s.now()
	}
	w := handleWire{
		Kind: h.Kind, Code: h.Code.Reveal(), Kiosk: h.Kiosk, IssuedAt: h.IssuedAt.UnixMilli(),
		QRIssuedAt: unixMilli(h.QRIssuedAt), QRExpiresAt: unixMilli(h.QRExpiresAt),
		Interval: h.Interval.Milliseconds(),
		Access:   h.Token.AccessToken.Reveal(), Refresh: h.Token.RefreshToken.Reveal(), IDToken: h.Token.IDToken.Reveal(),
		Scope: h.Token.Scope, ExpiresIn: h.Token.ExpiresIn.Milliseconds(), ApprovedAt: unixMilli(h.ApprovedAt),
		Tries: h.Tries, Identity: h.Identity, ExpiresAt: unixMilli(h.ExpiresAt), Enrolment: h.Enrolment,
	}
	if err := s.complete(w); err != nil {
		return "", err
	}
	plain, err := json.Marshal(w)
	if err != nil {
		return "", err
	}
	k := s.keys[s.current]
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	if h.Kind == HandleSession {
		// One approval, one session: the same session sealed again is the
		// same handle (see sessionNonce).
		copy(nonce, k.sessionNonce(plain))
	} else if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := k.aead.Seal(nonce, nonce, plain, additionalData(s.current))
	return handleVersion + "." + s.current + "." + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// complete checks that a handle has what its kind needs.
func (s *Sealer) complete(w handleWire) error {
	if w.Kiosk == "" || w.IssuedAt == 0 {
		return errors.New("relay: a handle needs a kiosk")
	}
	switch w.Kind {
	case HandleCode:
		if w.Code == "" {
			return errors.New("relay: a code handle needs a code")
		}
	case HandleToken:
		if w.Access == "" || w.ApprovedAt == 0 {
			return errors.New("relay: a token handle needs a token and its approval time")
		}
	case HandleCredential:
		if w.Enrolment == nil || w.Enrolment.check() != nil {
			return errors.New("relay: a credential needs a valid enrolment")
		}
	case HandleSession:
		if w.Identity == nil || w.ExpiresAt == 0 || s.session <= 0 {
			return errors.New("relay: a session handle needs an identity, an end, and a sealer that allows sessions")
		}
	default:
		return fmt.Errorf("relay: unknown handle kind %q", w.Kind)
	}
	return nil
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromUnixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
