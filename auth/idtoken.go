package auth

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// idTokenVerifier checks an ID token's signature, issuer, audience and
// expiry with go-oidc. Its keys are found once, on the first ID token, so a
// Trust Centre that sends none costs nothing.
type idTokenVerifier struct {
	settings Settings
	client   *http.Client
	now      func() time.Time

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
}

// verify returns the token's subject and nonce.
func (v *idTokenVerifier) verify(ctx context.Context, raw Secret) (subject, nonce string, err error) {
	verifier, err := v.get(ctx)
	if err != nil {
		return "", "", err
	}
	token, err := verifier.Verify(ctx, raw.Reveal())
	if err != nil {
		return "", "", &callError{verdict: verdictFailed, err: newError(MsgIdentityInvalid, err, "the ID token did not verify")}
	}
	return token.Subject, token.Nonce, nil
}

func (v *idTokenVerifier) get(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verifier != nil {
		return v.verifier, nil
	}
	issuer := v.settings.IDTokenIssuer
	if issuer == "" {
		issuer = v.settings.Issuer
	}
	config := &oidc.Config{ClientID: v.settings.ClientID, Now: v.now}
	// The key set outlives this login, so it fetches with a context of its own.
	keyCtx := oidc.ClientContext(context.Background(), v.client)
	if v.settings.JWKSURL != "" {
		v.verifier = oidc.NewVerifier(issuer, oidc.NewRemoteKeySet(keyCtx, v.settings.JWKSURL), config)
		return v.verifier, nil
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, v.client), issuer)
	if err != nil {
		return nil, &callError{verdict: verdictFailed, err: newError(MsgIdentityInvalid, err,
			"cannot read the Trust Centre's discovery document to check the ID token (set jwks_url if it has none)")}
	}
	var claims struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := provider.Claims(&claims); err != nil || claims.JWKSURL == "" {
		return nil, &callError{verdict: verdictFailed, err: newError(MsgIdentityInvalid, err, "the discovery document names no jwks_uri")}
	}
	v.verifier = oidc.NewVerifier(issuer, oidc.NewRemoteKeySet(keyCtx, claims.JWKSURL), config)
	return v.verifier, nil
}
