package relay

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// Open decrypts a handle that kiosk presents, refusing one that was tampered
// with, sealed with an unknown key or one retired beyond its grace period,
// older than MaxAge, or started by another kiosk.
func (s *Sealer) Open(token, kiosk string) (Handle, error) {
	now := s.now()
	h, k, err := s.unseal(token, now)
	if err != nil {
		return Handle{}, err
	}
	if h.Kind == HandleCredential {
		return Handle{}, ErrHandleMalformed // only OpenCredential opens those
	}
	if !k.retiredAt.IsZero() && now.Sub(k.retiredAt) > s.grace {
		return Handle{}, ErrHandleKeyRetired
	}
	// A kiosk key's name is not secret: comparing it in constant time
	// would protect nothing.
	if h.Kiosk != kiosk {
		return Handle{}, ErrHandleWrongKiosk
	}
	age := now.Sub(h.IssuedAt)
	if h.Kind == HandleSession {
		if age < -handleSkew || !now.Before(h.ExpiresAt) || h.ExpiresAt.Sub(h.IssuedAt) > s.session {
			return Handle{}, ErrHandleExpired
		}
		return h, nil
	}
	if age > s.maxAge || age < -handleSkew {
		return Handle{}, ErrHandleExpired
	}
	return h, nil
}

// unseal decrypts and decodes a handle of any kind; the caller checks its
// age, kiosk and key.
func (s *Sealer) unseal(token string, now time.Time) (Handle, sealerKey, error) {
	version, rest, ok := strings.Cut(token, ".")
	if !ok || version != handleVersion {
		return Handle{}, sealerKey{}, ErrHandleMalformed
	}
	kid, body, ok := strings.Cut(rest, ".")
	if !ok || !sealKeyID.MatchString(kid) {
		return Handle{}, sealerKey{}, ErrHandleMalformed
	}
	k, ok := s.keys[kid]
	if !ok {
		return Handle{}, sealerKey{}, s.unknownKey(kid, now)
	}
	sealed, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(sealed) < k.aead.NonceSize()+k.aead.Overhead() {
		return Handle{}, sealerKey{}, ErrHandleMalformed
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], additionalData(kid))
	if err != nil {
		return Handle{}, sealerKey{}, ErrHandleMalformed
	}
	var w handleWire
	if err := json.Unmarshal(plain, &w); err != nil {
		return Handle{}, sealerKey{}, ErrHandleMalformed
	}
	if w.Kind == "" {
		w.Kind = HandleCode
	}
	if s.complete(w) != nil {
		return Handle{}, sealerKey{}, ErrHandleMalformed
	}
	k.id = kid
	return Handle{
		Kind: w.Kind, Code: auth.Secret(w.Code), Kiosk: w.Kiosk, IssuedAt: time.UnixMilli(w.IssuedAt),
		QRIssuedAt: fromUnixMilli(w.QRIssuedAt), QRExpiresAt: fromUnixMilli(w.QRExpiresAt),
		Interval: time.Duration(w.Interval) * time.Millisecond,
		Token: auth.IssuedToken{AccessToken: auth.Secret(w.Access), RefreshToken: auth.Secret(w.Refresh),
			IDToken: auth.Secret(w.IDToken), Scope: w.Scope, ExpiresIn: time.Duration(w.ExpiresIn) * time.Millisecond},
		ApprovedAt: fromUnixMilli(w.ApprovedAt), Tries: w.Tries, Identity: w.Identity, ExpiresAt: fromUnixMilli(w.ExpiresAt),
		Enrolment: w.Enrolment,
	}, k, nil
}
