package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// These tests run the engine against the simulator over real loopback HTTP,
// on the wall clock with the shortest allowed poll interval (1 s), so each
// takes about a second; they run in parallel.

var (
	startSimulator = authtest.Simulator
	settingsFor    = authtest.Settings
)

// signIn starts an attempt and lets act respond to each event; it returns
// the events' kinds and the last event.
func signIn(t *testing.T, s auth.Settings, act func(e auth.Event) (stop bool)) (kinds []string, last auth.Event) {
	t.Helper()
	engine, err := auth.NewPasswordless(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream := engine.Start(ctx)
	for e := range stream {
		kinds = append(kinds, string(e.Kind))
		last = e
		if act(e) || e.Kind == auth.EventApproved {
			break
		}
	}
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("no outcome in 20 s; events: %v", kinds)
	}
	cancel()
	for range stream {
		// after cancelling, the engine may still hand over an event it was sending
	}
	return kinds, last
}

// approveAs approves each new code as the persona with its PIN.
func approveAs(t *testing.T, srv *simulator.Server, persona, pin string) func(auth.Event) bool {
	return func(e auth.Event) bool {
		if e.Kind == auth.EventQRReady {
			if err := srv.Approve(e.QR.URI, persona, pin); err != nil {
				t.Errorf("approving as %s: %v", persona, err)
				return true
			}
		}
		return false
	}
}

func TestSignInAgainstSimulator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, persona, pin string
		settings           func(*auth.Settings)
		opts               simulator.Options
		check              func(t *testing.T, id auth.Identity)
	}{
		{
			name: "IOE, /oauth2/token, Basic, with ID token", persona: "ioe", pin: "1234",
			check: func(t *testing.T, id auth.Identity) {
				if id.Role != auth.RoleIOE || id.IOUID.Name != "GARAGE JANSEN" || id.IOEUID.AuthorisationUID != "1234567890B" {
					t.Errorf("identity = %+v", id)
				}
			},
		},
		{
			name: "RSSE, /oauth2/token.json, client secret in the form", persona: "rsse", pin: "2345",
			settings: func(s *auth.Settings) { s.TokenPath, s.ClientAuth = "/oauth2/token.json", auth.ClientAuthPost },
			check: func(t *testing.T, id auth.Identity) {
				if id.Role != auth.RoleRSSE || id.RSSEUID == nil || id.RSSEUID.AuthorisationUID != "9876543210D" || id.IOUID.Name != "GARAGE JANSEN" {
					t.Errorf("identity = %+v", id)
				}
			},
		},
		{
			name: "tax id outside VAT format, no ID token", persona: "ioe-non-vat", pin: "3456",
			opts: simulator.Options{OmitIDToken: true},
			check: func(t *testing.T, id auth.Identity) {
				if id.IOUID.TaxIDIsVAT || id.IOUID.TaxID != "HRB-PRIVATE-0815" {
					t.Errorf("iouid = %+v", id.IOUID)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startSimulator(t, tt.opts)
			s := settingsFor(srv)
			if tt.settings != nil {
				tt.settings(&s)
			}
			kinds, last := signIn(t, s, approveAs(t, srv, tt.persona, tt.pin))
			if last.Kind != auth.EventApproved {
				t.Fatalf("events %v, want approval", kinds)
			}
			tt.check(t, last.Session.Identity)
			if last.Session.AccessToken == "" || last.Session.ExpiresAt.IsZero() {
				t.Errorf("session lacks its token or expiry")
			}
		})
	}
}

// refusedWith signs in expecting a refusal and returns its detail.
func refusedWith(t *testing.T, srv *simulator.Server, act func(auth.Event) bool) string {
	t.Helper()
	kinds, last := signIn(t, settingsFor(srv), func(e auth.Event) bool {
		return act(e) || e.Kind == auth.EventRefused || e.Kind == auth.EventFailed
	})
	if last.Kind != auth.EventRefused || last.Message != auth.MsgRefused {
		t.Fatalf("events %v (last %s %s), want refused", kinds, last.Kind, last.Message)
	}
	return last.Err.Detail
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	t.Run("revoked person", func(t *testing.T) {
		t.Parallel()
		srv := startSimulator(t, simulator.Options{})
		detail := refusedWith(t, srv, func(e auth.Event) bool {
			if e.Kind == auth.EventQRReady {
				if err := srv.Approve(e.QR.URI, "revoked", "4567"); err == nil {
					t.Error("the simulator approved a revoked person")
				}
			}
			return false
		})
		if !strings.Contains(detail, "access_denied") {
			t.Errorf("detail %q", detail)
		}
	})
	t.Run("person presses deny", func(t *testing.T) {
		t.Parallel()
		srv := startSimulator(t, simulator.Options{})
		refusedWith(t, srv, func(e auth.Event) bool {
			if e.Kind == auth.EventQRReady {
				if err := srv.Deny(e.QR.URI); err != nil {
					t.Error(err)
				}
			}
			return false
		})
	})
	t.Run("chain authorisation works once", func(t *testing.T) {
		t.Parallel()
		srv := startSimulator(t, simulator.Options{})
		if _, last := signIn(t, settingsFor(srv), approveAs(t, srv, "rsse", "2345")); last.Kind != auth.EventApproved {
			t.Fatalf("first RSSE sign-in: %s", last.Kind)
		}
		refusedWith(t, srv, func(e auth.Event) bool {
			if e.Kind == auth.EventQRReady {
				_ = srv.Approve(e.QR.URI, "rsse", "2345") // refused: already used
			}
			return false
		})
	})
}

func TestFailuresAgainstSimulator(t *testing.T) {
	t.Parallel()
	t.Run("wrong client secret", func(t *testing.T) {
		t.Parallel()
		srv := startSimulator(t, simulator.Options{})
		s := settingsFor(srv)
		s.ClientSecret = "wrong"
		_, last := signIn(t, s, func(e auth.Event) bool { return e.Kind == auth.EventFailed })
		if last.Message != auth.MsgClientRejected {
			t.Errorf("last event %s %s, want client_rejected", last.Kind, last.Message)
		}
	})
	t.Run("ID token from another issuer", func(t *testing.T) {
		t.Parallel()
		srv := startSimulator(t, simulator.Options{})
		s := settingsFor(srv)
		s.JWKSURL = srv.URL + "/oauth2/keys"
		s.IDTokenIssuer = "https://auth.digidentity.eu"
		_, last := signIn(t, s, func(e auth.Event) bool {
			approveAs(t, srv, "ioe", "1234")(e)
			return e.Kind == auth.EventFailed
		})
		if last.Kind != auth.EventFailed || last.Message != auth.MsgIdentityInvalid {
			t.Errorf("last event %s %s, want identity_invalid", last.Kind, last.Message)
		}
	})
}

func TestFaultsAgainstSimulator(t *testing.T) {
	t.Parallel()
	t.Run("server errors then recovery", func(t *testing.T) {
		t.Parallel()
		srv := startSimulator(t, simulator.Options{})
		srv.SetFaults(simulator.Faults{ServerErrors: 2, Only: "authorize"})
		kinds, last := signIn(t, settingsFor(srv), approveAs(t, srv, "ioe", "1234"))
		if want := "offline offline qr_ready"; !strings.HasPrefix(strings.Join(kinds, " "), want) || last.Kind != auth.EventApproved {
			t.Errorf("events %v, want %q then approval", kinds, want)
		}
	})
	t.Run("slow_down", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		var polls []time.Time
		srv := startSimulator(t, simulator.Options{OnTokenRequest: func(r simulator.TokenRequest) {
			mu.Lock()
			defer mu.Unlock()
			polls = append(polls, r.At)
		}})
		srv.SetFaults(simulator.Faults{SlowDowns: 1})
		_, last := signIn(t, settingsFor(srv), approveAs(t, srv, "ioe", "1234"))
		if last.Kind != auth.EventApproved {
			t.Fatalf("last event %s", last.Kind)
		}
		mu.Lock()
		defer mu.Unlock()
		// After slow_down the interval is 1 s + 5 s.
		if len(polls) != 2 || polls[1].Sub(polls[0]) < 6*time.Second-100*time.Millisecond {
			t.Errorf("polls at %v: want slow_down, then the token 6 s later", polls)
		}
	})
}
