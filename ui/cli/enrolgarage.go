package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/assets"
	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/relay"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
	"github.com/workshop-login/workshop-login/platform/audit"
	"github.com/workshop-login/workshop-login/platform/config"
	"github.com/workshop-login/workshop-login/ui/terminal"
)

// garagePolicy says whether the relay lets a garage enrol its own kiosks;
// a relay that cannot be asked is taken to be the administrator's way.
func garagePolicy(ctx context.Context, relayURL string, settings auth.Settings) bool {
	e, err := auth.NewEnroller(relayURL, "kiosk", settings)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := e.Policy(ctx)
	return err == nil && p == relayapi.EnrolmentGarage
}

// enrolGarage enrols the kiosk with a technician's approval of an
// enrolment QR code, then keeps the relay's credential in the keyring in
// one step: stopped before that (Ctrl+C, kill -9), the kiosk is simply not
// enrolled. Exit codes as enrolRun's.
func enrolGarage(ctx context.Context, opts *EnrolOptions, cfg config.Config, relayURL string) int {
	f, stderr := opts.Factory, opts.Factory.Err
	name := opts.Name
	if name == "" {
		name = defaultKioskName()
	}
	if !relay.ValidEnrolName(name) {
		fmt.Fprintf(stderr, "workshop-login enrol: --name %q: use 1 to 48 letters, digits, '.', '-' or '_'\n", name)
		return exitUsage
	}
	messages, err := assets.LoadCatalogue("en")
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login:", err)
		return exitFailed
	}
	enroller, err := auth.NewEnroller(relayURL, name, cfg.TrustCentre)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login enrol:", cfg.Explain(err))
		return exitConfig
	}
	switch policy, err := enroller.Policy(ctx); {
	case err != nil:
		fmt.Fprintf(stderr, "workshop-login enrol: the relay could not be asked: %v\n", err)
		return exitFailed
	case policy != relayapi.EnrolmentGarage:
		fmt.Fprintln(stderr, "workshop-login enrol: no key given, and this relay enrols kiosks through its administrator: paste the kiosk key they gave you, or pass --key-file")
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Wait)
	defer cancel()
	term := &terminal.Login{Screen: stderr, Messages: messages, LightBackground: opts.Light}
	got, err := enroller.Enrol(ctx, func(c auth.EnrolCode) { _ = term.ShowEnrolCode(c) })
	switch key := auth.KeyOf(err); {
	case err == nil:
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintln(stderr, "workshop-login enrol: stopped before a technician approved; the kiosk is not enrolled")
		return exitStopped
	case key == auth.MsgEnrolRSSE || key == auth.MsgEnrolDenied || key == auth.MsgRefused:
		fmt.Fprintln(stderr, "workshop-login enrol:", messages.Text(string(key), nil))
		return exitRefused
	default:
		fmt.Fprintf(stderr, "workshop-login enrol: %s (%v)\n", messages.Text(string(key), nil), err)
		return exitFailed
	}
	if err := f.Sessions().SaveKioskKeyFor(relayURL, got.Credential); err != nil {
		fmt.Fprintf(stderr, "workshop-login enrol: %v: unlock the login keyring (Linux: gnome-keyring or KWallet in this user's session) and run enrol again\n", err)
		return exitFailed
	}
	k := got.Kiosk
	if path, err := audit.DefaultPath(); err == nil {
		detail := fmt.Sprintf("kiosk %s (code %s) of %s at %s, approved by %s", k.Name, k.Code, k.Garage, relayURL, k.ApprovedBy)
		if err := audit.Open(path).Record("enrolled", nil, detail); err != nil {
			fmt.Fprintf(stderr, "workshop-login enrol: the audit log could not be written: %v\n", err)
		}
	}
	fmt.Fprintln(f.Out, messages.Text("ui.enrolled", map[string]string{"Name": k.Name, "Garage": k.GarageName, "Code": k.Code}))
	if cfg.Relay.URL != relayURL {
		fmt.Fprintf(f.Out, "Now sign in through it: add to %s\n\n[relay]\nurl = %q\n", configFileHint(cfg, opts.ConfigPath), relayURL)
	}
	return 0
}

var notNameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// defaultKioskName is the computer's name, made a valid kiosk name.
func defaultKioskName() string {
	host, _ := os.Hostname()
	name := strings.Trim(notNameChars.ReplaceAllString(host, "-"), "-._")
	if len(name) > 48 {
		name = name[:48]
	}
	if name == "" {
		return "kiosk"
	}
	return name
}
