package weblogin_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
)

// oidcProvider starts panva/oidc-provider (npm, installed by make test into
// auth/weblogin/testdata/oidc-provider) on loopback and returns its issuer.
func oidcProvider(t *testing.T, productScope string) string {
	t.Helper()
	dir := filepath.Join("testdata", "oidc-provider")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider")); err != nil {
		if os.Getenv("WORKSHOP_LOGIN_OIDC_PROVIDER_TEST") == "1" {
			t.Fatal("oidc-provider is not installed: make test runs npm ci in auth/weblogin/testdata/oidc-provider")
		}
		t.Skip("oidc-provider is not installed; make test installs it")
	}
	_, port, _ := strings.Cut(authtest.FreeLoopbackAddr(t), ":")
	cmd := exec.Command("node", "server.mjs", port, productScope)
	cmd.Dir = dir
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if issuer, ok := strings.CutPrefix(scanner.Text(), "listening "); ok {
				ready <- issuer
			}
		}
	}()
	select {
	case issuer := <-ready:
		return issuer
	case <-time.After(20 * time.Second):
		t.Fatalf("oidc-provider did not start:\n%s", stderr.String())
		return ""
	}
}

// The web login against an OpenID provider nobody on this project wrote:
// its own login and consent pages, keys, ID tokens and user info.
func TestWebLoginAgainstOIDCProvider(t *testing.T) {
	const productScope = "e9x4a6m254p663l4"
	issuer := oidcProvider(t, productScope)
	for _, client := range []struct {
		id, secret string
		method     auth.ClientAuth
	}{{"workshop-login", "oidc-provider-test-secret", auth.ClientAuthBasic}, {"workshop-login-public", "", auth.ClientAuthNone}} {
		t.Run(string(client.method), func(t *testing.T) {
			s := auth.DefaultSettings(auth.EnvPreproduction)
			s.Issuer, s.WebAuthorizePath, s.TokenPath, s.UserInfoPath = issuer, "/auth", "/token", "/me"
			s.ClientID, s.ClientSecret, s.ClientAuth, s.ProductScope = client.id, auth.Secret(client.secret), client.method, productScope
			events := webSignInAt(t, s, auth.EnvPreproduction, func(b *authtest.Browser, addr string) {
				login := b.Open(addr)
				if !strings.Contains(login.Body, `name="login"`) {
					t.Fatalf("no login form at %s:\n%s", login.URL, login.Body)
				}
				back := b.Submit(login, map[string]string{"login": "e2x0a6mp-37l0-42ps-94ef-u69755438d3o", "password": "any"})
				if strings.Contains(back.Body, `value="consent"`) {
					back = b.Submit(back, nil)
				}
				if !strings.Contains(back.Body, "text of auth.web_return") {
					t.Errorf("the browser ended on %s (HTTP %d):\n%s", back.URL, back.Status, back.Body)
				}
			})
			e := last(t, events)
			if e.Kind != auth.EventApproved {
				t.Fatalf("ended with %s %s: %v", e.Kind, e.Message, e.Err)
			}
			id := e.Session.Identity
			if id.Sub != "e2x0a6mp-37l0-42ps-94ef-u69755438d3o" || id.IOUID.Name != "GARAGE JANSEN" || id.AuthorisationUID() != "1234567890B" {
				t.Errorf("identity %+v", id)
			}
		})
	}
}
