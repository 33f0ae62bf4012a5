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
