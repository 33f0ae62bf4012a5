package relay_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// An approval signed with a key the kiosk's first look at the key set
// lacks (it reached a replica that does not publish the key yet) is not
// lost: the kiosk checks the key set again and signs in.
func TestApprovalUnderAKeyTheKeySetLacksStillSignsIn(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	keys := authtest.NewRelayKeys(t)
	stale := keys
	old, err := relay.GenerateSigningKey("a0")
	if err != nil {
		t.Fatal(err)
	}
	stale.Signing = old
	a, b := replica(t, sim, keys, relay.Limits{}), replica(t, sim, stale, relay.Limits{})
	var jwksFetches atomic.Int64
	route := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Path == auth.RelayPathJWKS && jwksFetches.Add(1) == 1 {
			req.URL.Host = b.http.Listener.Addr().String() // an old replica: a0 only
		}
		return http.DefaultTransport.RoundTrip(req)
	})
	p := kiosk(t, a.http.URL, keys.KioskKey, auth.WithHTTPClient(&http.Client{Transport: route, Timeout: 30 * time.Second}))
	e := signIn(t, p, func(e auth.Event) bool {
		if e.Kind == auth.EventFailed {
			t.Fatalf("the approval was lost: %s (%v)", e.Message, e.Err)
		}
		return approveWith(t, sim, "ioe", "1234")(e)
	})
	if e.Session == nil || e.Session.Identity.Role != auth.RoleIOE {
		t.Fatalf("signed in as %+v", e.Session)
	}
	if n := jwksFetches.Load(); n < 2 {
		t.Errorf("the key set was fetched %d times; the test wants the first from the stale replica", n)
	}
}
