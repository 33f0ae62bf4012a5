// Command workshop-login signs a technician in at a shared workshop kiosk
// with the Digidentity app and hands their SERMI identity on.
//
//	workshop-login                      the kiosk window on the configured Trust Centre
//	workshop-login login --terminal     sign in from a terminal; prints the identity as JSON
//	workshop-login simulator --listen 127.0.0.1:8787
//	                                    the Trust Centre simulator on its own, for integration work
//	workshop-login audit [-n 50]        the newest sign-ins, sign-outs, refusals and tool launches
//	workshop-login check                whether the kiosk will work on this machine
//	workshop-login version
//
// A bad input ends with one line on stderr naming what to fix, and one of
// the exit codes below (the README's "Commands and exit codes" lists them).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/workshop-login/workshop-login/assets"
	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/audit"
	"github.com/workshop-login/workshop-login/platform/browser"
	"github.com/workshop-login/workshop-login/platform/check"
	"github.com/workshop-login/workshop-login/platform/config"
	"github.com/workshop-login/workshop-login/platform/console"
	"github.com/workshop-login/workshop-login/platform/handoff"
	"github.com/workshop-login/workshop-login/platform/idle"
	"github.com/workshop-login/workshop-login/platform/runstate"
	"github.com/workshop-login/workshop-login/platform/sessionstore"
	"github.com/workshop-login/workshop-login/ui"
	"github.com/workshop-login/workshop-login/ui/terminal"
)

// Set at build time with -ldflags "-X main.version=…".
var (
	version = "dev"
	commit  = "unknown"
	date    = "unknown"
)

// Exit codes a script can act on; the README's "Commands and exit codes"
// lists them, and usageText below repeats them.
const (
	exitSignedIn  = 0  // signed in; any command that did its work, -h included
	exitRefused   = 1  // sign-in refused; check: something needs doing
	exitFailed    = 2  // could not do it (Trust Centre, simulator's address, audit log)
	exitStopped   = 3  // interrupted or timed out
	exitUsage     = 64 // EX_USAGE: an unknown command or flag, a wrong value, a stray argument
	exitNoDisplay = 69 // EX_UNAVAILABLE: the window has no display to open on
	exitConfig    = 78 // EX_CONFIG: the configuration cannot be read or is wrong
)

const usageText = `Usage:
  workshop-login [--config FILE] [--verbose]    the kiosk window
  workshop-login login [--terminal] [--web] [--config FILE] [--timeout 5m] [--light-terminal] [--verbose]
                                                sign in from a terminal; the identity as JSON on stdout
  workshop-login check [--config FILE] [--timeout 15s]
                                                whether the kiosk will work on this machine
  workshop-login audit [-n 50]                  the newest audit log entries
  workshop-login simulator [--listen 127.0.0.1:8787] ...
                                                the Trust Centre simulator on its own
  workshop-login version                        the version, commit and build date (also --version)
  workshop-login COMMAND -h                     a command's flags

Exit codes: 0 done (signed in), 1 refused (check: something needs doing), 2 failed,
3 interrupted or timed out, 64 wrong usage, 69 no display for the window, 78 wrong configuration.
`

func main() {
	if len(os.Args) > 1 {
		console.Attach() // a command, not the window: print where it was typed
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Flags before the command are the window's (--config, --verbose): they
	// go to the command that follows, whose own flags accept or refuse them.
	var global []string
scan:
	for len(args) > 0 {
		arg := args[0]
		if arg == "" || arg[0] != '-' || arg == "--" {
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch name {
		case "h", "help":
			fmt.Fprint(stdout, usageText)
			return 0
		case "version":
			if len(args) > 1 || len(global) > 0 {
				fmt.Fprintln(stderr, "workshop-login: --version takes nothing else; run `workshop-login --version` on its own")
				return exitUsage
			}
			args = []string{"version"}
			break scan
		case "config":
			if !hasValue && len(args) > 1 {
				global, args = append(global, arg, args[1]), args[2:]
				continue
			}
		case "verbose":
		default:
			break scan // not a flag of the window: the window's flags say so
		}
		global, args = append(global, arg), args[1:]
	}
	command := "window"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		command, args = args[0], args[1:]
	}
	args = append(global, args...)
	switch command {
	case "window":
		return window(ctx, args, stdout, stderr)
	case "login":
		return login(ctx, args, stdout, stderr)
	case "simulator":
		return serveSimulator(ctx, args, stdout, stderr)
	case "audit":
		return printAudit(args, stdout, stderr)
	case "check":
		return checkMachine(ctx, args, stdout, stderr)
	case "version":
		flags := newFlags("version")
		if code, ok := parseFlags(flags, args, stdout, stderr); !ok {
			return code
		}
		fmt.Fprintf(stdout, "workshop-login %s (commit %s, built %s)\n", version, commit, date)
		return 0
	case "help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		if len(global) > 0 {
			fmt.Fprintf(stderr, "workshop-login: unknown command %q after %s; use login, simulator, audit, check or version, or none for the window\n", command, strings.Join(global, " "))
			return exitUsage
		}
		fmt.Fprintf(stderr, "workshop-login: unknown command %q; use login, simulator, audit, check or version, or none for the window (see workshop-login -h)\n", command)
		return exitUsage
	}
}

// newFlags is a command's flag set: parseFlags says what went wrong.
func newFlags(command string) *flag.FlagSet {
	flags := flag.NewFlagSet(command, flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	flags.Usage = func() {}
	return flags
}

// parseFlags parses a command's flags. -h prints the command's usage on
// stdout (exit 0); a wrong flag or value, or an argument the command does
// not take, is one line on stderr (exit 64). ok is whether to go on.
func parseFlags(flags *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	command := flags.Name()
	prog := "workshop-login " + command
	if command == "window" {
		prog = "workshop-login"
	}
	err := flags.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stdout, "Usage of %s:\n", prog)
		flags.SetOutput(stdout)
		flags.PrintDefaults()
		fmt.Fprint(stdout, "\nExit codes: 0 done, 1 refused (check: something needs doing), 2 failed, 3 interrupted or timed out,\n64 wrong usage, 69 no display for the window, 78 wrong configuration.\n")
		return 0, false
	case err != nil:
		fmt.Fprintf(stderr, "%s: %s (see %s -h)\n", prog, flagProblem(err), prog)
		return exitUsage, false
	case flags.NArg() > 0:
		if command == "window" {
			fmt.Fprintf(stderr, "workshop-login: unexpected argument %q; a command comes before its flags (see workshop-login -h)\n", flags.Arg(0))
		} else {
			fmt.Fprintf(stderr, "%s: unexpected argument %q; %s takes only flags (see %s -h)\n", prog, flags.Arg(0), command, prog)
		}
		return exitUsage, false
	}
	return 0, true
}

// flagProblem words the flag package's errors as what to fix.
func flagProblem(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "unknown flag " + name
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return name + " needs a value"
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		return "invalid value " + strings.TrimSuffix(rest, ": parse error") + ": write true or false"
	}
	return strings.Replace(msg, ": parse error", ": not a number", 1)
}

// durationFlag is a duration flag whose wrong values say how to write one.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("not a duration; write for example 30s or 5m")
	}
	*f.d = d
	return nil
}

func durationVar(flags *flag.FlagSet, name string, value time.Duration, usage string) *time.Duration {
	d := new(time.Duration)
	*d = value
	flags.Var(durationFlag{d}, name, usage)
	return d
}

func login(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := newFlags("login")
	configPath := flags.String("config", "", "configuration file (default: the user's config.toml; none: the embedded simulator)")
	// login is always the terminal sign-in (the window is the command-less
	// default); the flag says so in scripts.
	terminalFlag := flags.Bool("terminal", true, "sign in from the terminal: QR code as text, identity as JSON on stdout")
	timeout := durationVar(flags, "timeout", 0, "give up after this long (0: wait until interrupted)")
	light := flags.Bool("light-terminal", false, "draw the QR code for dark text on a light background")
	web := flags.Bool("web", false, "sign in with the browser (web login) instead of a QR code: prints the address to open")
	verbose := flags.Bool("verbose", false, "log the engine's details to stderr (never tokens)")
	if code, ok := parseFlags(flags, args, stdout, stderr); !ok {
		return code
	}
	switch {
	case !*terminalFlag:
		fmt.Fprintln(stderr, "workshop-login login: --terminal=false: login always signs in from the terminal; run workshop-login without a command for the window")
		return exitUsage
	case *timeout < 0:
		fmt.Fprintf(stderr, "workshop-login login: --timeout must be 0 (wait until interrupted) or more, not %s\n", *timeout)
		return exitUsage
	}
	logger := newLogger(*verbose, stderr)
	cfg, err := config.Load(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login:", err)
		return exitConfig
	}
	engine, stop, code := setUp(&cfg, logger, stderr)
	if engine == nil {
		return code
	}
	defer stop()
	messages, err := assets.LoadCatalogue("en")
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login:", err)
		return exitFailed
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	var signIn auth.SignIn = engine
	if *web {
		// The address is printed by the terminal; a person or a script opens it.
		webLogin, err := auth.NewWebLogin(cfg.TrustCentre, cfg.Environment, func(context.Context, string) error { return nil }, auth.WithLogger(logger))
		if err != nil {
			fmt.Fprintln(stderr, "workshop-login:", configError(cfg, err))
			return exitConfig
		}
		webLogin.SetPageText(func(k auth.MessageKey) string { return messages.Text(string(k), nil) })
		signIn = webLogin
	}
	term := &terminal.Login{Screen: stderr, Result: stdout, Messages: messages, LightBackground: *light}
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

// configError names the file and key of a setting the engine refused, as
// the configuration's own messages do, so that workshop-login check shows
// the same line the window stops with.
func configError(cfg config.Config, err error) error { return cfg.Explain(err) }

// setUp starts the embedded simulator when the configuration (read with
// config.Load) asks for it, and makes the engine; on failure it says why
// and returns the exit code, with a nil engine.
func setUp(cfg *config.Config, logger *slog.Logger, stderr io.Writer) (*auth.Passwordless, func(), int) {
	stop := func() {}
	if cfg.EmbeddedSimulator() {
		sim, err := startSimulator(*cfg, logger)
		if err != nil {
			fmt.Fprintln(stderr, "workshop-login: starting the simulator:", err)
			return nil, nil, exitFailed
		}
		stop = func() { sim.Close() }
		cfg.TrustCentre.Issuer = sim.URL
		fmt.Fprintf(stderr, "Simulator at %s: open the code's address in a browser to pick a test person and approve.\n", sim.URL)
	}
	engine, err := auth.NewPasswordless(cfg.TrustCentre, auth.WithLogger(logger))
	if err != nil {
		stop()
		fmt.Fprintln(stderr, "workshop-login:", configError(*cfg, err))
		return nil, nil, exitConfig
	}
	return engine, stop, 0
}

// definedIn names where key ("kiosk.admin_keys") was set: its
// WORKSHOP_LOGIN_ variable, which overrides the files, or else the file
// read last ("" when that was another variable: the message says
// "configuration").
func definedIn(cfg config.Config, key string) string {
	name := "WORKSHOP_LOGIN_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
	if _, ok := os.LookupEnv(name); ok {
		return "$" + name
	}
	if strings.HasPrefix(cfg.File, "$") {
		return ""
	}
	return cfg.File
}

// windowSettings checks the settings only the window reads (its key
// combinations), with the window's own parser, so that check refuses what
// the window would and the window refuses before it opens.
func windowSettings(cfg config.Config) error {
	keys := []struct{ key, value string }{{"kiosk.sign_out_keys", cfg.Kiosk.SignOutKeys}}
	if cfg.Kiosk.KioskMode { // the window reads admin_keys only in kiosk mode
		keys = append(keys, struct{ key, value string }{"kiosk.admin_keys", cfg.Kiosk.AdminKeys})
	}
	for _, k := range keys {
		if k.key == "kiosk.sign_out_keys" && k.value == "" {
			continue // no sign-out keys
		}
		if _, err := ui.ParseKeys(k.value); err != nil {
			return &config.Error{File: definedIn(cfg, k.key), Key: k.key, Problem: err.Error(),
				Fix: `write modifiers and one key joined by +, for example "Ctrl+Alt+Q" or "Ctrl+L"`}
		}
	}
	return nil
}

// window runs the kiosk window until it is closed (or, in kiosk mode, until
// the administrator's keys).
func window(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := newFlags("window")
	configPath := flags.String("config", "", "configuration file (default: the user's config.toml; none: the embedded simulator)")
	verbose := flags.Bool("verbose", false, "log the engine's details to stderr (never tokens)")
	if code, ok := parseFlags(flags, args, stdout, stderr); !ok {
		return code
	}
	cfg, err := config.Load(*configPath)
	if err == nil {
		err = windowSettings(cfg)
	}
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login:", err)
		return exitConfig
	}
	// Before Fyne starts: without a display GLFW ends in a stack trace.
	if why := noDisplay(); why != "" {
		fmt.Fprintf(stderr, "workshop-login: no display to open the window on (%s): run it in a desktop session, or use `workshop-login login --terminal`\n", why)
		return exitNoDisplay
	}
	logger := newLogger(*verbose, stderr)
	engine, stop, code := setUp(&cfg, logger, stderr)
	if engine == nil {
		return code
	}
	defer stop()
	a := app.NewWithID("eu.workshoplogin.kiosk")
	a.SetIcon(fyne.NewStaticResource("workshop-login.png", assets.Icon))
	kc := cfg.Kiosk
	launcherTools := make([]handoff.Tool, len(cfg.Tools))
	for i, t := range cfg.Tools {
		launcherTools[i] = handoff.Tool(t)
	}
	tools, err := handoff.NewLauncher(launcherTools, logger)
	if err != nil { // checked with the configuration already
		fmt.Fprintln(stderr, "workshop-login:", err)
		return exitConfig
	}
	// The system browser, started and waited for (no zombies), with an
	// environment cleaned of our secrets.
	opener := browser.Opener{Log: logger}
	openURL := func(u *url.URL) error { return opener.Open(ctx, u.String()) }
	desk := &handoff.Desk{Launcher: tools, OpenURL: openURL}
	record := func(string, *auth.Session, string) error { return nil }
	if path, err := audit.DefaultPath(); err != nil {
		fmt.Fprintln(stderr, "workshop-login: no audit log:", err)
	} else {
		record = audit.Open(path).Record
	}
	sessions := sessionstore.New()
	run := beginRun(sessions, tools, record, logger)
	if cfg.Portal.URL != "" {
		desk.PortalURL, _ = url.Parse(cfg.Portal.URL) // checked with the configuration
	}
	if cfg.Portal.HandoffURL != "" {
		target, _ := url.Parse(cfg.Portal.HandoffURL) // checked with the configuration
		desk.PortalHandoff = handoff.NewFormPost(target, logger)
		defer desk.PortalHandoff.Close()
	}
	var idleTime func() (time.Duration, error)
	if kc.IdleSignOut > 0 {
		if meter, err := idle.System(); err != nil {
			logger.Warn("only input to the kiosk's window counts towards the idle sign-out", "error", err)
		} else {
			defer meter.Close()
			idleTime = meter.Idle
			logger.Info("idle sign-out", "after", kc.IdleSignOut, "idle_time_from", meter.Name())
		}
	}
	var webSignIn ui.WebSignIn
	if kc.SignIn != config.SignInQR {
		webLogin, err := auth.NewWebLogin(cfg.TrustCentre, cfg.Environment, webBrowser(ctx, opener, runRecorder(run)), auth.WithLogger(logger))
		if err != nil { // checked with the configuration already
			fmt.Fprintln(stderr, "workshop-login:", configError(cfg, err))
			return exitConfig
		}
		webSignIn = webLogin
	}
	kiosk, err := ui.New(a, ui.Options{
		SignIn:      engine,
		WebSignIn:   webSignIn,
		Handoff:     desk,
		Audit:       record,
		Sessions:    sessions,
		IdleTime:    idleTime,
		Environment: cfg.Environment,
		Version:     fmt.Sprintf("%s (%s, %s)", version, commit, date),
		CheckTrustCentre: func(ctx context.Context) error {
			return auth.Reachable(ctx, cfg.TrustCentre, nil)
		},
		OpenURL: openURL,
		Settings: ui.Settings{
			KioskMode: kc.KioskMode, DeeplinkButton: kc.DeeplinkButton, HighContrast: kc.HighContrast,
			LargeText: kc.LargeText, Language: kc.Language, AdminKeys: kc.AdminKeys, SignOutKeys: kc.SignOutKeys,
			IdleSignOut: kc.IdleSignOut, IdleWarning: kc.IdleWarning, WebOnly: kc.SignIn == config.SignInWeb,
		},
	})
	if err != nil {
		where := cfg.File
		if where == "" {
			where = "configuration"
		}
		fmt.Fprintf(stderr, "workshop-login: %s: kiosk.%v\n", where, err)
		return exitConfig
	}
	go func() {
		<-ctx.Done() // Ctrl+C or SIGTERM: close the window like a person would
		fyne.Do(a.Quit)
	}()
	kiosk.Start()
	a.Run()
	kiosk.Stop()
	tools.EndAll() // closing the kiosk signs the person out
	if run != nil {
		if err := run.End(); err != nil {
			logger.Warn("the next start will take this run for a crash", "error", err)
		}
	}
	return 0
}

// beginRun applies the crash rule before anything is shown: a session is
// restored only after a run that ended cleanly. After a crash (kill -9, a
// power cut), or where no run record proves a clean end, the tools the last
// run left are ended and the last person is signed out, not restored. The
// record then follows this run's tools until it ends cleanly.
func beginRun(sessions ui.Sessions, tools *handoff.Launcher, record func(string, *auth.Session, string) error, logger *slog.Logger) *runstate.State {
	path, err := runstate.DefaultPath()
	var run *runstate.State
	var prev runstate.Previous
	if err == nil {
		run, prev, err = runstate.Begin(path)
	}
	if run != nil {
		tools.RecordIn(run)
	}
	switch {
	case err != nil:
		logger.Warn("no run record: the last session is not restored", "error", err)
	case prev.Found && prev.Clean:
		return run // the one case a session may be restored
	case !prev.Found:
		logger.Info("no record of a last run: any kept session is not restored")
	}
	if prev.Crashed() {
		detail := "the last run did not end cleanly"
		if ended := runstate.EndLeftovers(prev.Tools); len(ended) > 0 {
			detail += fmt.Sprintf("; ended %d tool(s) it left running", len(ended))
		}
		if n := browser.RemoveLeftoverProfiles(); n > 0 {
			detail += fmt.Sprintf("; removed %d private browser profile(s)", n)
		}
		if err := run.Forget(prev.Tools); err != nil {
			logger.Warn("updating the run record", "error", err)
		}
		logger.Warn("signing out after a crash", "detail", detail)
		if err := record(ui.AuditCrashSignOut, nil, detail); err != nil {
			logger.Warn("writing the audit log", "error", err)
		}
	}
	if err := sessions.Delete(); err != nil {
		logger.Warn("signing the last person out", "error", err)
	}
	return run
}

// checkMachine prints whether the kiosk will work on this machine, one row
// a thing it needs, and exits 1 when anything failed.
func checkMachine(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := newFlags("check")
	configPath := flags.String("config", "", "configuration file (default: the system's and the user's config.toml)")
	timeout := durationVar(flags, "timeout", 15*time.Second, "give the Trust Centre this long to answer")
	if code, ok := parseFlags(flags, args, stdout, stderr); !ok {
		return code
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "workshop-login check: --timeout must be more than 0, not %s\n", *timeout)
		return exitUsage
	}
	cfg, err := config.Load(*configPath)
	if err == nil {
		err = windowSettings(cfg) // what the window refuses, check refuses
	}
	rows := []check.Row{check.Configuration(cfg, err)}
	if err == nil {
		if cfg.EmbeddedSimulator() {
			if sim, err := startSimulator(cfg, newLogger(false, stderr)); err == nil {
				defer sim.Close()
				cfg.TrustCentre.Issuer = sim.URL
			}
		}
		if engine, err := auth.NewPasswordless(cfg.TrustCentre); err != nil {
			// The line the window would stop with (see setUp).
			rows[0] = check.Configuration(cfg, configError(cfg, err))
		} else {
			ctx, cancel := context.WithTimeout(ctx, *timeout)
			rows = append(rows, check.TrustCentre(ctx, cfg.TrustCentre, engine))
			rows = append(rows, check.Discovery(ctx, cfg.TrustCentre, engine)...)
			cancel()
			rows = append(rows, check.CodeLifetime(cfg.TrustCentre))
		}
	}
	rows = append(rows, check.Keyring(sessionstore.New().Probe))
	if err == nil {
		meter, idleErr := idle.System()
		name := ""
		if idleErr == nil {
			name = meter.Name()
			meter.Close()
		}
		rows = append(rows, check.IdleTime(name, idleErr, cfg.Kiosk.IdleSignOut))
	}
	rows = append(rows, check.AuditLog(audit.DefaultPath()))
	if err == nil {
		rows = append(rows, check.Tools(cfg.Tools)...)
		rows = append(rows, check.Portal(cfg.Portal))
	}
	check.Write(stdout, rows)
	if check.AnyFailed(rows) {
		return exitRefused // 1: something here needs doing
	}
	return 0
}

// printAudit prints the newest audit entries as a table.
func printAudit(args []string, stdout, stderr io.Writer) int {
	flags := newFlags("audit")
	n := flags.Int("n", 50, "how many of the newest entries")
	if code, ok := parseFlags(flags, args, stdout, stderr); !ok {
		return code
	}
	if *n < 1 {
		fmt.Fprintf(stderr, "workshop-login audit: -n must be 1 or more, not %d\n", *n)
		return exitUsage
	}
	path, err := audit.DefaultPath()
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login audit:", err)
		return exitFailed
	}
	entries, err := audit.Open(path).Latest(*n)
	if err != nil {
		fmt.Fprintf(stderr, "workshop-login audit: %v; the audit log and its older files must be readable files (workshop-login check tests the folder)\n", err)
		return exitFailed
	}
	if len(entries) == 0 {
		fmt.Fprintf(stderr, "No entries yet in %s.\n", path)
		return 0
	}
	audit.WriteTable(stdout, entries)
	return 0
}

func serveSimulator(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := newFlags("simulator")
	listen := flags.String("listen", "127.0.0.1:8787", "address to listen on (0.0.0.0:8787 lets a phone on the same network open the pages)")
	publicURL := flags.String("public-url", "", "base address of the QR code's page, if the phone must use another address")
	lifetime := durationVar(flags, "session-lifetime", 2*time.Minute, "how long a QR code can be approved")
	noIDToken := flags.Bool("no-id-token", false, "answer the token request without an id_token")
	idTokenAlg := flags.String("id-token-alg", "RS256", "sign ID tokens with RS256 or ES256")
	tokenPaths := flags.String("token-paths", "both", "token path spellings served: both, token or token.json")
	separateUserInfo := flags.Bool("separate-user-info-host", false, "serve /user_info.json from a second loopback host")
	fiveDigitPINs := flags.Bool("five-digit-pins", false, "give the test persons 5-digit PINs, as the real app has")
	if code, ok := parseFlags(flags, args, stdout, stderr); !ok {
		return code
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		fmt.Fprintf(stderr, "workshop-login simulator: --listen must be host:port, for example 127.0.0.1:8787, not %q\n", *listen)
		return exitUsage
	}
	if *publicURL != "" {
		if u, err := url.Parse(*publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fmt.Fprintf(stderr, "workshop-login simulator: --public-url must be an http or https address, for example http://192.168.1.20:8787, not %q\n", *publicURL)
			return exitUsage
		}
	}
	switch {
	case *lifetime <= 0:
		fmt.Fprintf(stderr, "workshop-login simulator: --session-lifetime must be more than 0, not %s\n", *lifetime)
		return exitUsage
	case *idTokenAlg != "RS256" && *idTokenAlg != "ES256":
		fmt.Fprintf(stderr, "workshop-login simulator: --id-token-alg must be RS256 or ES256, not %q\n", *idTokenAlg)
		return exitUsage
	case *tokenPaths != "both" && *tokenPaths != "token" && *tokenPaths != "token.json":
		fmt.Fprintf(stderr, "workshop-login simulator: --token-paths must be both, token or token.json, not %q\n", *tokenPaths)
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	sim, err := simulator.Listen(*listen, simulator.Options{
		PublicURL: *publicURL, SessionLifetime: *lifetime, OmitIDToken: *noIDToken, Logger: logger,
		IDTokenAlg: *idTokenAlg, TokenPaths: *tokenPaths, SeparateUserInfoHost: *separateUserInfo, FiveDigitPINs: *fiveDigitPINs,
	})
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login simulator:", err)
		return exitFailed
	}
	defer sim.Close()
	fmt.Fprintf(stdout, "Trust Centre simulator at %s\n", sim.URL)
	if sim.UserInfoURL != "" {
		fmt.Fprintf(stdout, "  user info at %s/user_info.json\n", sim.UserInfoURL)
	}
	fmt.Fprintf(stdout, "  client_id = %q, client_secret = %q, product_scope = %q\n",
		simulator.DefaultClientID, simulator.DefaultClientSecret, simulator.DefaultProductScope)
	fmt.Fprintln(stdout, "  approve a code: POST <qr_code_uri> with persona, pin and decision=approve (see README)")
	<-ctx.Done()
	return 0
}

func startSimulator(cfg config.Config, logger *slog.Logger) (*simulator.Server, error) {
	return simulator.Listen(cfg.Simulator.Listen, simulator.Options{
		PublicURL:       cfg.Simulator.PublicURL,
		SessionLifetime: cfg.Simulator.SessionLifetime,
		Clients:         map[string]string{cfg.TrustCentre.ClientID: cfg.TrustCentre.ClientSecret.Reveal()},
		ProductScope:    cfg.TrustCentre.ProductScope,
		Logger:          logger,
	})
}

func newLogger(verbose bool, stderr io.Writer) *slog.Logger {
	if !verbose {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// runRecorder is the run record as a handoff.Recorder, or none: a nil
// *runstate.State must not become a non-nil interface.
func runRecorder(run *runstate.State) handoff.Recorder {
	if run == nil {
		return nil
	}
	return run
}

// webBrowser opens the web login in the system's browser, never a web view
// (RFC 8252): a private window with a throwaway profile, ended and wiped
// when the sign-in (signIn) ends, so the next person finds no Digidentity
// session. Without such a browser it opens the system browser for as long
// as the kiosk (ctx) lives, and says so (auth.ErrBrowserNotPrivate): the
// screen then tells the person to sign out of Digidentity there.
// record, when set, keeps each private browser on the run record while it
// runs, so a restart after a crash ends it with the tools.
func webBrowser(ctx context.Context, opener browser.Opener, record handoff.Recorder) func(signIn context.Context, addr string) error {
	return func(signIn context.Context, addr string) error {
		private, err := opener.OpenPrivate(signIn, addr)
		if err == nil && record != nil {
			pid := private.Pid()
			if err := record.AddTool(pid, "private browser"); err != nil && opener.Log != nil {
				opener.Log.Warn("a crash now would leave the private browser running", "error", err)
			}
			go func() {
				<-private.Done()
				record.RemoveTool(pid)
			}()
		}
		if !errors.Is(err, browser.ErrNoPrivateBrowser) {
			return err
		}
		if opener.Log != nil {
			opener.Log.Warn("web sign-in: no private browser window", "detail", err.Error())
		}
		if err := opener.Open(ctx, addr); err != nil {
			return err
		}
		return fmt.Errorf("%w (%v)", auth.ErrBrowserNotPrivate, err)
	}
}
