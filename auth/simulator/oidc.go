package simulator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// signingKey signs ID tokens with a key made at start (RSA 2048 for RS256,
// ECDSA P-256 for ES256); the simulator's keys live only as long as the
// process, like its sessions.
type signingKey struct {
	id     string
	alg    jose.SignatureAlgorithm
	public jose.JSONWebKey
	signer jose.Signer
}

func newSigningKey(alg string) (signingKey, error) {
	var (
		key    crypto.Signer
		err    error
		public crypto.PublicKey
	)
	switch jose.SignatureAlgorithm(alg) {
	case jose.RS256:
		var k *rsa.PrivateKey
		k, err = rsa.GenerateKey(rand.Reader, 2048)
		key, public = k, &k.PublicKey
	case jose.ES256:
		var k *ecdsa.PrivateKey
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		key, public = k, &k.PublicKey
	default:
		return signingKey{}, fmt.Errorf("simulator: no signing algorithm %q", alg)
	}
	if err != nil {
		return signingKey{}, err
	}
	id := randomID()[:16]
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: key, KeyID: id}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return signingKey{}, err
	}
	return signingKey{
		id:     id,
		alg:    jose.SignatureAlgorithm(alg),
		public: jose.JSONWebKey{Key: public, KeyID: id, Algorithm: alg, Use: "sig"},
		signer: signer,
	}, nil
}

// lazyKey is the simulator's signing key, made when first needed: an RSA
// key takes from 20 to a few hundred ms to make, and the kiosk's window,
// on its embedded simulator, should not wait for it before showing its
// first code. warm starts making it in the background, once a code is on
// screen, so that the first approval does not wait for it either.
type lazyKey struct {
	alg     string
	once    sync.Once
	key     signingKey
	err     error
	warming atomic.Bool
}

// get is the key, made now if it is not yet.
func (k *lazyKey) get() (signingKey, error) {
	k.once.Do(func() { k.key, k.err = newSigningKey(k.alg) })
	return k.key, k.err
}

// warm makes the key in the background, if it is not made yet.
func (k *lazyKey) warm() {
	if k.warming.CompareAndSwap(false, true) {
		go k.get()
	}
}

// idClaims are an ID token's claims.
type idClaims struct {
	issuer, audience, subject, nonce string
	sid                              string        // the browser session, as a provider with single sign-on names it
	now, authTime                    time.Time     // authTime zero: now
	lifetime                         time.Duration // default 5 minutes
}

func (k signingKey) sign(c idClaims) (string, error) {
	if c.lifetime == 0 {
		c.lifetime = 5 * time.Minute
	}
	claims := jwt.Claims{
		Issuer:   c.issuer,
		Subject:  c.subject,
		Audience: jwt.Audience{c.audience},
		IssuedAt: jwt.NewNumericDate(c.now),
		Expiry:   jwt.NewNumericDate(c.now.Add(c.lifetime)),
	}
	if c.authTime.IsZero() {
		c.authTime = c.now
	}
	extra := map[string]any{"auth_time": c.authTime.Unix()}
	if c.nonce != "" {
		extra["nonce"] = c.nonce
	}
	if c.sid != "" {
		extra["sid"] = c.sid
	}
	return jwt.Signed(k.signer).Claims(claims).Claims(extra).Serialize()
}

// tamper spoils the claims as the IDToken fault says; the caller holds mu.
func (s *Simulator) tamper(c idClaims) idClaims {
	switch s.faults.IDToken {
	case "wrong_nonce":
		c.nonce = "not-the-kiosks-nonce"
	case "expired":
		c.now, c.lifetime = c.now.Add(-time.Hour), 5*time.Minute
	case "wrong_issuer":
		c.issuer = "https://attacker.example"
	case "wrong_audience":
		c.audience = "another-client"
	}
	return c
}

func (s *Simulator) handleDiscovery(w http.ResponseWriter, _ *http.Request) {
	iss := s.issuer()
	doc := map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/oauth2/authorize",
		"token_endpoint":                        iss + s.tokenEndpoint(),
		"userinfo_endpoint":                     iss + "/user_info.json",
		"jwks_uri":                              iss + "/oauth2/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{s.opts.IDTokenAlg},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid", "sermi"},
	}
	if s.opts.SeparateUserInfoHost {
		if s.userInfoURL == "" {
			delete(doc, "userinfo_endpoint") // New without Listen: no such host
		} else {
			doc["userinfo_endpoint"] = s.userInfoURL + "/user_info.json"
		}
	}
	writeJSON(w, http.StatusOK, doc)
}

func (s *Simulator) handleKeys(w http.ResponseWriter, _ *http.Request) {
	key, err := s.keys.get()
	if err != nil {
		http.Error(w, "making the signing key failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key.public}})
}
