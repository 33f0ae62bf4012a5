package cli

import (
	"context"
	"fmt"
)

// NewCmdVersion is `workshop-login version` (also --version): the
// version, commit and build date. It takes no flags and always exits 0.
func NewCmdVersion(f *Factory) *Command {
	return &Command{Flags: newFlags("version"), Run: func(context.Context) int {
		fmt.Fprintf(f.Out, "workshop-login %s (commit %s, built %s)\n", f.Build.Version, f.Build.Commit, f.Build.Date)
		return 0
	}}
}
