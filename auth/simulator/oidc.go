package simulator

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// signingKey signs ID tokens with an RSA key made at start; the simulator's
// keys live only as long as the process, like its sessions.
type signingKey struct {
	id     string
	public jose.JSONWebKey
	signer jose.Signer
}

func newSigningKey() (signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKey{}, err
	}
	id := randomID()[:16]
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: id}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return signingKey{}, err
	}
	return signingKey{
		id:     id,
		public: jose.JSONWebKey{Key: &key.PublicKey, KeyID: id, Algorithm: string(jose.RS256), Use: "sig"},
		signer: signer,
	}, nil
}

func (k signingKey) sign(issuer, audience, subject string, now time.Time) (string, error) {
	claims := jwt.Claims{
		Issuer:   issuer,
		Subject:  subject,
		Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(now.Add(5 * time.Minute)),
	}
	extra := map[string]any{"auth_time": now.Unix()}
	return jwt.Signed(k.signer).Claims(claims).Claims(extra).Serialize()
}

func (s *Simulator) handleDiscovery(w http.ResponseWriter, _ *http.Request) {
	iss := s.issuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/oauth2/authorize",
		"token_endpoint":                        iss + "/oauth2/token",
		"userinfo_endpoint":                     iss + "/user_info.json",
		"jwks_uri":                              iss + "/oauth2/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "sermi"},
	})
}

func (s *Simulator) handleKeys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{s.keys.public}})
}
