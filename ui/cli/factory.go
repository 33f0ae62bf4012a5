package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/config"
	"github.com/workshop-login/workshop-login/platform/handoff"
	"github.com/workshop-login/workshop-login/platform/sessionstore"
	"github.com/workshop-login/workshop-login/platform/startup"
	"github.com/workshop-login/workshop-login/ui"
	"github.com/workshop-login/workshop-login/ui/demo/portal"
)

// Build is what the build stamped on the program (main's -ldflags -X).
type Build struct{ Version, Commit, Date string }

// Factory is the one assembly of what the commands use, each part made
// when a command asks for it: the configuration, the Trust Centre engine
// (on the embedded simulator when the configuration asks for one), the
// session store and the hand-off. main makes one for the process.
type Factory struct {
	Build Build
	// In is where enrol reads a pasted key; nil means os.Stdin.
	In io.Reader
	// Out takes a command's result (the identity as JSON, a table), Err its
	// messages and the terminal's screen.
	Out, Err io.Writer
}

// Logger logs the engine's details to Err when verbose (never tokens),
// else nowhere.
func (f *Factory) Logger(verbose bool) *slog.Logger {
	if !verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(f.Err, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Config reads the configuration (config.Load; path is --config's).
func (f *Factory) Config(path string) (config.Config, error) { return config.Load(path) }

// WindowConfig reads the configuration as the window does: Config, and
// the settings only the window reads (its key combinations), with the
// window's own parser, so that check refuses what the window would and
// the window refuses before it opens.
func (f *Factory) WindowConfig(path string) (config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return cfg, err
	}
	keys := []struct{ key, value string }{{"kiosk.sign_out_keys", cfg.Kiosk.SignOutKeys}}
	if cfg.Kiosk.KioskMode { // the window reads admin_keys only in kiosk mode
		keys = append(keys, struct{ key, value string }{"kiosk.admin_keys", cfg.Kiosk.AdminKeys})
	}
	for _, k := range keys {
		if k.key == "kiosk.sign_out_keys" && k.value == "" {
			continue // no sign-out keys
		}
		if _, err := ui.ParseKeys(k.value); err != nil {
			return cfg, &config.Error{File: cfg.DefinedIn(k.key), Key: k.key, Problem: err.Error(),
				Fix: `write modifiers and one key joined by +, for example "Ctrl+Alt+Q" or "Ctrl+L"`}
		}
	}
	return cfg, nil
}

// TrustCentre is what a command signs in against: the engine, on the
// embedded simulator when the configuration asks for one.
type TrustCentre struct {
	Engine *auth.Passwordless
	// Simulator is the embedded simulator, or nil.
	Simulator *simulator.Server
	// Portal is the demo repair portal, served at portal.Path on the
	// embedded simulator's address, or nil.
	Portal *portal.Portal
	// Relay is the embedded relay in front of it, or nil.
	Relay *relay.Embedded
	// VMs is each manufacturer's engine, in the configuration's order;
	// Engine and Relay are the first one's. See manufacturers.go. Each
	// one's Config is what the commands use: the configuration's, with the
	// embedded simulator's address as issuer, and in the demonstration the
	// demo tool and portal.
	VMs []VMEngine
	// Settings are the configuration's [trust_centre], with the embedded
	// simulator's address as issuer when there is one: what a web login
	// and a reachability check use. The configuration itself is not changed.
	Settings auth.Settings
}

// errSimulator is TrustCentre's error when the embedded simulator could not
// start (its address taken, say), as opposed to a setting the engine refused.
var errSimulator = errors.New("starting the simulator")

// trustCentreFailed says why TrustCentre failed and returns the exit code
// a command ends with: a simulator that could not start is a failure, a
// setting the engine refused the configuration's.
func trustCentreFailed(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "workshop-login:", err)
	if errors.Is(err, errSimulator) {
		return exitFailed
	}
	return exitConfig
}

// TrustCentre starts the embedded simulator when cfg asks for it, then makes
// the engine on cfg's Trust Centre settings, with the simulator's address as
// issuer (tc.Settings); cfg, validated when it was read, is left as it was.
// Its error wraps errSimulator, or names the file and key of the setting
// the engine refused (config.Config.Explain), as check's configuration
// row and the window's message both show it. Close stops the simulator.
func (f *Factory) TrustCentre(cfg config.Config, logger *slog.Logger) (*TrustCentre, error) {
	tc := &TrustCentre{Settings: cfg.TrustCentre}
	embeddedRelay, demo := cfg.EmbeddedRelay(), demoManufacturers(&cfg)
	if cfg.EmbeddedSimulator() {
		clients, scopes := simulatorClients(&cfg)
		sim, err := simulator.Listen(cfg.Simulator.Listen, simulator.Options{
			PublicURL:       cfg.Simulator.PublicURL,
			SessionLifetime: cfg.Simulator.SessionLifetime,
			Clients:         clients,
			ProductScope:    cfg.TrustCentre.ProductScope,
			ProductScopes:   scopes,
			Logger:          logger,
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errSimulator, err)
		}
		tc.Simulator = sim
		tc.Portal = mountDemoPortal(sim, logger)
		tc.Settings.Issuer = sim.URL
		startup.Step("embedded simulator listening")
	}
	if len(cfg.Manufacturers) > 0 || demo {
		if err := f.manufacturerEngines(tc, &cfg, demo, logger); err != nil {
			tc.Close()
			return nil, err
		}
		return tc, nil
	}
	var engine *auth.Passwordless
	var err error
	vm := cfg.VMs()[0]
	vm.TrustCentre = tc.Settings
	switch {
	case embeddedRelay:
		if tc.Relay, err = relay.StartEmbedded(tc.Settings, demoKept(demoRelayKeys(0)), logger); err != nil {
			tc.Close()
			return nil, fmt.Errorf("%w: the embedded relay: %w", errSimulator, err)
		}
		if err := tc.Portal.SetRelayURL(tc.Relay.URL); err != nil {
			tc.Close()
			return nil, fmt.Errorf("%w: the demo portal: %w", errSimulator, err)
		}
		demoHandoffs(&vm, tc.Simulator)
		engine, err = auth.NewRelayed(auth.RelaySettings{URL: tc.Relay.URL, KioskKey: tc.Relay.KioskKey}, tc.Settings, auth.WithLogger(logger))
	case cfg.OnRelay():
		// Without a key the screen says "not enrolled: ask your
		// administrator"; the log says why there is none.
		key, keyErr := f.Sessions().KioskKeyFor(cfg.Relay.URL)
		if keyErr != nil {
			logger.Warn("no kiosk key for the relay", "error", keyErr)
		}
		engine, err = auth.NewRelayed(auth.RelaySettings{URL: cfg.Relay.URL, KioskKey: key}, tc.Settings, auth.WithLogger(logger))
	default:
		engine, err = auth.NewPasswordless(tc.Settings, auth.WithLogger(logger))
	}
	if err != nil {
		tc.Close()
		return nil, cfg.Explain(err)
	}
	tc.Engine = engine
	tc.VMs = []VMEngine{{Config: vm, Engine: engine, Relay: tc.Relay}}
	return tc, nil
}

// DemoToolName is the demo diagnostic tool's button.
const DemoToolName = "Demo diagnostic tool"

// demoToolBinary is the demo tool's program (ui/demo/tool), which make run
// builds beside workshop-login.
const demoToolBinary = "workshop-login-demo-tool"

// mountDemoPortal serves the demo repair portal (ui/demo/portal) at
// portal.Path on the simulator's address, where make run's hand-offs have
// always gone; it trusts no relay until the embedded one is named.
func mountDemoPortal(sim *simulator.Server, logger *slog.Logger) *portal.Portal {
	p, err := portal.New(portal.Options{Logger: logger})
	if err != nil {
		panic(err) // no relay named: nothing New could refuse
	}
	sim.Handle(portal.Path, p)
	return p
}

// demoHandoffs gives a kiosk on the embedded simulator and relay, with no
// tools or portal of its own, the demo tool and the demo portal on the
// simulator's address, so the first run shows what a garage gets: a tool and a portal
// that check the relay's signature. vm is tc's copy, not the configuration.
func demoHandoffs(cfg *config.VM, sim *simulator.Server) {
	if len(cfg.Tools) == 0 {
		if command := findDemoTool(); command != "" {
			cfg.Tools = []config.Tool{{Name: DemoToolName, Command: command, EndAtSignOut: true}}
		}
	}
	if cfg.Portal.URL == "" && cfg.Portal.HandoffURL == "" {
		cfg.Portal.HandoffURL = sim.URL + portal.Path
	}
}

// findDemoTool looks beside this program, then on PATH.
func findDemoTool() string {
	name := demoToolBinary
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self, err := os.Executable(); err == nil {
		beside := filepath.Join(filepath.Dir(self), name)
		if st, err := os.Stat(beside); err == nil && !st.IsDir() {
			return beside
		}
	}
	if found, err := exec.LookPath(name); err == nil {
		if abs, err := filepath.Abs(found); err == nil {
			return abs
		}
	}
	return ""
}

// Close stops the embedded relays and simulator, if any.
func (tc *TrustCentre) Close() {
	for _, vm := range tc.VMs {
		if vm.Relay != nil && vm.Relay != tc.Relay {
			vm.Relay.Close()
		}
	}
	if tc.Relay != nil {
		tc.Relay.Close()
	}
	if tc.Simulator != nil {
		tc.Simulator.Close()
	}
}

// announce tells the person at the terminal where the embedded simulator
// is, if there is one.
func (tc *TrustCentre) announce(w io.Writer) {
	if tc.Simulator != nil {
		fmt.Fprintf(w, "Simulator at %s: open the code's address in a browser to pick a test person and approve.\n", tc.Simulator.URL)
	}
}

// Sessions is the keyring that keeps the session across restarts.
func (f *Factory) Sessions() *sessionstore.Store { return sessionstore.New() }

// HandoffFor is what a person signed in to one manufacturer is handed: its
// tools, and its repair portal, opened through openURL, or when the portal
// takes a session hand-off, posted to it from a one-time page
// (Handover.PortalHandoff: close it when done). vm was checked when it was
// read, so its addresses parse. On a relay (rc not nil) each hand-off gets
// a freshly signed assertion, and tools find the relay at SERMI_RELAY_URL.
func (f *Factory) HandoffFor(vm config.VM, rc *auth.RelayClient, openURL func(*url.URL) error, logger *slog.Logger) (*handoff.Handover, error) {
	cfg := vm
	launcher, err := handoff.NewLauncher(cfg.Tools, logger)
	if err != nil {
		return nil, err
	}
	desk := &handoff.Handover{Launcher: launcher, OpenURL: openURL, Manufacturer: vm.Name}
	if rc != nil {
		launcher.Env = []string{"SERMI_RELAY_URL=" + rc.URL()}
		desk.Assertions = rc.Assertion
	}
	if cfg.Portal.URL != "" {
		desk.PortalURL, _ = url.Parse(cfg.Portal.URL)
	}
	if cfg.Portal.HandoffURL != "" {
		target, _ := url.Parse(cfg.Portal.HandoffURL)
		desk.PortalHandoff = handoff.NewFormPost(target, logger)
	}
	return desk, nil
}
