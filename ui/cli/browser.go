package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/workshop-login/workshop-login/auth/weblogin"
	"github.com/workshop-login/workshop-login/platform/browser"
	"github.com/workshop-login/workshop-login/platform/handoff"
	"github.com/workshop-login/workshop-login/platform/runstate"
)

// runRecorder is the run record as a handoff.Recorder, or none: a nil
// *runstate.State must not become a non-nil interface.
func runRecorder(run *runstate.State) handoff.Recorder {
	if run == nil {
		return nil
	}
	return run
}

// webBrowser opens the web login in the system's browser, never a web view
// (RFC 8252): a private window with a throwaway profile, ended and wiped
// when the sign-in (signIn) ends, so the next person finds no Digidentity
// session. Without such a browser it opens the system browser for as long
// as the kiosk (ctx) lives, and says so (weblogin.ErrBrowserNotPrivate): the
// screen then tells the person to sign out of Digidentity there.
// Either browser is given a launcher file, never the sign-in's address,
// which any local user could read on its command line; the launcher is
// deleted once used, or when the sign-in ends.
// record, when set, keeps each private browser on the run record while it
// runs, so a restart after a crash ends it with the tools.
func webBrowser(ctx context.Context, opener browser.Opener, record handoff.Recorder) func(signIn context.Context, start weblogin.BrowserStart) error {
	return func(signIn context.Context, start weblogin.BrowserStart) error {
		launcher, err := browser.WriteLauncher(start.LaunchURL, start.LaunchField, start.LaunchSecret, start.Text)
		if err != nil {
			return fmt.Errorf("writing the sign-in launcher: %w", err)
		}
		go func() {
			select {
			case <-start.Launched:
			case <-signIn.Done():
			}
			launcher.Remove()
		}()
		private, err := opener.OpenPrivate(signIn, launcher.URL())
		if err == nil && record != nil {
			pid := private.Pid()
			if err := record.AddTool(pid, "private browser"); err != nil && opener.Log != nil {
				opener.Log.Warn("a crash now would leave the private browser running", "error", err)
			}
			go func() {
				<-private.Done()
				record.RemoveTool(pid)
			}()
		}
		if !errors.Is(err, browser.ErrNoPrivateBrowser) {
			return err
		}
		if opener.Log != nil {
			opener.Log.Warn("web sign-in: no private browser window", "detail", err.Error())
		}
		if err := opener.Open(ctx, launcher.URL()); err != nil {
			return err
		}
		return fmt.Errorf("%w (%v)", weblogin.ErrBrowserNotPrivate, err)
	}
}
