package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/platform/config"
)

// EnrolOptions are enrol's flags.
type EnrolOptions struct {
	Factory    *Factory
	ConfigPath string
	RelayURL   string
	KeyFile    string
	Timeout    time.Duration
	// Name and Wait are for a relay whose garages enrol their own kiosks
	// (enrolgarage.go): what the relay will call this kiosk, and how long a
	// technician has to approve.
	Name  string
	Wait  time.Duration
	Light bool
}

// NewCmdEnrol is `workshop-login enrol`: keep the kiosk key the relay's
// administrator made (workshop-login relay add-kiosk) in the OS keyring,
// once the relay has accepted it.
func NewCmdEnrol(f *Factory) *Command {
	opts := &EnrolOptions{Factory: f}
	flags := newFlags("enrol")
	flags.StringVar(&opts.ConfigPath, "config", "", "configuration file (default: the system's and the user's config.toml)")
	flags.StringVar(&opts.RelayURL, "relay", "", "the relay's address (default: relay.url of the configuration)")
	flags.StringVar(&opts.KeyFile, "key-file", "", "read the key from this file instead of standard input")
	durationVar(flags, &opts.Timeout, "timeout", 15*time.Second, "give the relay this long to answer")
	flags.StringVar(&opts.Name, "name", "", "what the relay calls this kiosk when the garage enrols it (default: the computer's name)")
	durationVar(flags, &opts.Wait, "wait", 15*time.Minute, "give a technician this long to approve the enrolment code")
	flags.BoolVar(&opts.Light, "light", false, "draw the enrolment code for a terminal with a light background")
	return &Command{Flags: flags, Run: func(ctx context.Context) int { return enrolRun(ctx, opts) }}
}

var kioskKeyShape = regexp.MustCompile(`^wlk_[A-Za-z0-9_-]{43}$`)

// enrolRun checks the key with the relay, then keeps it. Exit codes: 0
// enrolled, 1 the relay refused the key, 2 the relay or the keyring could
// not be reached, 64 no or a malformed key or address, 78 a wrong
// configuration.
func enrolRun(ctx context.Context, opts *EnrolOptions) int {
	f, stderr := opts.Factory, opts.Factory.Err
	cfg, err := f.Config(opts.ConfigPath)
	if err != nil && opts.RelayURL == "" {
		fmt.Fprintln(stderr, "workshop-login:", err)
		return exitConfig
	}
	if err != nil {
		// Enrolling comes before the configuration names the relay: a file
		// not yet complete is no reason to refuse.
		cfg = config.Defaults()
	}
	relayURL := opts.RelayURL
	if relayURL == "" {
		relayURL = cfg.Relay.URL
	}
	if relayURL == "" {
		fmt.Fprintln(stderr, "workshop-login enrol: which relay? Pass --relay https://… or set url in the [relay] section of config.toml")
		return exitUsage
	}
	if err := auth.CheckRelayURL(relayURL); err != nil {
		fmt.Fprintln(stderr, "workshop-login enrol:", cfg.Explain(err))
		return exitUsage
	}
	key, err := readKioskKey(opts.KeyFile, f.In, stderr, func() bool { return garagePolicy(ctx, relayURL, cfg.TrustCentre) })
	if errors.Is(err, errNoKey) {
		// No key: the garage enrols this kiosk itself, if the relay lets it.
		return enrolGarage(ctx, opts, cfg, relayURL)
	}
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login enrol:", err)
		return exitUsage
	}
	engine, err := auth.NewRelayed(auth.RelaySettings{URL: relayURL, KioskKey: key}, cfg.TrustCentre)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login enrol:", cfg.Explain(err))
		return exitConfig
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	st, err := engine.Relay().Check(ctx)
	switch {
	case auth.KeyOf(err) == auth.MsgNotEnrolled:
		fmt.Fprintf(stderr, "workshop-login enrol: %s does not accept this key: check it was copied whole, or ask for a new one (workshop-login relay add-kiosk)\n", relayURL)
		return exitRefused
	case err != nil:
		fmt.Fprintf(stderr, "workshop-login enrol: the relay could not be asked: %v\n", err)
		return exitFailed
	}
	if err := f.Sessions().SaveKioskKeyFor(relayURL, key); err != nil {
		fmt.Fprintf(stderr, "workshop-login enrol: %v: unlock the login keyring (Linux: gnome-keyring or KWallet in this user's session) and run enrol again\n", err)
		return exitFailed
	}
	fmt.Fprintf(f.Out, "Enrolled: %s knows this kiosk as %q; the key is in this user's keyring.\n", relayURL, st.Kiosk)
	if cfg.Relay.URL != relayURL && !slices.ContainsFunc(cfg.Manufacturers, func(m config.Manufacturer) bool { return m.URL == relayURL }) {
		fmt.Fprintf(f.Out, "Now sign in through it: add to %s\n\n[relay]\nurl = %q\n", configFileHint(cfg, opts.ConfigPath), relayURL)
	}
	return 0
}

// errNoKey: nothing was given, and the garage may enrol the kiosk itself.
var errNoKey = errors.New("no kiosk key given")

// readKioskKey reads the key from file, else the first line of in; it
// must have the shape relay add-kiosk prints. With no file, a terminal
// whose relay lets garages enrol (selfService) and an empty input are
// errNoKey.
func readKioskKey(file string, in io.Reader, prompt io.Writer, selfService func() bool) (auth.Secret, error) {
	var line string
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		line = string(b)
	} else {
		if in == nil {
			in = os.Stdin
		}
		if f, ok := in.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				if selfService() {
					return "", errNoKey
				}
				fmt.Fprint(prompt, "Paste the kiosk key your relay's administrator gave you, then press Enter: ")
			}
		}
		read, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && read == "" {
			return "", errNoKey
		}
		line = read
	}
	key := strings.TrimSpace(line)
	if !kioskKeyShape.MatchString(key) {
		// Not quoted: whatever was pasted may be a secret of another kind.
		return "", fmt.Errorf("that is not a kiosk key: it starts with wlk_ and has 47 characters, as workshop-login relay add-kiosk printed it")
	}
	return auth.Secret(key), nil
}

func configFileHint(cfg config.Config, given string) string {
	if given != "" {
		return given
	}
	if cfg.File != "" {
		return cfg.File
	}
	if p, err := config.DefaultPath(); err == nil {
		return p
	}
	return "config.toml"
}
