// Package browser opens an address in the system browser the way a kiosk
// must: the opener (xdg-open, open, rundll32) is waited for, so no zombie is
// left behind, and it gets a cleaned environment, so none of the kiosk's
// secrets reach it, the browser or anything they start.
//
// An address given here is on the opener's command line, which every local
// user can read (/proc/PID/cmdline). Never pass a secret or a one-time
// address: the repair portal hand-off passes the path of a file only its
// owner can read (see platform/handoff).
package browser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
)

// CommandEnv names a program to run instead of the system's opener, with the
// address as its only argument. Tests use it to make headless Chromium, or a
// recorder, the system browser; a kiosk may use it to name its browser.
const CommandEnv = "WORKSHOP_LOGIN_BROWSER"

// Opener opens addresses in the system browser. The zero value is ready.
type Opener struct {
	// Log hears of an opener that failed (it exits non-zero when no
	// browser could be found). Nil: not logged.
	Log *slog.Logger
}

// Open opens target with the default Opener.
func Open(ctx context.Context, target string) error {
	return Opener{}.Open(ctx, target)
}

// Open starts the system's opener for target and returns once it has
// started; a goroutine waits for it to exit. When ctx is done before the
// opener has exited, the opener is ended: the browser it handed the address
// to is a process of its own and is not touched. Pass a context that lives
// as long as the kiosk.
func (o Opener) Open(ctx context.Context, target string) error {
	if target == "" {
		return errors.New("nothing to open")
	}
	if strings.HasPrefix(target, "-") { // never an option of the opener
		return fmt.Errorf("refusing to open %q", target)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	name, args := systemOpener(target)
	if c := os.Getenv(CommandEnv); c != "" {
		name, args = c, []string{target}
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = childEnv(os.Environ())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil // /dev/null
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("opening the browser: %w", err)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	go func() {
		// Reaps the opener. Its exit status is all that is left to learn:
		// the address is not logged (it may name a file of ours).
		if err := cmd.Wait(); err != nil && ctx.Err() == nil {
			log.Warn("the system browser could not be opened", "opener", name, "error", err)
		}
	}()
	return nil
}
