package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	if cfgErr == nil {
		// The embedded relay gives a kiosk without tools or portal the demo
		// ones: their rows follow.
		trustCentre, refused := trustCentreRows(ctx, f, &cfg, timeout)
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
	if cfgErr == nil {
		rows = append(rows, check.Tools(cfg.Tools)...)
		rows = append(rows, check.Portal(cfg.Portal))
	}
	return rows
}

// trustCentreRows ask the Trust Centre (the embedded simulator, when the
// configuration asks for one) within timeout. When the engine refuses one
// of the configuration's settings, there are no rows and refused says why.
func trustCentreRows(ctx context.Context, f *Factory, cfg *config.Config, timeout time.Duration) (rows []check.Row, refused error) {
	tc, err := f.TrustCentre(cfg, f.Logger(false))
	switch {
	case errors.Is(err, errSimulator):
		return []check.Row{{Check: "trust centre", Result: check.Failed, Detail: err.Error(),
			WhatToDo: "free the simulator's address (simulator.listen) or choose another"}}, nil
	case err != nil:
		return nil, err
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if rc := tc.Engine.Relay(); rc != nil {
		// The relay holds the Trust Centre's settings; a QR code through it
		// proves the way to the Trust Centre too.
		rows = []check.Row{check.Relay(ctx, rc)}
		if rows[0].Result == check.OK {
			row := check.TrustCentre(ctx, cfg.TrustCentre, tc.Engine)
			if row.Result == check.OK {
				row.Detail = "the relay gives this kiosk QR codes"
			}
			rows = append(rows, row)
		}
		return rows, nil
	}
	rows = []check.Row{check.TrustCentre(ctx, cfg.TrustCentre, tc.Engine)}
	rows = append(rows, check.Discovery(ctx, cfg.TrustCentre, tc.Engine)...)
	return append(rows, check.CodeLifetime(cfg.TrustCentre)), nil
}
