package assertion_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/workshop-login/workshop-login/auth/assertion"
)

// signWith signs the test persona's claims with some replaced.
func signWith(t *testing.T, key *ecdsa.PrivateKey, change map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType(assertion.Type))
	if err != nil {
		t.Fatal(err)
	}
	custom := map[string]any{
		"role": "IOE", "cabuid": "EXA/NL/1234/1EXA2MP34LE5", "iouid": "GARAGE JANSEN/WALDORPSTRAAT13/NL123456789B01",
		"ioeuid": "NL/EXAMPLECAB/1234567890B", "authorisation_uid": "1234567890B", "kiosk": "garage-1",
	}
	for k, v := range change {
		custom[k] = v
	}
	raw, err := jwt.Signed(s).Claims(jwt.Claims{
		Subject: subject(change), Issuer: "iss", Audience: jwt.Audience{"aud"}, ID: "jti-1",
		IssuedAt: jwt.NewNumericDate(t0), Expiry: jwt.NewNumericDate(t0.Add(time.Minute)),
	}).Claims(custom).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func verifyPinned(key *ecdsa.PrivateKey, raw string) (assertion.Identity, error) {
	keys := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1"}}}
	return assertion.Verify(context.Background(), raw, assertion.Options{Keys: &keys, Audience: "aud", Issuer: "iss",
		Now: func() time.Time { return t0 }})
}

// A token far beyond any assertion's size is refused before its signature
// is checked: a verifier does not parse a megabyte for an attacker.
func TestVerifyRefusesAnOversizedToken(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := verifyPinned(key, signWith(t, key, nil)); err != nil {
		t.Fatalf("the ordinary assertion: %v", err)
	}
	big := signWith(t, key, map[string]any{"padding": strings.Repeat("A", 1<<20)})
	if _, err := verifyPinned(key, big); !errors.Is(err, assertion.ErrTooLarge) {
		t.Errorf("a %d-byte token: %v, want ErrTooLarge", len(big), err)
	}
}

// UIDs are checked against SERMI's syntax: leniently (spaces, a tax id
// outside VAT format), but never with control or bidi characters, which
// would make a portal show another name than the one signed.
func TestVerifyChecksTheUIDs(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		name   string
		change map[string]any
		ok     bool
	}{
		{"the persona", nil, true},
		{"a tax id outside VAT format", map[string]any{"iouid": "KFZ MEIER/HAUPTSTRASSE5/HRB-PRIVATE-0815"}, true},
		{"an address with a slash", map[string]any{"iouid": "KFZ MEIER/HAUPTSTRASSE 5/2/DE123"}, true},
		{"a right-to-left override in the garage's name", map[string]any{"iouid": "GARAGE \u202eNESNAJ/ADDR/NL1"}, false},
		{"a left-to-right isolate in the CAB name", map[string]any{"ioeuid": "NL/EXAMPLE\u2066CAB/1234567890B"}, false},
		{"a newline in the tax id", map[string]any{"iouid": "GARAGE/ADDR/NL1\nFORGED"}, false},
		{"a zero-width space in the authorisation UID", map[string]any{"ioeuid": "NL/CAB/12345\u200b67890B", "authorisation_uid": "12345\u200b67890B"}, false},
		{"a NUL in the subject", map[string]any{"sub": "sub\x00"}, false},
		{"a cabuid of three parts", map[string]any{"cabuid": "EXA/NL/1234"}, false},
		{"a cabuid with a lower-case country", map[string]any{"cabuid": "EXA/nl/1234/1EXA2MP34LE5"}, false},
		{"an iouid without a tax id", map[string]any{"iouid": "GARAGE/ADDR/"}, false},
		{"an ioeuid with a country of three letters", map[string]any{"ioeuid": "NLD/CAB/1234567890B"}, false},
		{"an authorisation UID that is not the ioeuid's", map[string]any{"authorisation_uid": "999"}, false},
		{"a UID of 2 KiB", map[string]any{"iouid": strings.Repeat("G", 2048) + "/ADDR/NL1"}, false},
		{"a kiosk name with a space", map[string]any{"kiosk": "garage 1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifyPinned(key, signWith(t, key, tc.change))
			switch {
			case tc.ok && err != nil:
				t.Errorf("refused: %v", err)
			case !tc.ok && !errors.Is(err, assertion.ErrClaims):
				t.Errorf("Verify: %v, want ErrClaims", err)
			}
		})
	}
}

func subject(change map[string]any) string {
	if s, ok := change["sub"].(string); ok {
		delete(change, "sub")
		return s
	}
	return "sub-1"
}
