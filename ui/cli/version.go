package cli

import (
	"context"
	"fmt"

	"github.com/workshop-login/workshop-login/platform/buildinfo"
)

// NewCmdVersion is `workshop-login version` (also --version): the
// version, commit and build date. It takes no flags and always exits 0.
// On its own on the command line, platform/startup answers it first.
func NewCmdVersion(f *Factory) *Command {
	return &Command{Flags: newFlags("version"), Run: func(context.Context) int {
		fmt.Fprintln(f.Out, buildinfo.Line(f.Build.Version, f.Build.Commit, f.Build.Date))
		return 0
	}}
}
