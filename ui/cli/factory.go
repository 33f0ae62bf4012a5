package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/config"
	"github.com/workshop-login/workshop-login/platform/handoff"
	"github.com/workshop-login/workshop-login/platform/sessionstore"
	"github.com/workshop-login/workshop-login/platform/startup"
	"github.com/workshop-login/workshop-login/ui"
)

// Build is what the build stamped on the program (main's -ldflags -X).
type Build struct{ Version, Commit, Date string }

// Factory is the one assembly of what the commands use, each part made
// when a command asks for it: the configuration, the Trust Centre engine
// (on the embedded simulator when the configuration asks for one), the
// session store and the hand-off. main makes one for the process.
type Factory struct {
	Build Build
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
}

// errSimulator is TrustCentre's error when the embedded simulator could not
// start (its address taken, say), as opposed to a setting the engine refused.
var errSimulator = errors.New("starting the simulator")

// TrustCentre starts the embedded simulator when cfg asks for it and points
// cfg's issuer at it, then makes the engine on cfg's Trust Centre settings.
// Its error wraps errSimulator, or names the file and key of the setting
// the engine refused (config.Config.Explain), as check's configuration
// row and the window's message both show it. Close stops the simulator.
func (f *Factory) TrustCentre(cfg *config.Config, logger *slog.Logger) (*TrustCentre, error) {
	tc := &TrustCentre{}
	if cfg.EmbeddedSimulator() {
		sim, err := simulator.Listen(cfg.Simulator.Listen, simulator.Options{
			PublicURL:       cfg.Simulator.PublicURL,
			SessionLifetime: cfg.Simulator.SessionLifetime,
			Clients:         map[string]string{cfg.TrustCentre.ClientID: cfg.TrustCentre.ClientSecret.Reveal()},
			ProductScope:    cfg.TrustCentre.ProductScope,
			Logger:          logger,
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errSimulator, err)
		}
		tc.Simulator = sim
		cfg.TrustCentre.Issuer = sim.URL
		startup.Step("embedded simulator listening")
	}
	engine, err := auth.NewPasswordless(cfg.TrustCentre, auth.WithLogger(logger))
	if err != nil {
		tc.Close()
		return nil, cfg.Explain(err)
	}
	tc.Engine = engine
	return tc, nil
}

// Close stops the embedded simulator, if any.
func (tc *TrustCentre) Close() {
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

// Handoff is what a person signed in is handed: cfg's tools, and the repair
// portal, opened through openURL, or when the portal takes a session
// hand-off, posted to it from a one-time page (Handover.PortalHandoff: close it
// when done). cfg was checked when it was read, so its addresses parse.
func (f *Factory) Handoff(cfg config.Config, openURL func(*url.URL) error, logger *slog.Logger) (*handoff.Handover, error) {
	tools := make([]handoff.Tool, len(cfg.Tools))
	for i, t := range cfg.Tools {
		tools[i] = handoff.Tool(t)
	}
	launcher, err := handoff.NewLauncher(tools, logger)
	if err != nil {
		return nil, err
	}
	desk := &handoff.Handover{Launcher: launcher, OpenURL: openURL}
	if cfg.Portal.URL != "" {
		desk.PortalURL, _ = url.Parse(cfg.Portal.URL)
	}
	if cfg.Portal.HandoffURL != "" {
		target, _ := url.Parse(cfg.Portal.HandoffURL)
		desk.PortalHandoff = handoff.NewFormPost(target, logger)
	}
	return desk, nil
}
