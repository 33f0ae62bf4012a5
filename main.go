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
// A bad input ends with one line on stderr naming what to fix, and an exit
// code ui/README.md's "Commands and exit codes" lists. The commands are in
// ui/cli; main only wires them to the process.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/workshop-login/workshop-login/platform/buildinfo"
	"github.com/workshop-login/workshop-login/platform/console"
	// First of the program's packages to initialise: see its comment.
	"github.com/workshop-login/workshop-login/platform/startup"
	"github.com/workshop-login/workshop-login/ui/cli"
)

func main() {
	startup.Step("packages initialised")
	if len(os.Args) > 1 {
		console.Attach() // a command, not the window: print where it was typed
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command args name, writing its result to stdout and its
// messages to stderr, until it is done or ctx ends, and returns the exit
// code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	build := cli.Build{Version: buildinfo.Version, Commit: buildinfo.Commit, Date: buildinfo.Date}
	f := &cli.Factory{Build: build, Out: stdout, Err: stderr}
	return cli.Run(ctx, f, args)
}
