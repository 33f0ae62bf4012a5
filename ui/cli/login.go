package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/assets"
	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/weblogin"
	"github.com/workshop-login/workshop-login/platform/config"
	"github.com/workshop-login/workshop-login/ui/terminal"
)

// LoginOptions are login's flags.
type LoginOptions struct {
	Factory    *Factory
	ConfigPath string
	Terminal   bool
	Timeout    time.Duration
	Light      bool
	Web        bool
	Verbose    bool
	// Manufacturer names the [[manufacturers]] entry to sign in to; it
	// may be left out when there is one.
	Manufacturer string
}

// NewCmdLogin is `workshop-login login`: the sign-in from a terminal, the
// identity as JSON on stdout.
func NewCmdLogin(f *Factory) *Command {
	opts := &LoginOptions{Factory: f}
	flags := newFlags("login")
	flags.StringVar(&opts.ConfigPath, "config", "", "configuration file (default: the user's config.toml; none: the embedded simulator)")
	// login is always the terminal sign-in (the window is the command-less
	// default); the flag says so in scripts.
	flags.BoolVar(&opts.Terminal, "terminal", true, "sign in from the terminal: QR code as text, identity as JSON on stdout")
	durationVar(flags, &opts.Timeout, "timeout", 0, "give up after this long (0: wait until interrupted)")
	flags.BoolVar(&opts.Light, "light-terminal", false, "draw the QR code for dark text on a light background")
	flags.BoolVar(&opts.Web, "web", false, "sign in with the browser (web login) instead of a QR code: prints the address to open")
	flags.BoolVar(&opts.Verbose, "verbose", false, "log the engine's details to stderr (never tokens)")
	flags.StringVar(&opts.Manufacturer, "manufacturer", "", "the manufacturer to sign in to, by its name in [[manufacturers]] (needed when there are several)")
	return &Command{Flags: flags, Run: func(ctx context.Context) int { return loginRun(ctx, opts) }}
}

// loginRun signs in from the terminal. Exit codes: 0 signed in, 1 refused,
// 2 failed (the Trust Centre, the simulator, the message catalogue), 3
// interrupted or --timeout passed, 64 a wrong flag value, 78 a wrong
// configuration.
func loginRun(ctx context.Context, opts *LoginOptions) int {
	f, stderr := opts.Factory, opts.Factory.Err
	switch {
	case !opts.Terminal:
		fmt.Fprintln(stderr, "workshop-login login: --terminal=false: login always signs in from the terminal; run workshop-login without a command for the window")
		return exitUsage
	case opts.Timeout < 0:
		fmt.Fprintf(stderr, "workshop-login login: --timeout must be 0 (wait until interrupted) or more, not %s\n", opts.Timeout)
		return exitUsage
	}
	logger := f.Logger(opts.Verbose)
	cfg, err := f.Config(opts.ConfigPath)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login:", err)
		return exitConfig
	}
	pick, err := pickManufacturer(&cfg, opts.Manufacturer)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login login:", err)
		return exitUsage
	}
	tc, err := f.TrustCentre(cfg, logger)
	if err != nil {
		return trustCentreFailed(stderr, err)
	}
	defer tc.Close()
	tc.announce(stderr)
	messages, err := assets.LoadCatalogue("en")
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login:", err)
		return exitFailed
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	var signIn auth.SignIn = tc.VMs[pick].Engine
	if opts.Web && tc.Several() {
		fmt.Fprintln(stderr, "workshop-login login: --web is for a kiosk of one manufacturer, set in [trust_centre]; sign in with the QR code and --manufacturer")
		return exitUsage
	}
	if opts.Web && cfg.OnRelay() {
		fmt.Fprintln(stderr, "workshop-login login: --web is not available through a relay (it needs the client secret, which stays at the relay); sign in with the QR code")
		return exitUsage
	}
	if opts.Web {
		// The address is printed by the terminal; a person or a script opens
		// it, in a browser of their choosing.
		webLogin, err := weblogin.New(tc.Settings, cfg.Environment, func(context.Context, weblogin.BrowserStart) error { return nil },
			auth.WithLogger(logger), auth.WithPrintedAddress())
		if err != nil {
			fmt.Fprintln(stderr, "workshop-login:", cfg.Explain(err))
			return exitConfig
		}
		webLogin.SetPageText(func(k auth.MessageKey) string { return messages.Text(string(k), nil) })
		signIn = webLogin
	}
	term := &terminal.Login{Screen: stderr, Result: f.Out, Messages: messages, LightBackground: opts.Light}
	_, err = term.Run(ctx, signIn)
	switch {
	case err == nil:
		return exitSignedIn
	case errors.Is(err, terminal.ErrRefused):
		fmt.Fprintln(stderr, "workshop-login:", messages.Text(string(auth.MsgRefused), nil))
		return exitRefused
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintln(stderr, "workshop-login: stopped before anyone signed in")
		return exitStopped
	default:
		fmt.Fprintln(stderr, "workshop-login:", messages.Text(string(auth.KeyOf(err)), nil))
		logger.Error("sign-in failed", "detail", err.Error())
		return exitFailed
	}
}

// pickManufacturer is the index of the manufacturer named (--manufacturer)
// among those configured; with one, it may be left out.
func pickManufacturer(cfg *config.Config, name string) (int, error) {
	names := cfg.Names()
	if demoManufacturers(cfg) {
		names = cfg.Simulator.Manufacturers
	}
	switch {
	case name == "" && len(names) > 1:
		return 0, fmt.Errorf("which manufacturer? Pass --manufacturer with one of: %s", quotedNames(names))
	case name == "":
		return 0, nil
	case len(names) == 0:
		return 0, fmt.Errorf("--manufacturer %q: no [[manufacturers]] are configured; leave --manufacturer out", name)
	}
	for i, n := range names {
		if n == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("--manufacturer %q: no manufacturer of that name is configured; use one of: %s", name, quotedNames(names))
}

func quotedNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
