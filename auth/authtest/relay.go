package authtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// RelayAudience is the audience a test relay signs for: what the demo tool
// and the demo portal take from the relay's /v1/info.
const RelayAudience = "urn:workshop-login:demo"

// Relay is a real relay replica on loopback in front of a simulator, with
// one enrolled kiosk, "garage-jansen-1". Tests that receive an assertion
// (a tool, a portal) get a real one from it: SignIn goes through the relay
// as a kiosk does; Key lets a test sign one the relay's keys still verify
// but that is wrong otherwise (another audience, expired).
type Relay struct {
	URL      string // http://127.0.0.1:port: the issuer; /v1/info and /v1/jwks are under it
	Sim      *simulator.Server
	Signer   *relay.Signer
	Key      relay.SigningKey // the key Signer signs with, published in the JWKS
	KioskKey string
}

// RelayKeys are what the replicas of one relay share: the sealing key, the
// signing key, and the enrolled kiosk, "garage-jansen-1", with its key.
type RelayKeys struct {
	Seal     relay.SealKey
	Signing  relay.SigningKey
	Kiosks   *relay.KioskKeys
	KioskKey string
}

// NewRelayKeys makes a relay's keys and enrols one kiosk.
func NewRelayKeys(t testing.TB) RelayKeys {
	t.Helper()
	seal, err := relay.NewSealKey("s1")
	if err != nil {
		t.Fatal(err)
	}
	signing, err := relay.GenerateSigningKey("a1")
	if err != nil {
		t.Fatal(err)
	}
	key, hash, err := relay.NewKioskKey()
	if err != nil {
		t.Fatal(err)
	}
	line, err := relay.KioskLine("garage-jansen-1", hash)
	if err != nil {
		t.Fatal(err)
	}
	kiosks, err := relay.ParseKioskKeys(strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	return RelayKeys{Seal: seal, Signing: signing, Kiosks: kiosks, KioskKey: key}
}

// Replica is one relay replica on loopback, until the test ends.
type Replica struct {
	URL    string // http://127.0.0.1:port, also the assertions' issuer
	Server *relay.Server
	HTTP   *httptest.Server
	Signer *relay.Signer
}

// StartReplica starts a replica with keys that signs in at the Trust Centre
// settings name, within limits (zero: the defaults), logging to log (nil:
// nowhere).
func StartReplica(t testing.TB, settings auth.Settings, keys RelayKeys, limits relay.Limits, log *slog.Logger) *Replica {
	t.Helper()
	up, err := auth.NewUpstream(settings)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := relay.NewSealer(relay.SealerConfig{Current: keys.Seal, MaxAge: settings.MaxCodeAge + settings.IdentityRetryLimit,
		SessionMaxAge: 8 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	public := "http://" + hs.Listener.Addr().String()
	signer, err := relay.NewSigner(relay.SignerConfig{Issuer: public, Audience: RelayAudience, Current: keys.Signing})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := relay.NewServer(relay.ServerConfig{Upstream: up, Sealer: sealer, Signer: signer, Kiosks: keys.Kiosks,
		Limits: limits, PublicURL: public, SessionMaxAge: 8 * time.Hour, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	return &Replica{URL: public, Server: srv, HTTP: hs, Signer: signer}
}

// StartRelay starts a relay in front of sim until the test ends.
func StartRelay(t testing.TB, sim *simulator.Server) *Relay {
	t.Helper()
	keys := NewRelayKeys(t)
	r := StartReplica(t, Settings(sim), keys, relay.Limits{}, nil)
	return &Relay{URL: r.URL, Sim: sim, Signer: r.Signer, Key: keys.Signing, KioskKey: keys.KioskKey}
}

// SignIn signs persona in with pin through the relay, as a kiosk on it
// does, and returns the session: its Assertion is what a tool or the
// portal receives.
func (r *Relay) SignIn(t testing.TB, persona, pin string) *auth.Session {
	t.Helper()
	s := auth.DefaultSettings(auth.EnvSimulator)
	s.PollInterval = auth.MinPollInterval
	p, err := auth.NewRelayed(auth.RelaySettings{URL: r.URL, KioskKey: auth.Secret(r.KioskKey)}, s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var last auth.Event
	for e := range p.Start(ctx) {
		last = e
		switch e.Kind {
		case auth.EventQRReady:
			if err := r.Sim.Approve(e.QR.URI, persona, pin); err != nil {
				t.Fatalf("approving as %s: %v", persona, err)
			}
		case auth.EventApproved:
			cancel()
			return e.Session
		}
	}
	t.Fatalf("the sign-in through the relay ended without an approval; last event %s %s", last.Kind, last.Message)
	return nil
}

// SignWith signs id with the relay's key but another audience or clock: an
// assertion whose signature verifies and which must still be refused.
func (r *Relay) SignWith(t testing.TB, id auth.Identity, audience string, now func() time.Time) string {
	t.Helper()
	signer, err := relay.NewSigner(relay.SignerConfig{Issuer: r.URL, Audience: audience, Current: r.Key, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := signer.Sign(id, "garage-jansen-1")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Tamper replaces old with new in an assertion's claims and keeps the
// relay's signature: what a verifier must refuse.
func Tamper(t testing.TB, raw, old, new string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || !bytes.Contains(claims, []byte(old)) {
		t.Fatalf("the assertion's claims do not hold %q (%v)", old, err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(bytes.ReplaceAll(claims, []byte(old), []byte(new)))
	return strings.Join(parts, ".")
}

// ClosedPort is the address of a loopback port nobody listens on: a relay
// that does not answer.
func ClosedPort(t testing.TB) string {
	t.Helper()
	return "http://" + FreeLoopbackAddr(t)
}

// Forge signs id with a forger's own key under the relay's key id: an
// assertion that names the right key but whose signature must not verify.
func (r *Relay) Forge(t testing.TB, id auth.Identity) string {
	t.Helper()
	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := relay.NewSigner(relay.SignerConfig{Issuer: r.URL, Audience: RelayAudience,
		Current: relay.SigningKey{ID: r.Key.ID, Key: forger}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := signer.Sign(id, "garage-jansen-1")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
