package relay

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/assertion"
)

const (
	testIssuer   = "https://relay.example.test"
	testAudience = "https://tool.example.test"
)

func testIdentity(t *testing.T, rsse bool) auth.Identity {
	t.Helper()
	body := `{"sub":"e6x3a4mp-49l2-66ps-94ef-u39455005d8o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"EXAMPLEIO/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B"`
	if rsse {
		body += `,"rssuid":"EXAMPLERSS/WALDORPSTRAAT13FTHEHAGUE2521CA/NL987654321B02","rsseuid":"NL/EXAMPLECAB/9876543210D"`
	}
	id, err := auth.ParseUserInfo([]byte(body + "}"))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustSigningKey(t *testing.T, id string) SigningKey {
	t.Helper()
	k, err := GenerateSigningKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSigner(t *testing.T, cfg SignerConfig) *Signer {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = testIssuer
	}
	if cfg.Audience == "" {
		cfg.Audience = testAudience
	}
	s, err := NewSigner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jwksServer publishes whatever key set it holds, on loopback, counting
// fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	set     jose.JSONWebKeySet
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, set jose.JSONWebKeySet) *jwksServer {
	t.Helper()
	s := &jwksServer{set: set}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		json.NewEncoder(w).Encode(s.set)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) publish(set jose.JSONWebKeySet) {
	s.mu.Lock()
	s.set = set
	s.mu.Unlock()
}

func TestSignVerifyRoundTrip(t *testing.T) {
	ed := func() SigningKey {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return SigningKey{ID: "ed-1", Key: priv}
	}()
	for _, tc := range []struct {
		name string
		key  SigningKey
		rsse bool
	}{
		{"ES256 technician", mustSigningKey(t, "es-1"), false},
		{"ES256 chain authorisation", mustSigningKey(t, "es-1"), true},
		{"EdDSA technician", ed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t0}
			signer := mustSigner(t, SignerConfig{Current: tc.key, TTL: 2 * time.Minute, Now: clock.Now})
			srv := newJWKSServer(t, signer.JWKS())
			if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
				t.Fatalf("JWKS server not on loopback: %s", srv.URL)
			}
			identity := testIdentity(t, tc.rsse)
			raw, err := signer.Sign(identity, "garage-1")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(raw, ".") != 2 {
				t.Fatalf("not a compact JWT: %s", raw)
			}
			clock.now = t0.Add(time.Minute)
			got, err := assertion.Verify(context.Background(), raw, assertion.Options{
				JWKSURL: srv.URL, Audience: testAudience, Issuer: testIssuer, Now: clock.Now,
			})
			if err != nil {
				t.Fatal(err)
			}
			want := assertion.Identity{
				Subject: identity.Sub, Role: string(identity.Role), CABUID: identity.CABUID.Raw,
				IOUID: identity.IOUID.Raw, IOEUID: identity.IOEUID.Raw, AuthorisationUID: identity.AuthorisationUID(),
				Kiosk: "garage-1", ID: got.ID, Issuer: testIssuer, IssuedAt: t0, Expiry: t0.Add(2 * time.Minute),
			}
			if tc.rsse {
				want.RSSUID, want.RSSEUID = identity.RSSUID.Raw, identity.RSSEUID.Raw
			}
			if got != want {
				t.Errorf("Verify\n got %+v\nwant %+v", got, want)
			}
			if len(got.ID) < 20 {
				t.Errorf("jti %q is short", got.ID)
			}
			again, _ := signer.Sign(identity, "garage-1")
			if id2, err := assertion.Verify(context.Background(), again, assertion.Options{
				JWKSURL: srv.URL, Audience: testAudience, Issuer: testIssuer, Now: clock.Now,
			}); err != nil || id2.ID == got.ID {
				t.Errorf("second assertion: jti %q, first %q, %v", id2.ID, got.ID, err)
			}
			if n := srv.fetches.Load(); n != 1 {
				t.Errorf("JWKS fetched %d times, want 1 (cached)", n)
			}
		})
	}
}

// forge signs claims with whatever algorithm and key an attacker picks.
func forge(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType(assertion.Type))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// payload is a signed assertion's claims, to tamper with.
func payload(t *testing.T, raw string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func b64json(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerifyRefuses(t *testing.T) {
	clock := &fakeClock{t0}
	key := mustSigningKey(t, "k1")
	signer := mustSigner(t, SignerConfig{Current: key, TTL: 2 * time.Minute, Now: clock.Now})
	srv := newJWKSServer(t, signer.JWKS())
	good, err := signer.Sign(testIdentity(t, false), "garage-1")
	if err != nil {
		t.Fatal(err)
	}
	claims := payload(t, good)
	header := func(alg string) string {
		return b64json(t, map[string]string{"alg": alg, "kid": "k1", "typ": assertion.Type})
	}
	pub := key.Key.Public().(*ecdsa.PublicKey)
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubJWK, _ := json.Marshal(jose.JSONWebKey{Key: pub, KeyID: "k1"})
	pubPoint, _ := pub.Bytes()
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	with := func(change map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range claims {
			m[k] = v
		}
		for k, v := range change {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	parts := strings.Split(good, ".")
	otherSigner := mustSigner(t, SignerConfig{Current: mustSigningKey(t, "k1"), Now: clock.Now})
	sameKidOtherKey, _ := otherSigner.Sign(testIdentity(t, false), "garage-1")
	otherAudience, _ := mustSigner(t, SignerConfig{Current: key, Audience: "https://other.example.test", Now: clock.Now}).Sign(testIdentity(t, false), "garage-1")
	otherIssuer, _ := mustSigner(t, SignerConfig{Current: key, Issuer: "https://evil.example.test", Now: clock.Now}).Sign(testIdentity(t, false), "garage-1")

	for _, tc := range []struct {
		name string
		raw  string
		at   time.Time
		want error
	}{
		{"good", good, t0, nil},
		{"good, at expiry within the leeway", good, t0.Add(2*time.Minute + 20*time.Second), nil},
		{"expired", good, t0.Add(2*time.Minute + assertion.DefaultLeeway + time.Second), assertion.ErrExpired},
		{"issued in the future", good, t0.Add(-time.Minute), assertion.ErrNotYet},
		{"wrong audience", otherAudience, t0, assertion.ErrAudience},
		{"wrong issuer", otherIssuer, t0, assertion.ErrIssuer},
		{"alg none", header("none") + "." + parts[1] + ".", t0, assertion.ErrMalformed},
		{"alg none with the real signature", header("none") + "." + parts[1] + "." + parts[2], t0, assertion.ErrMalformed},
		{"signature stripped", parts[0] + "." + parts[1] + ".", t0, assertion.ErrSignature},
		{"payload swapped", parts[0] + "." + b64json(t, with(map[string]any{"sub": "someone-else"})) + "." + parts[2], t0, assertion.ErrSignature},
		{"HS256 with the public key's DER as secret", forge(t, jose.HS256, pubDER, "k1", claims), t0, assertion.ErrMalformed},
		{"HS256 with the public key's JWK as secret", forge(t, jose.HS256, pubJWK, "k1", claims), t0, assertion.ErrMalformed},
		{"HS256 with the public point as secret", forge(t, jose.HS256, pubPoint, "k1", claims), t0, assertion.ErrMalformed},
		{"ES384 on P-384", forge(t, jose.ES384, p384, "k1", claims), t0, assertion.ErrMalformed},
		{"another key, same kid", sameKidOtherKey, t0, assertion.ErrSignature},
		{"another key, unknown kid", forge(t, jose.ES256, otherKey, "k9", claims), t0, assertion.ErrUnknownKey},
		{"no kid", forge(t, jose.ES256, key.Key, "", claims), t0, assertion.ErrUnknownKey},
		{"no exp", forge(t, jose.ES256, key.Key, "k1", with(map[string]any{"exp": nil})), t0, assertion.ErrClaims},
		{"no iat", forge(t, jose.ES256, key.Key, "k1", with(map[string]any{"iat": nil})), t0, assertion.ErrClaims},
		{"no kiosk", forge(t, jose.ES256, key.Key, "k1", with(map[string]any{"kiosk": nil})), t0, assertion.ErrClaims},
		{"no jti", forge(t, jose.ES256, key.Key, "k1", with(map[string]any{"jti": nil})), t0, assertion.ErrClaims},
		{"no sub", forge(t, jose.ES256, key.Key, "k1", with(map[string]any{"sub": nil})), t0, assertion.ErrClaims},
		{"unknown role", forge(t, jose.ES256, key.Key, "k1", with(map[string]any{"role": "ADMIN"})), t0, assertion.ErrClaims},
		{"RSSE without rsseuid", forge(t, jose.ES256, key.Key, "k1", with(map[string]any{"role": "RSSE", "rssuid": "X/Y/Z"})), t0, assertion.ErrClaims},
		{"garbage", "not.a.jwt", t0, assertion.ErrMalformed},
		{"empty", "", t0, assertion.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock.now = tc.at
			_, err := assertion.Verify(context.Background(), tc.raw, assertion.Options{
				JWKSURL: srv.URL, Audience: testAudience, Issuer: testIssuer, Now: clock.Now,
			})
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("Verify: %v, want %v", err, tc.want)
			}
		})
	}

	// A typ other than the assertion's: a token the key signed for
	// something else.
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key.Key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	plainJWT, _ := jwt.Signed(s).Claims(claims).Serialize()
	clock.now = t0
	if _, err := assertion.Verify(context.Background(), plainJWT, assertion.Options{
		Keys: ptr(signer.JWKS()), Audience: testAudience, Issuer: testIssuer, Now: clock.Now,
	}); !errors.Is(err, assertion.ErrType) {
		t.Errorf("typ JWT: %v, want ErrType", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestVerifyKidRotation(t *testing.T) {
	clock := &fakeClock{t0}
	k1, k2 := mustSigningKey(t, "k1"), mustSigningKey(t, "k2")
	before := mustSigner(t, SignerConfig{Current: k1, Now: clock.Now})
	srv := newJWKSServer(t, before.JWKS())
	opts := assertion.Options{JWKSURL: srv.URL, Audience: testAudience, Issuer: testIssuer, Now: clock.Now}
	verify := func(raw string) error {
		_, err := assertion.Verify(context.Background(), raw, opts)
		return err
	}
	id := testIdentity(t, false)
	old, _ := before.Sign(id, "garage-1")
	if err := verify(old); err != nil {
		t.Fatal(err)
	}

	// The relay rotates: k2 signs, k1 is still published.
	after := mustSigner(t, SignerConfig{Current: k2, Previous: []SigningKey{k1}, Now: clock.Now})
	if got := after.JWKS(); len(got.Keys) != 2 || got.Keys[0].KeyID != "k2" || got.Keys[1].KeyID != "k1" ||
		!got.Keys[0].IsPublic() || !got.Keys[1].IsPublic() {
		t.Fatalf("JWKS during rotation: %+v", got)
	}
	srv.publish(after.JWKS())

	// A portal that met k1 a moment ago meets k2's first assertion: it
	// refetches at once rather than refusing it for a minute.
	clock.now = t0.Add(10 * time.Second)
	newer, _ := after.Sign(id, "garage-1")
	if err := verify(newer); err != nil {
		t.Errorf("new kid 10 s after the last fetch: %v, want it verified after an immediate refetch", err)
	}
	if err := verify(old); err != nil {
		t.Errorf("an assertion by the previous key during rotation: %v", err)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Errorf("fetched %d times, want 2", n)
	}

	// A flood of forged kids, at once and from many goroutines, costs the
	// relay at most one fetch per few seconds.
	forged := forge(t, jose.ES256, mustSigningKey(t, "x").Key, "unknown", payload(t, newer))
	clock.now = t0.Add(20 * time.Second)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := verify(forged); !errors.Is(err, assertion.ErrUnknownKey) {
				t.Errorf("forged kid: %v, want ErrUnknownKey", err)
			}
		}()
	}
	wg.Wait()
	if n := srv.fetches.Load(); n != 3 {
		t.Errorf("fetched %d times after 50 forged kids at once, want 3 (one refetch)", n)
	}
	clock.now = clock.now.Add(time.Second)
	for range 20 {
		verify(forged)
	}
	if n := srv.fetches.Load(); n != 3 {
		t.Errorf("fetched %d times after forged kids a second later, want still 3", n)
	}

	// k1 withdrawn: after the hourly refresh its assertions fail.
	srv.publish(mustSigner(t, SignerConfig{Current: k2, Now: clock.Now}).JWKS())
	clock.now = t0.Add(2 * time.Hour)
	stale, _ := before.Sign(id, "garage-1")
	if err := verify(stale); !errors.Is(err, assertion.ErrUnknownKey) {
		t.Errorf("withdrawn key: %v, want ErrUnknownKey", err)
	}
}

func TestSigningKeyPEM(t *testing.T) {
	k := mustSigningKey(t, "k1")
	pemBytes, err := k.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSigningKeyPEM("k1", pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Key.(*ecdsa.PrivateKey).Equal(k.Key) {
		t.Error("the key changed on a PEM round trip")
	}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	edPEM, _ := SigningKey{ID: "e", Key: ed}.MarshalPEM()
	if _, err := ParseSigningKeyPEM("e", edPEM); err != nil {
		t.Errorf("Ed25519: %v", err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384PEM, _ := SigningKey{ID: "p", Key: p384}.MarshalPEM()
	for name, data := range map[string][]byte{"not PEM": []byte("hello"), "P-384": p384PEM} {
		if _, err := ParseSigningKeyPEM("x", data); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestNewSignerRefuses(t *testing.T) {
	k := mustSigningKey(t, "k1")
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, tc := range []struct {
		name string
		cfg  SignerConfig
	}{
		{"no issuer", SignerConfig{Audience: "a", Current: k}},
		{"no audience", SignerConfig{Issuer: "i", Current: k}},
		{"no kid", SignerConfig{Issuer: "i", Audience: "a", Current: SigningKey{Key: k.Key}}},
		{"duplicate kid", SignerConfig{Issuer: "i", Audience: "a", Current: k, Previous: []SigningKey{k}}},
		{"P-384", SignerConfig{Issuer: "i", Audience: "a", Current: SigningKey{ID: "p", Key: p384}}},
		{"negative TTL", SignerConfig{Issuer: "i", Audience: "a", Current: k, TTL: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSigner(tc.cfg); err == nil {
				t.Error("accepted")
			}
		})
	}
	s := mustSigner(t, SignerConfig{Current: k})
	if _, err := s.Sign(testIdentity(t, false), ""); err == nil {
		t.Error("signed without a kiosk")
	}
}
