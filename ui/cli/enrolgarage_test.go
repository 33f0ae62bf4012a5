package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/audit"
	"github.com/workshop-login/workshop-login/platform/sessionstore"
)

var approveIOE = url.Values{"persona": {"ioe"}, "pin": {"1234"}, "decision": {"approve"}}

func needKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("WORKSHOP_LOGIN_KEYRING_TEST") != "1" {
		t.Skip("the credential's keyring step needs a Secret Service (make test runs one)")
	}
}

// forgetKioskKey leaves this user's keyring without a kiosk key.
func forgetKioskKey(t *testing.T) {
	t.Helper()
	_ = sessionstore.New().DeleteKioskKey()
}

// `workshop-login enrol --relay URL` with no key, at a relay whose garages
// enrol their own kiosks: the terminal shows an enrolment code, the
// technician approves it, and the credential is in the keyring, recorded in
// the audit log; the kiosk then signs in with it.
func TestEnrolFromTheTerminalWithTheGaragesApproval(t *testing.T) {
	needKeyring(t)
	forgetKioskKey(t)
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	sim := authtest.Simulator(t, simulator.Options{})
	r := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: authtest.NewRelayKeys(t),
		Enrolment: relay.EnrolmentConfig{BindToGarage: true}})
	cfg := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfg, []byte("[trust_centre]\npoll_interval = \"1s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pr, pw := io.Pipe()
	lines := make(chan string, 1000)
	go approveFromScreen(t, pr, approveIOE, lines)
	var out strings.Builder
	f := &Factory{In: strings.NewReader(""), Out: &out, Err: pw}
	code := Run(ctx, f, []string{"enrol", "--relay", r.URL, "--name", "werkplaats-1", "--config", cfg})
	pw.Close()
	var screen []string
	for l := range lines {
		screen = append(screen, l)
	}
	if code != 0 || !strings.Contains(out.String(), "Enrolled: werkplaats-1 of GARAGE JANSEN, code ") {
		t.Fatalf("enrol with the garage's approval: exit %d\n%s\n%s", code, out.String(), strings.Join(screen, "\n"))
	}
	if !strings.Contains(strings.Join(screen, "\n"), "a technician of your garage scans this code") {
		t.Errorf("the terminal did not say who scans the code:\n%s", strings.Join(screen, "\n"))
	}
	cred, err := f.Sessions().KioskKey()
	if err != nil || !strings.HasPrefix(cred.Reveal(), relayapi.CredentialPrefix) {
		t.Fatalf("the keyring holds no credential: %v", err)
	}
	path, _ := audit.DefaultPath()
	entries, err := audit.Open(path).Latest(5)
	if err != nil || len(entries) == 0 || entries[0].Event != "enrolled" || !strings.Contains(entries[0].Detail, "GARAGE JANSEN") ||
		!strings.Contains(entries[0].Detail, "1234567890B") {
		t.Errorf("the audit log's latest entries %+v (%v), want the enrolment with the garage and the approver", entries, err)
	}
	s := authtest.Settings(sim)
	p, err := auth.NewRelayed(auth.RelaySettings{URL: r.URL, KioskKey: cred}, s)
	if err != nil {
		t.Fatal(err)
	}
	for e := range p.Start(ctx) {
		if e.Kind == auth.EventQRReady {
			_ = sim.Approve(e.QR.URI, "ioe", "1234")
		}
		if e.Kind == auth.EventApproved {
			cancel()
		}
	}
}

// kill -9 at any moment of an enrolment leaves either no credential or a
// whole one the relay accepts: never half an enrolment.
func TestKillDuringEnrolmentLeavesNoHalfEnrolledKiosk(t *testing.T) {
	needKeyring(t)
	sim := authtest.Simulator(t, simulator.Options{})
	r := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: authtest.NewRelayKeys(t)})
	for _, when := range []string{"code on screen", "just approved"} {
		forgetKioskKey(t)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperEnrolProcess$")
		cmd.Env = append(os.Environ(), "WORKSHOP_LOGIN_HELPER_ENROL="+r.URL, "XDG_DATA_HOME="+t.TempDir())
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		seen := false
		for sc.Scan() {
			uri, ok := strings.CutPrefix(sc.Text(), "Code address: ")
			if !ok {
				continue
			}
			seen = true
			if when == "just approved" {
				resp, err := http.PostForm(uri, approveIOE)
				if err == nil {
					resp.Body.Close()
				}
			}
			break
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if !seen {
			t.Fatalf("%s: the enrolling process showed no code", when)
		}
		cred, err := sessionstore.New().KioskKey()
		switch {
		case errors.Is(err, sessionstore.ErrNotEnrolled):
		case err != nil:
			t.Errorf("%s: the keyring: %v", when, err)
		default:
			p, _ := auth.NewRelayed(auth.RelaySettings{URL: r.URL, KioskKey: cred}, authtest.Settings(sim))
			if _, err := p.Relay().Whoami(context.Background()); err != nil {
				t.Errorf("%s: killed with a credential in the keyring the relay refuses: %v", when, err)
			}
		}
	}
}

// TestHelperEnrolProcess is the program enrolling, for the test above to
// kill; it does nothing in a normal run.
func TestHelperEnrolProcess(t *testing.T) {
	relayURL := os.Getenv("WORKSHOP_LOGIN_HELPER_ENROL")
	if relayURL == "" {
		return
	}
	f := &Factory{In: strings.NewReader(""), Out: os.Stdout, Err: os.Stdout}
	os.Exit(Run(context.Background(), f, []string{"enrol", "--relay", relayURL, "--name", "werkplaats-9"}))
}

// After a two-step rotation the window's first question to the relay (where
// is this kiosk?) brings back the credential sealed under the new key, which
// replaces the old one in the keyring and in the engine.
func TestWindowKeepsTheCredentialTheRelaySealedAgain(t *testing.T) {
	needKeyring(t)
	forgetKioskKey(t)
	sim := authtest.Simulator(t, simulator.Options{})
	keys := authtest.NewRelayKeys(t)
	before := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: keys})
	got, err := authtest.Enrol(t, before.URL, sim, "werkplaats-1", "ioe", "1234")
	if err != nil {
		t.Fatal(err)
	}
	next, err := relay.NewSealKey("s2")
	if err != nil {
		t.Fatal(err)
	}
	old := keys.Seal
	old.RetiredAt = time.Now()
	after := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: keys,
		Sealing: &relay.SealerConfig{Current: next, Previous: []relay.SealKey{old}}})
	store := sessionstore.New()
	if err := store.SaveKioskKey(got.Credential); err != nil {
		t.Fatal(err)
	}
	engine, err := auth.NewRelayed(auth.RelaySettings{URL: after.URL, KioskKey: got.Credential}, authtest.Settings(sim))
	if err != nil {
		t.Fatal(err)
	}
	e := &windowEnrolment{relayURL: after.URL, rc: engine.Relay(), keyring: store, log: (&Factory{}).Logger(false)}
	place, err := e.Place(context.Background())
	if err != nil || place.GarageName != "GARAGE JANSEN" {
		t.Fatalf("where the kiosk is: %+v, %v", place, err)
	}
	kept, err := store.KioskKey()
	if err != nil || kept == got.Credential || !strings.HasPrefix(kept.Reveal(), relayapi.CredentialPrefix) {
		t.Fatalf("the keyring after the renewal holds a new credential: %v (%v)", kept != got.Credential, err)
	}
	// The old key removed from the keys file: only the renewed one works.
	pruned := authtest.StartEnrolReplica(t, sim, authtest.EnrolRelay{Keys: keys, Sealing: &relay.SealerConfig{Current: next}})
	for cred, want := range map[auth.Secret]bool{got.Credential: false, kept: true} {
		p, _ := auth.NewRelayed(auth.RelaySettings{URL: pruned.URL, KioskKey: cred}, authtest.Settings(sim))
		if _, err := p.Relay().Whoami(context.Background()); (err == nil) != want {
			t.Errorf("after the old key's removal, the renewed credential %v: %v", cred == kept, err)
		}
	}
}
