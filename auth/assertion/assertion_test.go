package assertion_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/workshop-login/workshop-login/auth/assertion"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// sign makes an assertion as the relay would, without importing it: a
// vendor's tests can do the same.
func sign(t *testing.T, key *ecdsa.PrivateKey, kid string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType(assertion.Type))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(jwt.Claims{
		Subject: "sub-1", Issuer: "iss", Audience: jwt.Audience{"aud"}, ID: "jti-1",
		IssuedAt: jwt.NewNumericDate(t0), Expiry: jwt.NewNumericDate(t0.Add(time.Minute)),
	}).Claims(map[string]any{
		"role": "IOE", "cabuid": "EXA/NL/1234/1EXA2MP34LE5", "iouid": "IO/ADDR/NL1", "ioeuid": "NL/CAB/1234567890B",
		"authorisation_uid": "1234567890B", "kiosk": "garage-1",
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestVerifyPinnedKeys(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	raw := sign(t, key, "k1")
	now := func() time.Time { return t0 }
	for _, tc := range []struct {
		name string
		keys jose.JSONWebKeySet
		want error
	}{
		{"public key", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1"}}}, nil},
		{"private key pinned by mistake: its public half is used", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key, KeyID: "k1"}}}, nil},
		{"other kid", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k2"}}}, assertion.ErrUnknownKey},
		{"key for encryption", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Use: "enc"}}}, assertion.ErrUnknownKey},
		{"key for another algorithm", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES384"}}}, assertion.ErrUnknownKey},
		{"symmetric key under the kid", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "k1"}}}, assertion.ErrUnknownKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := assertion.Verify(context.Background(), raw, assertion.Options{Keys: &tc.keys, Audience: "aud", Issuer: "iss", Now: now})
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
			if err == nil && (id.Subject != "sub-1" || id.Kiosk != "garage-1" || id.ID != "jti-1" || !id.Expiry.Equal(t0.Add(time.Minute))) {
				t.Errorf("identity %+v", id)
			}
		})
	}
}

func TestVerifyOptions(t *testing.T) {
	set := &jose.JSONWebKeySet{}
	for _, tc := range []struct {
		name string
		opts assertion.Options
	}{
		{"no audience", assertion.Options{Keys: set, Issuer: "iss"}},
		{"no issuer", assertion.Options{Keys: set, Audience: "aud"}},
		{"no keys", assertion.Options{Audience: "aud", Issuer: "iss"}},
		{"both keys and URL", assertion.Options{Keys: set, JWKSURL: "https://relay.example.test/jwks", Audience: "aud", Issuer: "iss"}},
		{"plain HTTP off loopback", assertion.Options{JWKSURL: "http://relay.example.test/jwks", Audience: "aud", Issuer: "iss"}},
		{"not a URL", assertion.Options{JWKSURL: "://", Audience: "aud", Issuer: "iss"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := assertion.Verify(context.Background(), "x.y.z", tc.opts); !errors.Is(err, assertion.ErrConfig) {
				t.Errorf("Verify: %v, want ErrConfig", err)
			}
		})
	}
}

func TestVerifyJWKSUnavailable(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	raw := sign(t, key, "k1")
	now := func() time.Time { return t0 }
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }},
		{"too large", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 2<<20)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			_, err := assertion.Verify(context.Background(), raw, assertion.Options{JWKSURL: srv.URL, Audience: "aud", Issuer: "iss", Now: now})
			if !errors.Is(err, assertion.ErrKeys) {
				t.Errorf("Verify: %v, want ErrKeys", err)
			}
		})
	}

	// A fetch that hangs ends with the caller's context.
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := assertion.Verify(ctx, raw, assertion.Options{JWKSURL: srv.URL, Audience: "aud", Issuer: "iss", Now: now}); !errors.Is(err, assertion.ErrKeys) {
		t.Errorf("hanging JWKS: %v, want ErrKeys", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("Verify took %v despite its context", time.Since(start))
	}
}
