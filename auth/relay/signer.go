package relay

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/assertion"
)

// SigningKey is a private key that signs assertions, named by its kid in the
// JWKS: an ECDSA P-256 key (ES256) or an Ed25519 key (EdDSA).
type SigningKey struct {
	ID  string
	Key crypto.Signer // *ecdsa.PrivateKey or ed25519.PrivateKey
	// PublishedAt, PromotedAt and RetiredAt are when new-keys published
	// it, promote-keys made it sign, and a later promotion replaced it;
	// zero when unknown (keys made before two-step rotation).
	PublishedAt, PromotedAt, RetiredAt time.Time
}

// GenerateSigningKey makes a fresh ES256 key.
func GenerateSigningKey(id string) (SigningKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return SigningKey{}, err
	}
	return SigningKey{ID: id, Key: k}, nil
}

// ParseSigningKeyPEM reads a PKCS #8 "PRIVATE KEY" PEM block (what
// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` or
// `-algorithm ed25519` writes) or a SEC 1 "EC PRIVATE KEY" block.
func ParseSigningKeyPEM(id string, data []byte) (SigningKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return SigningKey{}, fmt.Errorf("relay: signing key %q is not PEM", id)
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return SigningKey{}, fmt.Errorf("relay: signing key %q is a %q PEM block, want PRIVATE KEY", id, block.Type)
	}
	if err != nil {
		return SigningKey{}, fmt.Errorf("relay: signing key %q: %w", id, err)
	}
	k := SigningKey{ID: id}
	switch key := key.(type) {
	case *ecdsa.PrivateKey:
		k.Key = key
	case ed25519.PrivateKey:
		k.Key = key
	default:
		return SigningKey{}, fmt.Errorf("relay: signing key %q is a %T, want ECDSA P-256 or Ed25519", id, key)
	}
	if _, err := k.algorithm(); err != nil {
		return SigningKey{}, err
	}
	return k, nil
}

// MarshalPEM writes the key as a PKCS #8 PEM block, for ParseSigningKeyPEM.
func (k SigningKey) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func (k SigningKey) algorithm() (jose.SignatureAlgorithm, error) {
	switch key := k.Key.(type) {
	case *ecdsa.PrivateKey:
		if key.Curve == elliptic.P256() {
			return jose.ES256, nil
		}
		return "", fmt.Errorf("relay: signing key %q is on %s, want P-256", k.ID, key.Curve.Params().Name)
	case ed25519.PrivateKey:
		return jose.EdDSA, nil
	}
	return "", fmt.Errorf("relay: signing key %q is a %T, want ECDSA P-256 or Ed25519", k.ID, k.Key)
}

// SignerConfig is what a Signer signs with and for.
type SignerConfig struct {
	// Issuer is the relay's identifier (iss), Audience the tools' or
	// portals' (aud), as their Verify options name them.
	Issuer, Audience string
	// Current signs; Next are published in the JWKS before they sign, so
	// that every verifier can know them first; Previous are published in
	// the JWKS only, so that assertions signed before a rotation still
	// verify until they expire.
	Current  SigningKey
	Next     []SigningKey
	Previous []SigningKey
	// TTL is how long an assertion is valid; zero means DefaultAssertionTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultAssertionTTL is short: an assertion is handed over once, at sign-in.
const DefaultAssertionTTL = 5 * time.Minute

// Signer signs identity assertions. It is safe for concurrent use.
type Signer struct {
	cfg    SignerConfig
	signer jose.Signer
	jwks   jose.JSONWebKeySet
}

// NewSigner checks the configuration and the keys.
func NewSigner(cfg SignerConfig) (*Signer, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("relay: a signer needs an issuer and an audience")
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultAssertionTTL
	}
	if cfg.TTL < 0 {
		return nil, errors.New("relay: assertion TTL is negative")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Signer{cfg: cfg}
	seen := map[string]bool{}
	for _, k := range append(append([]SigningKey{cfg.Current}, cfg.Next...), cfg.Previous...) {
		if k.ID == "" {
			return nil, errors.New("relay: a signing key needs an id (kid)")
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("relay: signing key id %q appears twice", k.ID)
		}
		seen[k.ID] = true
		alg, err := k.algorithm()
		if err != nil {
			return nil, err
		}
		s.jwks.Keys = append(s.jwks.Keys, jose.JSONWebKey{
			Key: k.Key.Public(), KeyID: k.ID, Algorithm: string(alg), Use: "sig",
		})
	}
	alg, _ := cfg.Current.algorithm()
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: cfg.Current.Key, KeyID: cfg.Current.ID}},
		(&jose.SignerOptions{}).WithType(assertion.Type))
	if err != nil {
		return nil, err
	}
	s.signer = signer
	return s, nil
}

// Sign makes an assertion that id signed in at kiosk: sub, role and the
// SERMI UIDs as Identity.Fields flattens them, kiosk, iss, aud, iat, exp and
// a random jti.
func (s *Signer) Sign(id auth.Identity, kiosk string) (string, error) {
	if kiosk == "" {
		return "", errors.New("relay: an assertion needs a kiosk")
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	now := s.cfg.Now()
	std := jwt.Claims{
		Issuer:   s.cfg.Issuer,
		Audience: jwt.Audience{s.cfg.Audience},
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(now.Add(s.cfg.TTL)),
		ID:       base64.RawURLEncoding.EncodeToString(jti),
	}
	custom := map[string]any{assertion.ClaimKiosk: kiosk}
	for _, f := range id.Fields() {
		if f.Name == "sub" {
			std.Subject = f.Value
			continue
		}
		custom[f.Name] = f.Value
	}
	if std.Subject == "" {
		return "", errors.New("relay: an assertion needs a subject")
	}
	return jwt.Signed(s.signer).Claims(std).Claims(custom).Serialize()
}

// JWKS is the public keys to publish: the current key and, around a
// rotation, the published next ones and the previous ones.
func (s *Signer) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), s.jwks.Keys...)}
}

// TTL is how long an assertion is valid.
func (s *Signer) TTL() time.Duration { return s.cfg.TTL }

// Issuer is the assertions' iss, Audience their aud.
func (s *Signer) Issuer() string   { return s.cfg.Issuer }
func (s *Signer) Audience() string { return s.cfg.Audience }
