package auth

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// idTokenVerifier checks an ID token's signature, issuer, audience and
// expiry with go-oidc, against keys it fetches itself: a key set that cannot
// be fetched is an outage to retry (the token is already issued), while a
// signature that does not verify is a refusal. go-oidc's remote key set
// cannot tell the two apart.
type idTokenVerifier struct {
	settings Settings
	client   *http.Client
	now      func() time.Time

	mu        sync.Mutex
	keysURL   string
	keys      []crypto.PublicKey
	kids      []string
	fetchedAt time.Time
}

// errNoKeys says no key set is known (no setting, no discovery): the
// identity then rests on user info alone, read with the access token.
var errNoKeys = errors.New("no key set known for ID tokens")

// idClaims are what the kiosk reads from a verified ID token.
type idClaims struct {
	subject, nonce string
	sid            string    // the provider's session (OIDC Front-Channel Logout); "" when none
	authTime       time.Time // zero when the token has no auth_time
}

// verify checks the token and returns its claims.
func (v *idTokenVerifier) verify(ctx context.Context, raw Secret, e Endpoints) (idClaims, error) {
	if e.JWKS == "" {
		return idClaims{}, errNoKeys
	}
	kid := ""
	if jws, err := jose.ParseSigned(raw.Reveal(), toJoseAlgs(e.SigningAlgs)); err == nil && len(jws.Signatures) == 1 {
		kid = jws.Signatures[0].Header.KeyID
	} else if err != nil {
		return idClaims{}, &callError{verdict: verdictFailed, err: NewError(MsgIdentityInvalid, err, "the ID token is not a signed token with an accepted algorithm")}
	}
	keys, err := v.keySet(ctx, e.JWKS, kid, false)
	if err != nil {
		return idClaims{}, err
	}
	config := &oidc.Config{ClientID: v.settings.ClientID, Now: v.now, SupportedSigningAlgs: e.SigningAlgs}
	verify := func(keys []crypto.PublicKey) (*oidc.IDToken, error) {
		return oidc.NewVerifier(e.IDTokenIssuer, &oidc.StaticKeySet{PublicKeys: keys}, config).Verify(ctx, raw.Reveal())
	}
	token, err := verify(keys)
	if err != nil {
		// The Trust Centre may have rotated its keys: a token naming no key
		// is tried once more against a fresh set, if the kept one is more
		// than a minute old; one naming a key not yet fetched is an outage
		// to retry (the set is fetched again after that minute), never a
		// refusal that would throw the issued token away.
		v.mu.Lock()
		known, age := kid == "" || slices.Contains(v.kids, kid), v.now().Sub(v.fetchedAt)
		v.mu.Unlock()
		switch {
		case !known:
			return idClaims{}, &callError{verdict: verdictTransient,
				err: NewError(MsgOffline, err, "the ID token names a key the Trust Centre's key set does not hold yet")}
		case kid == "" && age > time.Minute:
			if keys, err = v.keySet(ctx, e.JWKS, kid, true); err != nil {
				return idClaims{}, err
			}
			token, err = verify(keys)
		}
	}
	if err != nil {
		return idClaims{}, &callError{verdict: verdictFailed, err: NewError(MsgIdentityInvalid, err, "the ID token did not verify")}
	}
	var extra struct {
		AuthTime *json.Number `json:"auth_time"`
		SID      string       `json:"sid"`
	}
	c := idClaims{subject: token.Subject, nonce: token.Nonce}
	if token.Claims(&extra) == nil {
		c.sid = extra.SID
	}
	if extra.AuthTime != nil {
		if seconds, err := extra.AuthTime.Float64(); err == nil {
			c.authTime = time.Unix(int64(seconds), 0)
		}
	}
	return c, nil
}

// keySet returns the keys at url, fetching them when none are kept, when
// forced, or when the token names a key id the kept set lacks (a rotation)
// and the set is more than a minute old.
func (v *idTokenVerifier) keySet(ctx context.Context, url, kid string, force bool) ([]crypto.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fresh := !force && v.keysURL == url && len(v.keys) > 0
	if fresh && kid != "" && !slices.Contains(v.kids, kid) && v.now().Sub(v.fetchedAt) > time.Minute {
		fresh = false
	}
	if fresh {
		return v.keys, nil
	}
	ctx, cancel := context.WithTimeout(ctx, v.settings.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fail(verdictFailed, MsgIdentityInvalid, "building the key set request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	status, header, body, err := (&httpTrustCentre{client: v.client}).do(req, "key set request")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		e := classifyError("key set request", status, header, body)
		e.verdict = verdictTransient // the token is issued: keys that fail to come are retried
		return nil, e
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, &callError{verdict: verdictTransient, err: NewError(MsgOffline, err, "the key set is not valid JSON")}
	}
	var keys []crypto.PublicKey
	var kids []string
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" || !k.IsPublic() {
			continue
		}
		keys, kids = append(keys, k.Key), append(kids, k.KeyID)
	}
	if len(keys) == 0 {
		return nil, &callError{verdict: verdictTransient, err: NewError(MsgOffline, nil, "the key set at %s holds no signing key", req.URL.Host)}
	}
	v.keysURL, v.keys, v.kids, v.fetchedAt = url, keys, kids, v.now()
	return keys, nil
}

func toJoseAlgs(algs []string) []jose.SignatureAlgorithm {
	out := make([]jose.SignatureAlgorithm, len(algs))
	for i, a := range algs {
		out[i] = jose.SignatureAlgorithm(a)
	}
	return out
}
