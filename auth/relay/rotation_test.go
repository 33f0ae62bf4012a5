package relay_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
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
		if req.URL.Path == relayapi.PathJWKS && jwksFetches.Add(1) == 1 {
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

// A code sealed by a replica that already uses a new sealing key, polled
// at one that does not know the key yet: "wait", never "gone".
func TestHandleUnderANewerKeyIsRetryableNotGone(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	keys := authtest.NewRelayKeys(t)
	oldKeys, newKeys := keys, keys
	var err error
	if oldKeys.Seal, err = relay.NewSealKey(relay.NewSealKeyID(time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	if newKeys.Seal, err = relay.NewSealKey(relay.NewSealKeyID(time.Now())); err != nil {
		t.Fatal(err)
	}
	fresh, old := replica(t, sim, newKeys, relay.Limits{}), replica(t, sim, oldKeys, relay.Limits{})
	status, body := kioskPost(t, fresh.http.URL+relayapi.PathStart, keys.KioskKey, "")
	var started relayapi.StartAnswer
	if status != http.StatusCreated || json.Unmarshal(body, &started) != nil {
		t.Fatalf("start: %d %s", status, body)
	}
	request, _ := json.Marshal(relayapi.PollRequest{Handle: started.Handle})
	status, body = kioskPost(t, old.http.URL+relayapi.PathPoll, keys.KioskKey, string(request))
	var answer relayapi.PollAnswer
	_ = json.Unmarshal(body, &answer)
	if status != http.StatusServiceUnavailable || answer.State != relayapi.Unavailable || answer.RetryIn <= 0 {
		t.Errorf("poll at a replica without the new key: %d %s, want 503 unavailable with retry_in", status, body)
	}
	// The replica that sealed it opens it: the code was never gone.
	status, body = kioskPost(t, fresh.http.URL+relayapi.PathPoll, keys.KioskKey, string(request))
	if err := json.Unmarshal(body, &answer); err != nil || status != http.StatusOK || answer.State != relayapi.Pending {
		t.Errorf("poll at the replica that sealed it: %d %s, want pending", status, body)
	}
}

func kioskPost(t *testing.T, url, key, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// One approval, one session: a signing_in handle replayed after the
// approval leads to the very same session, not a second one.
func TestReplayedSigningInHandleYieldsTheSameSession(t *testing.T) {
	t.Parallel()
	sim := authtest.Simulator(t, simulator.Options{})
	keys := authtest.NewRelayKeys(t)
	r := replica(t, sim, keys, relay.Limits{})
	poll := func(handle string) relayapi.PollAnswer {
		t.Helper()
		request, _ := json.Marshal(relayapi.PollRequest{Handle: handle})
		status, body := kioskPost(t, r.http.URL+relayapi.PathPoll, keys.KioskKey, string(request))
		var answer relayapi.PollAnswer
		if status != http.StatusOK || json.Unmarshal(body, &answer) != nil {
			t.Fatalf("poll: %d %s", status, body)
		}
		return answer
	}
	status, body := kioskPost(t, r.http.URL+relayapi.PathStart, keys.KioskKey, "")
	var started relayapi.StartAnswer
	if status != http.StatusCreated || json.Unmarshal(body, &started) != nil {
		t.Fatalf("start: %d %s", status, body)
	}
	sim.SetFaults(simulator.Faults{ServerErrors: 1, Only: "user_info"})
	if err := sim.Approve(started.QRURI, "ioe", "1234"); err != nil {
		t.Fatal(err)
	}
	signingIn := poll(started.Handle)
	if signingIn.State != relayapi.SigningIn || signingIn.Handle == "" {
		t.Fatalf("first poll after approval with user info down: %+v, want signing_in", signingIn)
	}
	first := poll(signingIn.Handle)
	time.Sleep(1100 * time.Millisecond) // a replay later on, when the clock has moved
	second := poll(signingIn.Handle)
	if first.State != relayapi.Approved || second.State != relayapi.Approved {
		t.Fatalf("polls of the signing_in handle: %s then %s, want approved twice", first.State, second.State)
	}
	if first.Session != second.Session || !first.ExpiresAt.Equal(*second.ExpiresAt) {
		t.Errorf("a replayed signing_in handle made a second session (ends %v and %v)", first.ExpiresAt, second.ExpiresAt)
	}
}
