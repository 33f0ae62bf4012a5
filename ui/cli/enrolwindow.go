package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/platform/config"
	"github.com/workshop-login/workshop-login/platform/paths"
	"github.com/workshop-login/workshop-login/platform/sessionstore"
	"github.com/workshop-login/workshop-login/ui/state"
)

// windowEnrolment is the window's enrolment at its relay (state.Enrolment):
// auth.Enroller for the code, the keyring for the credential, and the
// engine's relay client, which signs in with it from then on. The
// demonstration's relay (make run) has no keyring entry: its credential
// goes to the file kept, beside the relay's kept sealing key.
type windowEnrolment struct {
	relayURL, name string
	settings       auth.Settings
	rc             *auth.RelayClient
	keyring        *sessionstore.Store
	kept           string
	log            *slog.Logger
}

// enrolmentFor offers enrolment on a relay, and says whether the kiosk
// must enrol before anyone signs in: it has no key, and the relay lets its
// garage enrol it. The embedded relay (make run) always starts so.
func enrolmentFor(ctx context.Context, cfg config.Config, tc *TrustCentre, keyring *sessionstore.Store, log *slog.Logger) (state.Enrolment, bool) {
	rc := tc.Engine.Relay()
	if rc == nil {
		return nil, false
	}
	e := &windowEnrolment{relayURL: rc.URL(), name: cfg.Kiosk.Name, settings: tc.Settings, rc: rc, keyring: keyring, log: log}
	if !relay.ValidEnrolName(e.name) {
		e.name = defaultKioskName()
	}
	if tc.Relay != nil {
		// The default run shows the garage's enrolment at its first start;
		// from then on the kept credential opens at the relay.
		e.keyring, e.kept = nil, demoKept(demoCredential)
		if cred := e.readKept(); cred != "" {
			rc.SetKey(cred)
			asked, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if _, err := rc.Whoami(asked); err == nil {
				return e, false
			}
			log.Info("the kept demonstration credential is not accepted; the kiosk enrols again")
		}
		rc.SetKey("")
		return e, true
	}
	if _, err := keyring.KioskKeyFor(e.relayURL); err == nil {
		return e, false
	}
	return e, garagePolicy(ctx, e.relayURL, tc.Settings)
}

func (e *windowEnrolment) Place(ctx context.Context) (relayapi.KioskPlace, error) {
	who, err := e.rc.Whoami(ctx)
	if err != nil {
		return relayapi.KioskPlace{}, err
	}
	if who.Credential != "" && e.kept != "" {
		e.keep(auth.Secret(who.Credential))
		e.rc.SetKey(auth.Secret(who.Credential))
	}
	if who.Credential != "" && e.keyring != nil {
		// A key rotation made the kept credential old: keep the new one.
		if err := e.keyring.SaveKioskKeyFor(e.relayURL, auth.Secret(who.Credential)); err != nil {
			e.log.Warn("the renewed kiosk credential could not be kept; the old one works until its key is removed", "error", err)
		} else {
			e.rc.SetKey(auth.Secret(who.Credential))
			e.log.Info("kept the kiosk credential the relay sealed again under its current key")
		}
	}
	return who.KioskPlace, nil
}

func (e *windowEnrolment) Enrol(ctx context.Context, show func(auth.EnrolCode)) (relayapi.KioskPlace, error) {
	enroller, err := auth.NewEnroller(e.relayURL, e.name, e.settings)
	if err != nil {
		return relayapi.KioskPlace{}, err
	}
	got, err := enroller.Enrol(ctx, show)
	if err != nil {
		return relayapi.KioskPlace{}, err
	}
	// One keyring call holds the whole credential: a kiosk stopped before
	// it is simply not enrolled.
	if e.keyring != nil {
		if err := e.keyring.SaveKioskKeyFor(e.relayURL, got.Credential); err != nil {
			return relayapi.KioskPlace{}, fmt.Errorf("the keyring did not keep the kiosk's credential (unlock it, then enrol again): %w", err)
		}
	}
	if e.kept != "" {
		e.keep(got.Credential)
	}
	e.rc.SetKey(got.Credential)
	e.log.Info("kiosk enrolled", "kiosk", got.Kiosk.Kiosk, "garage", got.Kiosk.Garage, "approved_by", got.Kiosk.ApprovedBy,
		"at", got.Kiosk.EnrolledAt.Format(time.RFC3339))
	return got.Kiosk.KioskPlace, nil
}

// The demonstration's kept files, in the state folder: its relays' sealing
// keys and the credential its first relay sealed.
const demoCredential = "demo-kiosk.credential"

func demoRelayKeys(n int) string { return fmt.Sprintf("demo-relay-%d.keys", n+1) }

// demoKept is the path of a kept file of the demonstration, "" when the
// system names no state folder (nothing is kept then).
func demoKept(name string) string {
	path, err := paths.State(name)
	if err != nil {
		return ""
	}
	return path
}

// readKept is the demonstration's kept credential, "" when there is none.
func (e *windowEnrolment) readKept() auth.Secret {
	b, err := os.ReadFile(e.kept)
	if err != nil {
		return ""
	}
	return auth.Secret(strings.TrimSpace(string(b)))
}

// keep writes the demonstration's credential; without it the next run
// enrols again, which the log says.
func (e *windowEnrolment) keep(cred auth.Secret) {
	err := os.MkdirAll(filepath.Dir(e.kept), 0o700)
	if err == nil {
		err = os.WriteFile(e.kept, []byte(cred.Reveal()+"\n"), 0o600)
	}
	if err != nil {
		e.log.Warn("the demonstration's credential is not kept: the next run enrols the kiosk again", "error", err)
	}
}
