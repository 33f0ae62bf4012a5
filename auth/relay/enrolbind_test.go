package relay_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// At a kiosk bound to GARAGE JANSEN, KFZ MEIER's technician is refused at
// the relay, naming the garage; the remote specialist working for GARAGE
// JANSEN on its chain authorisation signs in.
func TestBoundKioskRefusesAnotherGaragesTechnician(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	r := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: authtest.NewRelayKeys(t),
		Enrolment: relay.EnrolmentConfig{BindToGarage: true}})
	got, err := authtest.Enrol(t, r.URL, sim, "werkplaats-1", "ioe", "1234")
	if err != nil {
		t.Fatal(err)
	}
	p := kiosk(t, r.URL, got.Credential.Reveal())
	e := signIn(t, p, func(e auth.Event) bool {
		approveWith(t, sim, "ioe-non-vat", "3456")(e)
		return e.Kind == auth.EventRefused
	})
	if e.Kind != auth.EventRefused || e.Message != auth.MsgOtherGarage {
		t.Errorf("another garage's technician at a bound kiosk: %s %s, want refused with %s", e.Kind, e.Message, auth.MsgOtherGarage)
	}
	if e.Err == nil || !strings.Contains(e.Err.Error(), "This kiosk belongs to GARAGE JANSEN: sign in at your own garage's kiosk") {
		t.Errorf("the refusal's detail = %v, want it to name GARAGE JANSEN", e.Err)
	}
	e = signIn(t, p, approveWith(t, sim, "rsse", "2345"))
	if e.Session == nil || e.Session.Identity.Role != auth.RoleRSSE {
		t.Errorf("the remote specialist chained from GARAGE JANSEN: %s, want signed in", e.Kind)
	}
	if m := get(t, r.URL+relayapi.PathMetrics); !strings.Contains(m, `sign_ins_refused_by_relay_total{reason="other_garage"} 1`) {
		t.Error("metrics lack the other-garage refusal")
	}
}

// Unbound (bind_to_garage = false), the same technician signs in.
func TestUnboundKioskAcceptsAnyGarage(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	r := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: authtest.NewRelayKeys(t)})
	got, err := authtest.Enrol(t, r.URL, sim, "werkplaats-1", "ioe", "1234")
	if err != nil {
		t.Fatal(err)
	}
	if e := signIn(t, kiosk(t, r.URL, got.Credential.Reveal()), approveWith(t, sim, "ioe-non-vat", "3456")); e.Session == nil {
		t.Errorf("unbound kiosk: %s %s, want signed in", e.Kind, e.Message)
	}
}

// The credential outlives a two-step rotation: accepted while the new key
// is published, accepted after it is promoted, sealed again under it at the
// kiosk's next GET /v1/kiosk, and that one outlives the old key's removal.
func TestCredentialSurvivesTwoStepRotation(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	keys := authtest.NewRelayKeys(t)
	next, err := relay.NewSealKey("s2")
	if err != nil {
		t.Fatal(err)
	}
	start := func(sc relay.SealerConfig) string {
		return authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: keys, Sealing: &sc}).URL
	}
	before := start(relay.SealerConfig{Current: keys.Seal})
	got, err := authtest.Enrol(t, before, sim, "werkplaats-1", "ioe", "1234")
	if err != nil {
		t.Fatal(err)
	}
	published := start(relay.SealerConfig{Current: keys.Seal, Next: []relay.SealKey{next}})
	old := keys.Seal
	old.RetiredAt = time.Now()
	promoted := start(relay.SealerConfig{Current: next, Previous: []relay.SealKey{old}})
	pruned := start(relay.SealerConfig{Current: next})
	for _, url := range []string{published, promoted} {
		who, err := relayClient(t, url, got.Credential).Whoami(t.Context())
		if err != nil || who.Code != got.Kiosk.Code {
			t.Fatalf("the credential at %s during the rotation: %+v, %v", url, who, err)
		}
		if (url == promoted) != (who.Credential != "") {
			t.Errorf("renewed credential at %s: %v, want one only once the new key is promoted", url, who.Credential != "")
		}
	}
	renewed, _ := relayClient(t, promoted, got.Credential).Whoami(t.Context())
	if _, err := relayClient(t, pruned, got.Credential).Whoami(t.Context()); auth.KeyOf(err) != auth.MsgNotEnrolled {
		t.Errorf("a credential under a key removed from the keys file: %v, want not enrolled", err)
	}
	e := signIn(t, kiosk(t, pruned, renewed.Credential), approveWith(t, sim, "ioe", "1234"))
	if e.Session == nil {
		t.Errorf("the renewed credential after the rotation: %s, want signed in", e.Kind)
	}
}

// One deny list, three replicas: a kiosk (then a garage) denied is refused
// at every replica within a second, with no restart.
func TestRevokedCredentialRefusedWithinASecondOnEveryReplica(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	keys := authtest.NewRelayKeys(t)
	path := filepath.Join(t.TempDir(), "denied")
	var urls []string
	for range 3 {
		deny, err := relay.OpenDenyFile(path, func(err error) { t.Error(err) })
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: keys,
			Enrolment: relay.EnrolmentConfig{Deny: deny}}).URL)
	}
	a, err := authtest.Enrol(t, urls[0], sim, "werkplaats-1", "ioe", "1234")
	if err != nil {
		t.Fatal(err)
	}
	b, err := authtest.Enrol(t, urls[1], sim, "werkplaats-2", "ioe", "1234")
	if err != nil {
		t.Fatal(err)
	}
	refusedEverywhere := func(cred auth.Secret) time.Duration {
		began := time.Now()
		for time.Since(began) < 3*time.Second {
			var wg sync.WaitGroup
			refused := make([]bool, len(urls))
			for i, url := range urls {
				wg.Go(func() {
					_, err := relayClient(t, url, cred).Whoami(t.Context())
					refused[i] = auth.KeyOf(err) == auth.MsgNotEnrolled
				})
			}
			wg.Wait()
			if refused[0] && refused[1] && refused[2] {
				return time.Since(began)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return time.Hour
	}
	for _, url := range urls {
		if _, err := relayClient(t, url, a.Credential).Whoami(t.Context()); err != nil {
			t.Fatalf("before the deny list: %v", err)
		}
	}
	if err := os.WriteFile(path, []byte("kiosk "+a.Kiosk.Code+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if took := refusedEverywhere(a.Credential); took > 1200*time.Millisecond {
		t.Errorf("the denied kiosk was refused everywhere after %v, want within a second", took)
	}
	if _, err := relayClient(t, urls[2], b.Credential).Whoami(t.Context()); err != nil {
		t.Errorf("another kiosk of the garage, not denied: %v", err)
	}
	if err := os.WriteFile(path, []byte("# the whole garage\ngarage "+b.Kiosk.Garage+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if took := refusedEverywhere(b.Credential); took > 1200*time.Millisecond {
		t.Errorf("the denied garage's kiosk was refused everywhere after %v, want within a second", took)
	}
	if _, err := authtest.Enrol(t, urls[0], sim, "werkplaats-3", "ioe", "1234"); auth.KeyOf(err) != auth.MsgEnrolDenied {
		t.Errorf("a denied garage enrolling again: %v, want %s", err, auth.MsgEnrolDenied)
	}
}
