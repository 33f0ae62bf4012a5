package terminal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/assets"
	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/ui/terminal"
)

func setup(t *testing.T) (*simulator.Server, *auth.Passwordless, *terminal.Login, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	srv := authtest.Simulator(t, simulator.Options{})
	engine, err := auth.NewPasswordless(authtest.Settings(srv))
	if err != nil {
		t.Fatal(err)
	}
	en, err := assets.LoadCatalogue("en")
	if err != nil {
		t.Fatal(err)
	}
	var screen, result bytes.Buffer
	return srv, engine, &terminal.Login{Screen: &screen, Result: &result, Messages: en}, &screen, &result
}

// approver answers the first pending code once it appears.
func approver(srv *simulator.Server, answer func(uri string) error) {
	for i := 0; i < 200; i++ {
		if uris := srv.PendingQRCodeURIs(); len(uris) > 0 {
			_ = answer(uris[0])
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestOfflineThenSignedIn(t *testing.T) {
	srv, engine, login, screen, result := setup(t)
	srv.SetFaults(simulator.Faults{ServerErrors: 1, Only: "authorize"})
	go approver(srv, func(uri string) error { return srv.Approve(uri, "rsse", "2345") })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	session, err := login.Run(ctx, engine)
	if err != nil {
		t.Fatalf("%v\n%s", err, screen)
	}
	text := screen.String()
	// The first back-off is 1-2 s: the line rounds up to whole seconds.
	if !strings.Contains(text, "No connection to Digidentity: trying again in 2 s") {
		t.Errorf("no offline line:\n%s", text)
	}
	if !strings.Contains(text, "Code address: "+srv.URL+"/sim/login/") || !strings.Contains(text, "Signed in") {
		t.Errorf("screen:\n%s", text)
	}
	var id auth.Identity
	if err := json.Unmarshal(result.Bytes(), &id); err != nil || id.Role != auth.RoleRSSE || id.Sub != session.Identity.Sub {
		t.Errorf("result %s (%v)", result, err)
	}
	if strings.Contains(result.String(), session.AccessToken.Reveal()) {
		t.Error("the result holds the access token")
	}
}

func TestRefusalEndsTheRun(t *testing.T) {
	srv, engine, login, screen, result := setup(t)
	go approver(srv, srv.Deny)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := login.Run(ctx, engine)
	if !errors.Is(err, terminal.ErrRefused) || auth.KeyOf(err) != auth.MsgRefused || result.Len() != 0 {
		t.Errorf("err %v, result %q\n%s", err, result, screen)
	}
}

// scripted is a SignIn that reports the given events, then closes.
type scripted []auth.Event

func (s scripted) Start(ctx context.Context) <-chan auth.Event {
	ch := make(chan auth.Event)
	go func() {
		defer close(ch)
		for _, e := range s {
			select {
			case ch <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// A code whose lifetime is not known yet has no end to print; one that has
// an end says when.
func TestValidUntilOnlyWhenKnown(t *testing.T) {
	en, err := assets.LoadCatalogue("en")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	session := &auth.Session{Identity: auth.Identity{Sub: "someone"}}
	var screen, result bytes.Buffer
	login := &terminal.Login{Screen: &screen, Result: &result, Messages: en}
	_, err = login.Run(context.Background(), scripted{
		{Kind: auth.EventQRReady, At: at, Message: auth.MsgScanCode, QR: auth.QRCode{URI: "http://127.0.0.1/sim/login/a", IssuedAt: at}},
		{Kind: auth.EventQRReady, At: at.Add(time.Minute), Message: auth.MsgCodeExpired,
			QR: auth.QRCode{URI: "http://127.0.0.1/sim/login/b", IssuedAt: at.Add(time.Minute), ExpiresAt: at.Add(2 * time.Minute)}},
		{Kind: auth.EventSigningIn, At: at.Add(70 * time.Second), Message: auth.MsgSigningIn},
		{Kind: auth.EventApproved, At: at.Add(71 * time.Second), Message: auth.MsgSignedIn, Session: session},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := screen.String()
	for _, want := range []string{
		"09:00:00  Scan this code with the Digidentity app\n",
		"09:01:00  Code expired: here is a new one (valid until 09:02:00)\n",
		"09:01:10  Approved on your phone: signing you in…\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no line %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, "00:00:00") || strings.Count(text, "valid until") != 1 {
		t.Errorf("a code without an end printed one:\n%s", text)
	}
}
