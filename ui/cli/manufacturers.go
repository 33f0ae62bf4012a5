package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/platform/config"
	"github.com/workshop-login/workshop-login/ui/demo/portal"
)

// Several reports whether the kiosk signs in to a list of manufacturers
// ([[manufacturers]], or the demonstration's), rather than the one of
// [relay] or [trust_centre].
func (tc *TrustCentre) Several() bool {
	return len(tc.VMs) > 1 || len(tc.VMs) == 1 && tc.VMs[0].Config.Name != ""
}

// VMEngine is one manufacturer as a command signs in to it: its settings
// (tools and portal included), its engine, and in the demonstration its
// embedded relay.
type VMEngine struct {
	Config config.VM
	Engine *auth.Passwordless
	Relay  *relay.Embedded
}

// demoManufacturers: nothing but simulator.manufacturers is configured,
// so the embedded simulator plays one client per name, each behind an
// embedded relay of its own, with the demo tool and portal (make run).
func demoManufacturers(cfg *config.Config) bool {
	return len(cfg.Simulator.Manufacturers) > 0 && len(cfg.Manufacturers) == 0 && cfg.EmbeddedRelay()
}

// demoClient is the simulator's client of the n-th demo manufacturer, with
// its own product scope (16 letters and digits), as each manufacturer's
// client at Digidentity has.
func demoClient(n int) (id, secret, scope string) {
	return fmt.Sprintf("demo-manufacturer-%d", n+1), fmt.Sprintf("demo-secret-%d-not-confidential", n+1), fmt.Sprintf("demoscopevm%05d", n+1)
}

// simulatorClients are the clients the embedded simulator accepts, with
// their secrets and, where a client has its own, their product scopes:
// the configured one, the direct clients of [[manufacturers]], and in the
// demonstration one per demo manufacturer.
func simulatorClients(cfg *config.Config) (secrets, scopes map[string]string) {
	secrets = map[string]string{cfg.TrustCentre.ClientID: cfg.TrustCentre.ClientSecret.Reveal()}
	scopes = map[string]string{}
	for _, m := range cfg.Manufacturers {
		if m.ClientID != "" {
			secrets[m.ClientID] = m.ClientSecret.Reveal()
			if m.ProductScope != "" {
				scopes[m.ClientID] = m.ProductScope
			}
		}
	}
	if demoManufacturers(cfg) {
		for i := range cfg.Simulator.Manufacturers {
			id, secret, scope := demoClient(i)
			secrets[id], scopes[id] = secret, scope
		}
	}
	return secrets, scopes
}

// manufacturerEngines makes an engine per manufacturer: through its relay
// (its key from the keyring, kept per relay by enrol), as a direct client,
// or in the demonstration through an embedded relay of its own.
func (f *Factory) manufacturerEngines(tc *TrustCentre, cfg *config.Config, demo bool, logger *slog.Logger) error {
	var vms []config.VM
	if demo {
		for i, name := range cfg.Simulator.Manufacturers {
			settings := tc.Settings
			id, secret, scope := demoClient(i)
			settings.ClientID, settings.ClientSecret, settings.ProductScope = id, auth.Secret(secret), scope
			vms = append(vms, config.VM{Name: name, TrustCentre: settings})
		}
	} else {
		vms = cfg.VMs()
	}
	for i, vm := range vms {
		if tc.Simulator != nil {
			vm.TrustCentre.Issuer = tc.Settings.Issuer // the embedded simulator's address
		}
		one := VMEngine{Config: vm}
		var err error
		switch {
		case demo:
			if one.Relay, err = relay.StartEmbedded(vm.TrustCentre, demoKept(demoRelayKeys(i)), logger); err != nil {
				return fmt.Errorf("%w: the embedded relay of %s: %w", errSimulator, vm.Name, err)
			}
			tc.VMs = append(tc.VMs, one) // closed with tc from here on
			one.Config.Relay.URL = one.Relay.URL
			if err := demoVMHandoffs(&one.Config, tc.Simulator, tc.Portal, one.Relay.URL, i); err != nil {
				return fmt.Errorf("%w: the demo portal: %w", errSimulator, err)
			}
			one.Engine, err = auth.NewRelayed(auth.RelaySettings{URL: one.Relay.URL, KioskKey: one.Relay.KioskKey}, vm.TrustCentre, auth.WithLogger(logger))
			tc.VMs[len(tc.VMs)-1] = one
		case vm.OnRelay():
			key, keyErr := f.Sessions().KioskKeyFor(vm.Relay.URL)
			if keyErr != nil {
				logger.Warn("no kiosk key for the relay", "manufacturer", vm.Name, "relay", vm.Relay.URL, "error", keyErr)
			}
			one.Engine, err = auth.NewRelayed(auth.RelaySettings{URL: vm.Relay.URL, KioskKey: key}, vm.TrustCentre, auth.WithLogger(logger))
			tc.VMs = append(tc.VMs, one)
		default:
			one.Engine, err = auth.NewPasswordless(vm.TrustCentre, auth.WithLogger(logger))
			tc.VMs = append(tc.VMs, one)
		}
		if err != nil {
			return fmt.Errorf("manufacturer %q: %w", vm.Name, cfg.Explain(err))
		}
	}
	tc.Engine, tc.Relay = tc.VMs[0].Engine, tc.VMs[0].Relay
	return nil
}

// demoVMHandoffs gives a demo manufacturer the demo tool and the demo
// portal, which checks its relay's signature only.
func demoVMHandoffs(vm *config.VM, sim *simulator.Server, p *portal.Portal, relayURL string, n int) error {
	if command := findDemoTool(); command != "" {
		vm.Tools = []config.Tool{{Name: DemoToolName, Command: command, EndAtSignOut: true, Manufacturer: vm.Name}}
	}
	if n == 0 {
		if err := p.SetRelayURL(relayURL); err != nil {
			return err
		}
		vm.Portal.HandoffURL = sim.URL + portal.Path
		return nil
	}
	path, err := p.AddRelayURL(relayURL)
	vm.Portal.HandoffURL = sim.URL + path
	return err
}

// Reachable says whether Digidentity answers on every manufacturer's way
// to it (its relay, or its Trust Centre client), asked at once; the error
// names the manufacturers that do not answer.
func (tc *TrustCentre) Reachable(ctx context.Context) error {
	errs := make([]error, len(tc.VMs))
	var wg sync.WaitGroup
	for i, vm := range tc.VMs {
		wg.Go(func() {
			var err error
			if rc := vm.Engine.Relay(); rc != nil {
				err = rc.Reachable(ctx) // the kiosk's way to the Trust Centre
			} else {
				err = auth.Reachable(ctx, vm.Config.TrustCentre, nil)
			}
			if err != nil && tc.Several() {
				err = fmt.Errorf("%s: %w", vm.Config.Name, err)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
