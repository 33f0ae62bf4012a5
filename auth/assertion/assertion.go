// Package assertion verifies the signed identity that a workshop-login relay
// hands to a diagnostic tool or a repair portal: a short-lived JWT, signed
// with ES256 or EdDSA, saying who signed in at which kiosk, as SERMI UIDs.
//
// A tool vendor imports this package on its own: it depends on go-jose and
// the standard library only.
//
//	id, err := assertion.Verify(ctx, raw, assertion.Options{
//		JWKSURL:  "https://relay.example.com/v1/jwks",
//		Audience: "https://tool.example.com",
//		Issuer:   "https://relay.example.com",
//	})
//
// Verify refuses an assertion that is unsigned (alg "none"), signed with a
// shared-secret algorithm (HS256 and friends, so a public key cannot be
// used as an HMAC secret), signed by a key the relay does not publish, for
// another audience or issuer, expired, or issued in the future. Each
// assertion has a unique ID (jti): a tool that must accept an assertion only
// once remembers the IDs it has seen until they expire.
package assertion

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Type is the JWT "typ" header of an assertion. Verify requires it, so a
// token that the same key signed for another purpose is not taken for an
// assertion (RFC 8725 §3.11).
const Type = "sermi-identity+jwt"

// Claim names beyond the registered ones (iss, sub, aud, exp, iat, jti).
// The UID claims carry the raw UIDs, as the Trust Centre's user info does.
const (
	ClaimRole             = "role"
	ClaimCABUID           = "cabuid"
	ClaimIOUID            = "iouid"
	ClaimIOEUID           = "ioeuid"
	ClaimAuthorisationUID = "authorisation_uid"
	ClaimRSSUID           = "rssuid"
	ClaimRSSEUID          = "rsseuid"
	ClaimKiosk            = "kiosk"
)

// Roles an assertion can carry.
const (
	RoleIOE  = "IOE"  // an independent operator's employee: the garage's technician
	RoleRSSE = "RSSE" // a remote services supplier's employee on a chain authorisation
)

// Algorithms are the signature algorithms Verify accepts. Everything else,
// "none" and the HMAC family in particular, is refused before any key is
// looked at.
var Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA}

// DefaultLeeway is the clock skew allowed when Options.Leeway is zero.
const DefaultLeeway = 30 * time.Second

// Identity is a verified assertion.
type Identity struct {
	Subject string // the Trust Centre's sub: stable for the person
	Role    string // RoleIOE or RoleRSSE
	CABUID  string // the conformity assessment body: "EXA/NL/1234/1EXA2MP34LE5"
	IOUID   string // the garage: "NAME/ADDRESS/TAXID"
	IOEUID  string // the technician: "NL/EXAMPLECAB/1234567890B"
	// AuthorisationUID is the UID of the person at the keyboard: the
	// RSSE's for a chain authorisation, otherwise the technician's.
	AuthorisationUID string
	RSSUID           string // RoleRSSE only
	RSSEUID          string // RoleRSSE only

	Kiosk    string    // the kiosk the person signed in at
	ID       string    // jti: unique per assertion
	Issuer   string    // iss
	IssuedAt time.Time // iat
	Expiry   time.Time // exp; both in UTC
}

// Options say what Verify trusts. Audience and Issuer are required, and
// exactly one of JWKSURL and Keys.
type Options struct {
	// JWKSURL is the relay's key set, fetched with a timeout and cached;
	// an assertion signed by a key not in the cache refetches it at once,
	// at most once per 5 s. It must be HTTPS unless the host is loopback.
	JWKSURL string
	// Keys pins the relay's public keys instead of fetching them.
	Keys *jose.JSONWebKeySet
	// Audience is this tool's or portal's identifier, as configured at the
	// relay; Issuer is the relay's.
	Audience, Issuer string
	// Leeway is the clock skew allowed on exp and iat; zero means
	// DefaultLeeway.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HTTPClient fetches JWKSURL; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Errors Verify wraps; test with errors.Is.
var (
	ErrConfig     = errors.New("assertion: options incomplete")
	ErrMalformed  = errors.New("assertion: not a signed JWT with an accepted algorithm")
	ErrUnknownKey = errors.New("assertion: signed by a key the relay does not publish")
	ErrSignature  = errors.New("assertion: signature does not verify")
	ErrType       = errors.New("assertion: not a workshop-login identity assertion")
	ErrAudience   = errors.New("assertion: for another audience")
	ErrIssuer     = errors.New("assertion: from another issuer")
	ErrExpired    = errors.New("assertion: expired")
	ErrNotYet     = errors.New("assertion: issued in the future")
	ErrClaims     = errors.New("assertion: claims missing or invalid")
	ErrKeys       = errors.New("assertion: the relay's key set cannot be read")
	ErrTooLarge   = errors.New("assertion: larger than any assertion")
)

// Verify checks a raw assertion and returns who it says signed in.
func Verify(ctx context.Context, raw string, opts Options) (Identity, error) {
	if opts.Audience == "" || opts.Issuer == "" {
		return Identity{}, fmt.Errorf("%w: Audience and Issuer are required", ErrConfig)
	}
	if (opts.JWKSURL == "") == (opts.Keys == nil) {
		return Identity{}, fmt.Errorf("%w: set exactly one of JWKSURL and Keys", ErrConfig)
	}
	if opts.JWKSURL != "" {
		if err := checkJWKSURL(opts.JWKSURL); err != nil {
			return Identity{}, err
		}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	leeway := opts.Leeway
	if leeway == 0 {
		leeway = DefaultLeeway
	}

	if len(raw) > MaxSize {
		return Identity{}, fmt.Errorf("%w: %d bytes, over %d", ErrTooLarge, len(raw), MaxSize)
	}
	tok, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(tok.Headers) != 1 {
		return Identity{}, fmt.Errorf("%w: %d signatures", ErrMalformed, len(tok.Headers))
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != Type {
		return Identity{}, fmt.Errorf("%w: typ %q", ErrType, typ)
	}
	if h.KeyID == "" {
		return Identity{}, fmt.Errorf("%w: no key id (kid)", ErrUnknownKey)
	}

	var key jose.JSONWebKey
	if opts.Keys != nil {
		k, ok := pick(*opts.Keys, h.KeyID, h.Algorithm)
		if !ok {
			return Identity{}, fmt.Errorf("%w: kid %q", ErrUnknownKey, h.KeyID)
		}
		key = k
	} else {
		if key, err = remote(opts).key(ctx, h.KeyID, h.Algorithm, now()); err != nil {
			return Identity{}, err
		}
	}

	var std jwt.Claims
	var c claims
	if err := tok.Claims(key.Key, &std, &c); err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	switch err := std.ValidateWithLeeway(jwt.Expected{
		Issuer: opts.Issuer, AnyAudience: jwt.Audience{opts.Audience}, Time: now(),
	}, leeway); {
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return Identity{}, fmt.Errorf("%w: %q", ErrIssuer, std.Issuer)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return Identity{}, fmt.Errorf("%w: %q", ErrAudience, []string(std.Audience))
	case errors.Is(err, jwt.ErrExpired):
		return Identity{}, ErrExpired
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return Identity{}, ErrNotYet
	case err != nil:
		return Identity{}, fmt.Errorf("%w: %v", ErrClaims, err)
	}
	// go-jose treats exp and iat as optional; an assertion must have both.
	if std.Expiry == nil || std.IssuedAt == nil {
		return Identity{}, fmt.Errorf("%w: exp and iat are required", ErrClaims)
	}

	id := Identity{
		Subject: std.Subject, Role: c.Role,
		CABUID: c.CABUID, IOUID: c.IOUID, IOEUID: c.IOEUID, AuthorisationUID: c.AuthorisationUID,
		RSSUID: c.RSSUID, RSSEUID: c.RSSEUID,
		Kiosk: c.Kiosk, ID: std.ID, Issuer: std.Issuer,
		IssuedAt: std.IssuedAt.Time().UTC(), Expiry: std.Expiry.Time().UTC(),
	}
	if err := id.check(); err != nil {
		return Identity{}, err
	}
	return id, nil
}

type claims struct {
	Role             string `json:"role"`
	CABUID           string `json:"cabuid"`
	IOUID            string `json:"iouid"`
	IOEUID           string `json:"ioeuid"`
	AuthorisationUID string `json:"authorisation_uid"`
	RSSUID           string `json:"rssuid"`
	RSSEUID          string `json:"rsseuid"`
	Kiosk            string `json:"kiosk"`
}

func (id Identity) check() error {
	missing := func(name string) error { return fmt.Errorf("%w: %s is missing", ErrClaims, name) }
	for _, c := range []struct{ name, value string }{
		{"sub", id.Subject}, {ClaimRole, id.Role}, {ClaimCABUID, id.CABUID}, {ClaimIOUID, id.IOUID},
		{ClaimIOEUID, id.IOEUID}, {ClaimAuthorisationUID, id.AuthorisationUID},
		{ClaimKiosk, id.Kiosk}, {"jti", id.ID},
	} {
		if c.value == "" {
			return missing(c.name)
		}
	}
	switch id.Role {
	case RoleIOE:
		if id.RSSUID != "" || id.RSSEUID != "" {
			return fmt.Errorf("%w: role IOE with rssuid or rsseuid", ErrClaims)
		}
	case RoleRSSE:
		if id.RSSUID == "" || id.RSSEUID == "" {
			return fmt.Errorf("%w: role RSSE needs rssuid and rsseuid", ErrClaims)
		}
	default:
		return fmt.Errorf("%w: role %q", ErrClaims, id.Role)
	}
	return id.checkText()
}

// pick finds the public key kid names, of a type that fits alg. Symmetric
// keys and keys for other uses never match, so a key set that carries one
// by mistake cannot be turned into an HMAC secret.
func pick(set jose.JSONWebKeySet, kid, alg string) (jose.JSONWebKey, bool) {
	for _, k := range set.Key(kid) {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != alg {
			continue
		}
		pub := k.Public()
		if !pub.Valid() {
			continue
		}
		switch p := pub.Key.(type) {
		case *ecdsa.PublicKey:
			if alg == string(jose.ES256) && p.Curve.Params().Name == "P-256" {
				return pub, true
			}
		case ed25519.PublicKey:
			if alg == string(jose.EdDSA) {
				return pub, true
			}
		}
	}
	return jose.JSONWebKey{}, false
}
