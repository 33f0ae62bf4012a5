package cli

import (
	"context"
	"fmt"

	"github.com/workshop-login/workshop-login/platform/audit"
)

// AuditOptions are audit's flags.
type AuditOptions struct {
	Factory *Factory
	N       int
}

// NewCmdAudit is `workshop-login audit`: the newest audit entries as a
// table.
func NewCmdAudit(f *Factory) *Command {
	opts := &AuditOptions{Factory: f}
	flags := newFlags("audit")
	flags.IntVar(&opts.N, "n", 50, "how many of the newest entries")
	return &Command{Flags: flags, Run: func(context.Context) int { return auditRun(opts) }}
}

// auditRun prints the table. Exit codes: 0 done (no entries included), 2
// the audit log cannot be found or read, 64 a wrong -n.
func auditRun(opts *AuditOptions) int {
	stdout, stderr := opts.Factory.Out, opts.Factory.Err
	if opts.N < 1 {
		fmt.Fprintf(stderr, "workshop-login audit: -n must be 1 or more, not %d\n", opts.N)
		return exitUsage
	}
	path, err := audit.DefaultPath()
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login audit:", err)
		return exitFailed
	}
	entries, err := audit.Open(path).Latest(opts.N)
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
