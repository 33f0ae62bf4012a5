package authtest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// EnrolRelay is how StartEnrolReplica builds a replica whose policy is
// enrolment = "garage"; zero fields take the defaults.
type EnrolRelay struct {
	Keys      RelayKeys // its Seal is the current sealing key unless Sealing is set
	Sealing   *relay.SealerConfig
	Enrolment relay.EnrolmentConfig // Garage is set for you
	Log       *slog.Logger
	Now       func() time.Time
}

// StartEnrolReplica starts a replica in front of sim that lets garages enrol
// their kiosks, until the test ends.
func StartEnrolReplica(t testing.TB, sim *simulator.Server, o EnrolRelay) *Replica {
	t.Helper()
	settings := Settings(sim)
	up, err := auth.NewUpstream(settings)
	if err != nil {
		t.Fatal(err)
	}
	sc := relay.SealerConfig{Current: o.Keys.Seal}
	if o.Sealing != nil {
		sc = *o.Sealing
	}
	sc.MaxAge, sc.SessionMaxAge, sc.Grace, sc.Now = settings.MaxCodeAge+settings.IdentityRetryLimit, 8*time.Hour, 8*time.Hour, o.Now
	sealer, err := relay.NewSealer(sc)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	public := "http://" + hs.Listener.Addr().String()
	signer, err := relay.NewSigner(relay.SignerConfig{Issuer: public, Audience: RelayAudience, Current: o.Keys.Signing})
	if err != nil {
		t.Fatal(err)
	}
	o.Enrolment.Garage = true
	srv, err := relay.NewServer(relay.ServerConfig{Upstream: up, Sealer: sealer, Signer: signer, Kiosks: o.Keys.Kiosks,
		PublicURL: public, SessionMaxAge: 8 * time.Hour, Enrolment: o.Enrolment, Log: o.Log, Now: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	return &Replica{URL: public, Server: srv, HTTP: hs, Signer: signer}
}

// Enrol enrols a kiosk named name at the relay at url, approved by persona:
// the credential and what the relay says of the kiosk, or the refusal.
func Enrol(t testing.TB, url string, sim *simulator.Server, name, persona, pin string) (auth.Enrolled, error) {
	t.Helper()
	e, err := auth.NewEnroller(url, name, Settings(sim))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return e.Enrol(ctx, func(c auth.EnrolCode) {
		if err := sim.Approve(c.URI, persona, pin); err != nil {
			t.Errorf("approving the enrolment as %s: %v", persona, err)
		}
	})
}
