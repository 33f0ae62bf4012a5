// Package authtest starts the Trust Centre simulator for a test and gives
// the engine settings that reach it.
package authtest

import (
	"testing"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// Simulator listens on a free loopback port until the test ends.
func Simulator(t testing.TB, opts simulator.Options) *simulator.Server {
	t.Helper()
	srv, err := simulator.Listen("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// Settings reach srv as its default client, polling at the shortest allowed
// interval (1 s), so a sign-in takes about a second.
func Settings(srv *simulator.Server) auth.Settings {
	s := auth.DefaultSettings(auth.EnvSimulator)
	s.Issuer, s.PollInterval = srv.URL, auth.MinPollInterval
	s.ClientID, s.ClientSecret, s.ProductScope = simulator.DefaultClientID, simulator.DefaultClientSecret, simulator.DefaultProductScope
	return s
}
