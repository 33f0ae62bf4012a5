package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/workshop-login/workshop-login/auth"

	"github.com/workshop-login/workshop-login/platform/audit"
	"github.com/workshop-login/workshop-login/platform/check"
	"github.com/workshop-login/workshop-login/platform/config"
	"github.com/workshop-login/workshop-login/platform/idle"
)

// CheckOptions are check's flags.
type CheckOptions struct {
	Factory    *Factory
	ConfigPath string
	Timeout    time.Duration
}

// NewCmdCheck is `workshop-login check`: whether the kiosk will work on
// this machine, one row a thing it needs.
func NewCmdCheck(f *Factory) *Command {
	opts := &CheckOptions{Factory: f}
	flags := newFlags("check")
	flags.StringVar(&opts.ConfigPath, "config", "", "configuration file (default: the system's and the user's config.toml)")
	durationVar(flags, &opts.Timeout, "timeout", 15*time.Second, "give the Trust Centre this long to answer")
	return &Command{Flags: flags, Run: func(ctx context.Context) int { return checkRun(ctx, opts) }}
}

// checkRun writes the table. Exit codes: 0 nothing failed, 1 something
// needs doing (a wrong configuration included: it is a FAILED row, not
// exit 78), 64 a wrong --timeout.
func checkRun(ctx context.Context, opts *CheckOptions) int {
	f := opts.Factory
	if opts.Timeout <= 0 {
		fmt.Fprintf(f.Err, "workshop-login check: --timeout must be more than 0, not %s\n", opts.Timeout)
		return exitUsage
	}
	cfg, err := f.WindowConfig(opts.ConfigPath) // what the window refuses, check refuses
	rows := machineRows(ctx, f, cfg, err, opts.Timeout)
	check.Write(f.Out, rows)
	if check.AnyFailed(rows) {
		return exitRefused
	}
	return 0
}

// machineRows are check's rows, in the table's order: the configuration, the
// Trust Centre and what it publishes, the keyring, the idle time, the audit
// log, the tools, the portal. A configuration that cannot be read (cfgErr)
// leaves out the rows that depend on it.
func machineRows(ctx context.Context, f *Factory, cfg config.Config, cfgErr error, timeout time.Duration) []check.Row {
	rows := []check.Row{check.Configuration(cfg, cfgErr)}
	var several []config.VM // with [[manufacturers]], each one's tools and portal
	tools, portal := cfg.Tools, cfg.Portal
	if cfgErr == nil {
		// The embedded relay gives a kiosk without tools or portal the demo
		// ones: their rows follow.
		trustCentre, vms, refused := trustCentreRows(ctx, f, cfg, timeout)
		if len(vms) == 1 && vms[0].Name == "" { // a kiosk of one manufacturer
			tools, portal = vms[0].Tools, vms[0].Portal
		} else {
			several = vms
		}
		if refused != nil {
			rows[0] = check.Configuration(cfg, refused) // the line the window would stop with
		}
		rows = append(rows, trustCentre...)
	}
	rows = append(rows, check.Keyring(f.Sessions().Probe))
	if cfgErr == nil {
		meter, idleErr := idle.System()
		name := ""
		if idleErr == nil {
			name = meter.Name()
			meter.Close()
		}
		rows = append(rows, check.IdleTime(name, idleErr, cfg.Kiosk.IdleSignOut))
		rows = append(rows, check.Codes(cfg.Kiosk, cfg.TrustCentre.PollInterval))
	}
	rows = append(rows, check.AuditLog(audit.DefaultPath()))
	if cfgErr == nil && several == nil {
		rows = append(rows, check.Tools(tools)...)
		rows = append(rows, check.Portal(portal))
	}
	for _, vm := range several {
		rows = append(rows, named(vm.Name, append(check.Tools(vm.Tools), check.Portal(vm.Portal)))...)
	}
	return rows
}

// trustCentreRows ask the Trust Centre (the embedded simulator, when the
// configuration asks for one) within timeout. When the engine refuses one
// of the configuration's settings, there are no rows and refused says why.
// With several manufacturers (or named ones) there are rows for each,
// named after it. vms are the settings the engines were made with (the
// demo tool and portal included), for the tool and portal rows: one
// unnamed for a kiosk of one manufacturer.
func trustCentreRows(ctx context.Context, f *Factory, cfg config.Config, timeout time.Duration) (rows []check.Row, vms []config.VM, refused error) {
	tc, err := f.TrustCentre(cfg, f.Logger(false))
	switch {
	case errors.Is(err, errSimulator):
		return []check.Row{{Check: "trust centre", Result: check.Failed, Detail: err.Error(),
			WhatToDo: "free the simulator's address (simulator.listen) or choose another"}}, nil, nil
	case err != nil:
		return nil, nil, err
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !tc.Several() {
		one := tc.VMs[0].Config
		return engineRows(ctx, one.TrustCentre, tc.Engine), []config.VM{one}, nil
	}
	for _, vm := range tc.VMs {
		rows = append(rows, named(vm.Config.Name, engineRows(ctx, vm.Config.TrustCentre, vm.Engine))...)
		vms = append(vms, vm.Config)
	}
	return rows, vms, nil
}

// named puts the manufacturer's name in each row's check.
func named(name string, rows []check.Row) []check.Row {
	for i := range rows {
		rows[i].Check += " (" + name + ")"
	}
	return rows
}

// engineRows are one engine's: on a relay, the relay and a QR code
// through it; direct, the Trust Centre, its discovery and code lifetime.
func engineRows(ctx context.Context, settings auth.Settings, engine *auth.Passwordless) (rows []check.Row) {
	if rc := engine.Relay(); rc != nil {
		// The relay holds the Trust Centre's settings; a QR code through it
		// proves the way to the Trust Centre too.
		rows = []check.Row{check.Relay(ctx, rc)}
		if rows[0].Result == check.OK {
			row := check.TrustCentre(ctx, settings, engine)
			if row.Result == check.OK {
				row.Detail = "the relay gives this kiosk QR codes"
			}
			rows = append(rows, row)
		}
		return rows
	}
	rows = []check.Row{check.TrustCentre(ctx, settings, engine)}
	rows = append(rows, check.Discovery(ctx, settings, engine)...)
	return append(rows, check.CodeLifetime(settings))
}
