package auth_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/clock"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// A relay polls the Trust Centre for thousands of kiosks, many polls in
// flight at once. Connections must be kept for the next round of polls, not
// closed and opened again each time: at Digidentity each new one is a TLS
// handshake, and the relay's ports fill with TIME_WAIT. Go's default client
// keeps only two idle connections per host.
func TestUpstreamKeepsItsConnectionsBetweenRoundsOfPolls(t *testing.T) {
	const inFlight, rounds = 20, 5
	var opened atomic.Int64
	var round sync.WaitGroup // every poll of a round is in flight at once
	hs := httptest.NewUnstartedServer(nil)
	sim, err := simulator.New(simulator.Options{Issuer: "http://" + hs.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oauth2/token") {
			round.Done()
			round.Wait()
		}
		sim.Handler().ServeHTTP(w, r)
	})
	hs.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			opened.Add(1)
		}
	}
	hs.Start()
	defer hs.Close()

	s := auth.DefaultSettings(auth.EnvSimulator)
	s.Issuer, s.ClientID, s.ClientSecret, s.ProductScope = hs.URL, simulator.DefaultClientID, simulator.DefaultClientSecret, simulator.DefaultProductScope
	up, err := auth.NewUpstream(s)
	if err != nil {
		t.Fatal(err)
	}
	up.Endpoints(context.Background()) // discovery, once, on a connection of its own
	for r := range rounds {
		round.Add(inFlight)
		var polls sync.WaitGroup
		for i := range inFlight {
			polls.Go(func() {
				if a := up.Poll(context.Background(), auth.Secret(fmt.Sprintf("code-%d-%d", r, i))); a.State != auth.PollGone {
					t.Errorf("an unknown code polled: %s, want gone", a.State)
				}
			})
		}
		polls.Wait()
	}
	if n := opened.Load(); n > inFlight+1 {
		t.Errorf("%d rounds of %d polls at once opened %d connections, want at most %d: connections are not kept between rounds",
			rounds, inFlight, n, inFlight+1)
	}
}

// The relay reads discovery again every hour (every minute while it
// fails). That one read must not hold up every kiosk's poll behind it: at
// Digidentity it may take up to HTTPTimeout, and a relay has thousands of
// polls in flight. The others go on with the endpoints already known.
func TestUpstreamPollsGoOnWhileDiscoveryIsReadAgain(t *testing.T) {
	var discoveries atomic.Int64
	hung := make(chan struct{})    // the second discovery read has arrived
	release := make(chan struct{}) // and may answer
	hs := httptest.NewUnstartedServer(nil)
	sim, err := simulator.New(simulator.Options{Issuer: "http://" + hs.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == auth.DiscoveryPath && discoveries.Add(1) == 2 {
			close(hung)
			<-release
		}
		sim.Handler().ServeHTTP(w, r)
	})
	hs.Start()
	defer hs.Close()

	s := auth.DefaultSettings(auth.EnvSimulator)
	s.Issuer, s.ClientID, s.ClientSecret, s.ProductScope = hs.URL, simulator.DefaultClientID, simulator.DefaultClientSecret, simulator.DefaultProductScope
	s.HTTPTimeout, s.TokenTimeout = time.Minute, time.Minute // the hung read must not end by itself first
	clk := clock.NewVirtual(time.Now())
	up, err := auth.NewUpstream(s, auth.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	if a := up.Poll(context.Background(), "code-1"); a.State != auth.PollGone {
		t.Fatalf("first poll: %s, want gone", a.State)
	}
	clk.Advance(61 * time.Minute) // discovery is due again

	refreshed := make(chan auth.PollAnswer)
	go func() { refreshed <- up.Poll(context.Background(), "code-2") }()
	<-hung
	other := make(chan auth.PollAnswer)
	go func() { other <- up.Poll(context.Background(), "code-3") }()
	var answeredFirst bool
	select {
	case a := <-other:
		answeredFirst = true
		if a.State != auth.PollGone {
			t.Errorf("a poll during the discovery read: %s, want gone", a.State)
		}
	case <-time.After(20 * time.Second): // only so that a failing test ends
	}
	close(release)
	if !answeredFirst {
		<-other
		t.Error("a poll waited for the hourly discovery read of another: every kiosk's poll stalls behind it")
	}
	if a := <-refreshed; a.State != auth.PollGone {
		t.Errorf("the poll that read discovery again: %s, want gone", a.State)
	}
}
