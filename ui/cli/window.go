package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/workshop-login/workshop-login/assets"
	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/weblogin"
	"github.com/workshop-login/workshop-login/platform/audit"
	"github.com/workshop-login/workshop-login/platform/browser"
	"github.com/workshop-login/workshop-login/platform/config"
	"github.com/workshop-login/workshop-login/platform/handoff"
	"github.com/workshop-login/workshop-login/platform/heaptrim"
	"github.com/workshop-login/workshop-login/platform/idle"
	"github.com/workshop-login/workshop-login/platform/runstate"
	"github.com/workshop-login/workshop-login/platform/startup"
	"github.com/workshop-login/workshop-login/ui"
)

// WindowOptions are the window's flags.
type WindowOptions struct {
	Factory    *Factory
	ConfigPath string
	Verbose    bool
}

// NewCmdWindow is `workshop-login` without a command: the kiosk window.
func NewCmdWindow(f *Factory) *Command {
	opts := &WindowOptions{Factory: f}
	flags := newFlags("window")
	flags.StringVar(&opts.ConfigPath, "config", "", "configuration file (default: the user's config.toml; none: the embedded simulator)")
	flags.BoolVar(&opts.Verbose, "verbose", false, "log the engine's details to stderr (never tokens)")
	return &Command{Flags: flags, Run: func(ctx context.Context) int { return windowRun(ctx, opts) }}
}

// windowRun runs the kiosk window until it is closed (or, in kiosk mode,
// until the administrator's keys), or ctx ends (Ctrl+C, SIGTERM), which
// closes it as a person would. Exit codes: 0 closed, 2 the embedded
// simulator could not start, 69 no display, 78 a wrong configuration
// (key combinations included, refused before the window opens).
func windowRun(ctx context.Context, opts *WindowOptions) int {
	f, stderr := opts.Factory, opts.Factory.Err
	stopProfiles := startProfiles(stderr)
	defer stopProfiles()
	cfg, err := f.WindowConfig(opts.ConfigPath)
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login:", err)
		return exitConfig
	}
	startup.Step("configuration read")
	// Before Fyne starts: without a display GLFW ends in a stack trace.
	if why := noDisplay(); why != "" {
		fmt.Fprintf(stderr, "workshop-login: no display to open the window on (%s): run it in a desktop session, or use `workshop-login login --terminal`\n", why)
		return exitNoDisplay
	}
	logger := f.Logger(opts.Verbose)
	// One window a user: a second (a double click on a slow start) would
	// take the first's run record for a crash's and sign its person out.
	if release, err := lockWindow(); errors.Is(err, runstate.ErrRunning) {
		fmt.Fprintln(stderr, "workshop-login: Workshop Login is already open for this user on this computer: use that window")
		return exitFailed
	} else if err != nil {
		logger.Warn("a second window could not be ruled out", "error", err)
	} else {
		defer release()
	}
	tc, err := f.TrustCentre(cfg, logger)
	if err != nil {
		return trustCentreFailed(stderr, err)
	}
	defer tc.Close()
	tc.announce(stderr)
	startup.Step("Trust Centre engine made")

	// The system browser, started and waited for (no zombies), with an
	// environment cleaned of our secrets.
	opener := browser.Opener{Log: logger}
	openURL := func(u *url.URL) error { return opener.Open(ctx, u.String()) }
	// One hand-off per manufacturer: its tools and portal, its relay.
	var manufacturers []ui.Manufacturer
	var desks []*handoff.Handover
	for _, vm := range tc.VMs {
		desk, err := f.HandoffFor(vm.Config, vm.Engine.Relay(), openURL, logger)
		if err != nil { // checked with the configuration already
			fmt.Fprintln(stderr, "workshop-login:", err)
			return exitConfig
		}
		if desk.PortalHandoff != nil {
			defer desk.PortalHandoff.Close()
		}
		desks = append(desks, desk)
		manufacturers = append(manufacturers, ui.Manufacturer{Name: vm.Config.Name, SignIn: vm.Engine, Handoff: desk})
	}
	desk := desks[0]
	if !tc.Several() {
		manufacturers = nil // the one of SignIn and Handoff, as always
	}
	record := func(string, *auth.Session, string) error { return nil }
	if path, err := audit.DefaultPath(); err != nil {
		fmt.Fprintln(stderr, "workshop-login: no audit log:", err)
	} else {
		record = audit.Open(path).Record
	}
	sessions := f.Sessions()
	enrolment, enrolFirst := enrolmentFor(ctx, cfg, tc, sessions, logger)
	launchers := make([]*handoff.Launcher, len(desks))
	for i, d := range desks {
		launchers[i] = d.Launcher
	}
	run := beginRunFor(sessions, launchers, record, logger)
	var webSignIn ui.WebSignIn
	if cfg.Kiosk.SignIn != config.SignInQR {
		webLogin, err := weblogin.New(tc.Settings, cfg.Environment, webBrowser(ctx, opener, runRecorder(run)), auth.WithLogger(logger))
		if err != nil { // checked with the configuration already
			fmt.Fprintln(stderr, "workshop-login:", cfg.Explain(err))
			return exitConfig
		}
		webSignIn = webLogin
	}
	var idleTime func() (time.Duration, error)
	if cfg.Kiosk.IdleSignOut > 0 || cfg.Kiosk.Codes == config.CodesOnDemand {
		meter := &idleMeter{after: cfg.Kiosk.IdleSignOut, log: logger}
		defer meter.Close()
		idleTime = meter.Idle
	}

	startup.Step("hand-off and audit log ready")
	a := app.NewWithID("eu.workshoplogin.kiosk")
	a.SetIcon(fyne.NewStaticResource("workshop-login.png", assets.WindowIcon))
	startup.Step("Fyne app made")
	kiosk, err := ui.New(a, ui.Options{
		SignIn:           tc.Engine,
		WebSignIn:        webSignIn,
		Handoff:          desk,
		Manufacturers:    manufacturers,
		Audit:            record,
		Sessions:         wipeRecorded{Sessions: sessions, run: run, log: logger},
		IdleTime:         idleTime,
		Environment:      cfg.Environment,
		Version:          fmt.Sprintf("%s (%s, %s)", f.Build.Version, f.Build.Commit, f.Build.Date),
		CheckTrustCentre: tc.Reachable,
		OpenURL:          openURL,
		Enrolment:        enrolment,
		EnrolAtStart:     enrolFirst,
		Settings:         cfg.Kiosk,
	})
	if err != nil {
		where := cfg.File
		if where == "" {
			where = "configuration"
		}
		fmt.Fprintf(stderr, "workshop-login: %s: kiosk.%v\n", where, err)
		return exitConfig
	}
	startup.Step("window built")
	closed := make(chan struct{})
	defer close(closed)
	go func() {
		select {
		case <-ctx.Done(): // Ctrl+C or SIGTERM: close the window like a person would
			stopProfiles() // while the window still holds what it holds
			kiosk.Quit()
		case <-closed:
		}
	}()
	kiosk.Start()
	startup.Step("window shown")
	go settleMemory(closed)
	a.Run()
	kiosk.Stop()
	// However the window ended (closed, SIGTERM, SIGINT), a web login's
	// private browser and its profile go before the program does.
	if err := browser.EndAllPrivate(); err != nil {
		logger.Warn("a private browser's profile may be left; the next start removes it", "error", err)
	}
	for _, d := range desks {
		d.Launcher.EndAll() // closing the kiosk signs the person out
	}
	if run != nil {
		if err := run.End(); err != nil {
			logger.Warn("the next start will take this run for a crash", "error", err)
		}
	}
	return 0
}

// idleMeter is the system's idle time (platform/idle), its meter opened
// when first asked: once someone has signed in, or at rest with codes on
// demand; with codes always on screen, at start a display server or D-Bus
// connection would only hold the first code up.
type idleMeter struct {
	after time.Duration
	log   *slog.Logger

	mu     sync.Mutex
	opened bool
	meter  idle.Meter
	err    error
}

// Idle is the machine's idle time; an error when the system cannot tell,
// and then only input to the window counts.
func (m *idleMeter) Idle() (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.opened {
		m.opened = true
		if m.meter, m.err = idle.System(); m.err != nil {
			m.log.Warn("only input to the kiosk's window counts towards the idle sign-out and waking from rest", "error", m.err)
		} else {
			m.log.Info("the machine's idle time", "idle_sign_out_after", m.after, "idle_time_from", m.meter.Name())
		}
	}
	if m.err != nil {
		return 0, fmt.Errorf("%w: %w", ui.ErrNoIdleTime, m.err)
	}
	return m.meter.Idle()
}

// Close closes the meter, if it was opened.
func (m *idleMeter) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.meter != nil {
		m.meter.Close()
	}
}

// settleMemory, once the window has settled, gives the start's garbage
// back to the system and keeps the heap close to what it holds from then
// on. Starting parses fonts and brings OpenGL up: the Go runtime keeps
// the memory that took for a next peak that never comes, and with its
// default GOGC lets the heap grow to twice what it holds before
// collecting. A kiosk at rest allocates little (a tick a second, a poll
// every few), so collecting at a quarter more costs a collection every
// few minutes.
func settleMemory(closed <-chan struct{}) {
	select {
	case <-time.After(5 * time.Second):
	case <-closed:
		return
	}
	debug.SetGCPercent(25)
	debug.FreeOSMemory()
	heaptrim.Trim() // and what the OpenGL driver freed
}
