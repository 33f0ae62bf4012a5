package relaycmd

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// relayConfig writes a relay.toml for sim in a fresh folder.
func relayConfig(t *testing.T, sim *simulator.Server) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "relay.toml")
	config := fmt.Sprintf(`listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:8780"
kiosks_file = "kiosks"
drain_time = "200ms"
[trust_centre]
environment = "simulator"
issuer = %q
client_id = %q
client_secret_file = "client_secret"
product_scope = %q
[sealing]
keys_file = "seal.keys"
[signing]
keys_file = "signing.pem"
audience = "urn:test:tools"
`, sim.URL, simulator.DefaultClientID, simulator.DefaultProductScope)
	for name, content := range map[string]string{"relay.toml": config, "client_secret": simulator.DefaultClientSecret + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func run(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	var out, errs bytes.Buffer
	code := Run(ctx, args, &out, &errs)
	return code, out.String(), errs.String()
}

func TestAdministratorsCommands(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	cfg := relayConfig(t, sim)
	dir := filepath.Dir(cfg)
	if code, _, errs := run(t, context.Background(), "new-keys", "--config", cfg); code != 0 {
		t.Fatalf("new-keys: %d %s", code, errs)
	}
	seal, err := relay.ReadSealKeys(filepath.Join(dir, "seal.keys"))
	if err != nil || len(seal) != 1 || !seal[0].RetiredAt.IsZero() {
		t.Fatalf("the first keys are %d (%v): want one current sealing key", len(seal), err)
	}
	signing, err := relay.ReadSigningKeys(filepath.Join(dir, "signing.pem"))
	if err != nil || len(signing) != 1 {
		t.Fatalf("the first signing keys are %d (%v): want one", len(signing), err)
	}
	code, key, errs := run(t, context.Background(), "add-kiosk", "garage-jansen-1", "--config", cfg)
	key = strings.TrimSpace(key)
	if code != 0 || !strings.HasPrefix(key, "wlk_") || !strings.Contains(errs, "workshop-login enrol") {
		t.Fatalf("add-kiosk: %d %q %s", code, key, errs)
	}
	if code, _, _ := run(t, context.Background(), "add-kiosk", "garage-jansen-1", "--config", cfg); code != exitUsage {
		t.Errorf("adding the same kiosk twice: exit %d", code)
	}
	stored, _ := os.ReadFile(filepath.Join(dir, "kiosks"))
	if strings.Contains(string(stored), key) {
		t.Error("the kiosks file holds the key itself, not its hash")
	}

	// Serve: the kiosk's key is accepted; removing its line revokes it.
	ctx, cancel := context.WithCancel(context.Background())
	out := &authtest.Buffer{}
	logs := &authtest.Buffer{}
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"--config", cfg}, out, logs) }()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if line, ok := strings.CutPrefix(out.String(), "relay at "); ok {
			base, _, _ = strings.Cut(line, " ")
		}
	}
	if base == "" {
		t.Fatalf("the relay did not say where it listens:\n%s", logs)
	}
	status := func() int {
		req, _ := http.NewRequest(http.MethodGet, base+relayapi.PathKiosk, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status(); got != http.StatusOK {
		t.Fatalf("an enrolled kiosk gets %d", got)
	}
	if code, _, errs := run(t, context.Background(), "remove-kiosk", "garage-jansen-1", "--config", cfg); code != 0 {
		t.Fatalf("remove-kiosk: %d %s", code, errs)
	}
	deadline := time.Now().Add(5 * time.Second)
	for status() != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("a removed kiosk is still accepted after 5 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("the relay stopped with %d", code)
	}
}

// A mistake in relay.toml is worded as the kiosk's configuration words its
// own: the file, the key, what is wrong; what to do.
func TestRelayRefusesABadConfiguration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.toml")
	for doc, want := range map[string]string{
		"public_url = \"https://relay.example.com\"\nkiosks_file = \"k\"\n": ": sealing.keys_file: is missing; name the file that workshop-login relay new-keys writes",
		"publik_url = \"https://relay.example.com\"\n":                      ": publik_url: is not a known setting; check its spelling",
		"public_url = \"http://relay.example.com\"\nkiosks_file = \"k\"\n[sealing]\nkeys_file = \"s\"\n[signing]\nkeys_file = \"p\"\naudience = \"a\"\n":                        `: public_url: "http://relay.example.com" is not https; use https://`,
		"enrolment = \"open\"\npublic_url = \"https://relay.example.com\"\nkiosks_file = \"k\"\n[sealing]\nkeys_file = \"s\"\n[signing]\nkeys_file = \"p\"\naudience = \"a\"\n": `: enrolment: "open" is not a policy; use "admin"`,
	} {
		os.WriteFile(path, []byte(doc), 0o600)
		if code, _, errs := run(t, context.Background(), "--config", path); code != exitConfig || !strings.Contains(errs, "workshop-login relay: "+path+want) {
			t.Errorf("%q: exit %d: %s, want %s%s", doc, code, errs, path, want)
		}
	}
}

// With tls_cert and tls_key the relay serves HTTPS itself.
func TestRelayServesHTTPS(t *testing.T) {
	sim := authtest.Simulator(t, simulator.Options{})
	cfg := relayConfig(t, sim)
	dir := filepath.Dir(cfg)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	f, _ := os.OpenFile(cfg, os.O_RDWR, 0)
	body, _ := io.ReadAll(f)
	f.Close()
	os.WriteFile(cfg, []byte("tls_cert = \"tls.crt\"\ntls_key = \"tls.key\"\n"+string(body)), 0o600)
	if code, _, errs := run(t, context.Background(), "new-keys", "--config", cfg); code != 0 {
		t.Fatal(errs)
	}
	os.WriteFile(filepath.Join(dir, "kiosks"), nil, 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, logs := &authtest.Buffer{}, &authtest.Buffer{}
	go Run(ctx, []string{"--config", cfg}, out, logs)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if line, ok := strings.CutPrefix(out.String(), "relay at "); ok {
			base, _, _ = strings.Cut(line, " ")
		}
	}
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("the relay says %q:\n%s", out.String(), logs)
	}
	pool := x509.NewCertPool()
	cert, _ := x509.ParseCertificate(der)
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(base + relayapi.PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Errorf("healthz over TLS: %d", resp.StatusCode)
	}
}

// relay.toml's [trust_centre] is read with the kiosk's key table: a wrong
// value or an unknown key is named as the kiosk's file names it.
func TestRelayNamesAWrongTrustCentreSettingAsTheKioskDoes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.toml")
	t.Setenv(relay.ClientSecretEnv, "secret")
	for body, want := range map[string]string{
		"max_code_age = \"5s\"\n":       path + ": trust_centre.max_code_age: ",
		"max_code_age = 5\n":            path + ": trust_centre.max_code_age: ",
		"poll_interval = \"2s\"\n":      path + `: trust_centre.poll_interval: is not a known setting`,
		"environment = \"staging\"\n":   path + `: trust_centre.environment: "staging" is not an environment; use production`,
		"client_secret_file = \"no\"\n": path + `: trust_centre.client_secret_file: cannot be read`,
	} {
		os.WriteFile(path, []byte("public_url = \"https://relay.example.com\"\nkiosks_file = \"k\"\n"+
			"[sealing]\nkeys_file = \"s\"\n[signing]\nkeys_file = \"p\"\naudience = \"urn:a\"\n[trust_centre]\nclient_id = \"c\"\nproduct_scope = \"e9x4a6m254p663l4\"\n"+body), 0o600)
		cfg, err := relay.LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := trustCentreSettings(cfg); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %s…", strings.TrimSpace(body), err, want)
		}
	}
}
