// Command workshop-login-relay is the relay server alone: a static,
// cgo-free binary with no GUI libraries, for the container image
// (assets/deploy). It answers to the same words as the desktop program's
// `workshop-login relay`, so the README's commands work with either:
//
//	workshop-login-relay [relay] [--config relay.toml]
//	workshop-login-relay [relay] add-kiosk NAME | remove-kiosk NAME | new-keys | promote-keys
//	workshop-login-relay version
//
// It is a second main, not a build tag on the first: every build and test
// keeps the one tag set (and build cache), and `go build` of this folder
// with CGO_ENABLED=0 cannot pull Fyne in by mistake, since nothing here
// imports it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"

	relaycmd "github.com/workshop-login/workshop-login/auth/relay/cmd"
	"github.com/workshop-login/workshop-login/platform/buildinfo"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "relay" {
		args = args[1:]
	}
	// --version anywhere: the image's entrypoint puts --config first.
	if len(args) > 0 && args[0] == "version" || slices.Contains(args, "--version") {
		// The desktop program's stamp (make relay-static sets it as make
		// build does), so both binaries of one build say the same version.
		fmt.Printf("workshop-login-relay %s (commit %s, built %s)\n", buildinfo.Version, buildinfo.Commit, buildinfo.Date)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(relaycmd.Run(ctx, args, os.Stdout, os.Stderr))
}
