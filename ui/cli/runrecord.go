package cli

import (
	"fmt"
	"log/slog"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/platform/browser"
	"github.com/workshop-login/workshop-login/platform/handoff"
	"github.com/workshop-login/workshop-login/platform/runstate"
	"github.com/workshop-login/workshop-login/ui"
)

// beginRun applies the crash rule before anything is shown: a session is
// restored only after a run that ended cleanly. After a crash (kill -9, a
// power cut), or where no run record proves a clean end, the tools the last
// run left are ended and the last person is signed out, not restored. The
// record then follows this run's tools until it ends cleanly.
func beginRun(sessions ui.Sessions, tools *handoff.Launcher, record func(string, *auth.Session, string) error, logger *slog.Logger) *runstate.State {
	path, err := runstate.DefaultPath()
	var run *runstate.State
	var prev runstate.Previous
	if err == nil {
		run, prev, err = runstate.Begin(path)
	}
	if run != nil {
		tools.RecordIn(run)
	}
	ended := 0
	if prev.Crashed() { // first: nothing may still write to a profile as it goes
		ended = len(runstate.EndLeftovers(prev.Tools))
	}
	// Whatever an earlier run left of a private browser's profile (a kill
	// -9, a power cut, a profile that could not be deleted) goes, clean
	// end or not: it may hold a Digidentity session.
	profiles := browser.RemoveLeftoverProfiles()
	if profiles > 0 {
		logger.Warn("removed private browser profiles an earlier run left", "count", profiles)
	}
	switch {
	case err != nil:
		logger.Warn("no run record: the last session is not restored", "error", err)
	case prev.Found && prev.Clean && !prev.WipeOwed:
		return run // the one case a session may be restored
	case !prev.Found:
		logger.Info("no record of a last run: any kept session is not restored")
	}
	if prev.Crashed() {
		detail := "the last run did not end cleanly"
		if ended > 0 {
			detail += fmt.Sprintf("; ended %d tool(s) it left running", ended)
		}
		if profiles > 0 {
			detail += fmt.Sprintf("; removed %d private browser profile(s)", profiles)
		}
		if err := run.Forget(prev.Tools); err != nil {
			logger.Warn("updating the run record", "error", err)
		}
		logger.Warn("signing out after a crash", "detail", detail)
		if err := record(ui.AuditCrashSignOut, nil, detail); err != nil {
			logger.Warn("writing the audit log", "error", err)
		}
	}
	err = sessions.Delete()
	if err != nil {
		logger.Warn("signing the last person out", "error", err)
	}
	if run != nil {
		if err := run.OweWipe(err != nil); err != nil {
			logger.Warn("updating the run record", "error", err)
		}
	}
	return run
}

// lockWindow takes the lock that lets one window of a user run at a time.
func lockWindow() (release func(), err error) {
	path, err := runstate.DefaultLockPath()
	if err != nil {
		return nil, err
	}
	return runstate.Lock(path)
}

// beginRunFor is beginRun for a kiosk of several manufacturers: the
// record follows every manufacturer's tools, so a crash ends them all.
func beginRunFor(sessions ui.Sessions, launchers []*handoff.Launcher, record func(string, *auth.Session, string) error, logger *slog.Logger) *runstate.State {
	run := beginRun(sessions, launchers[0], record, logger)
	if run != nil {
		for _, l := range launchers[1:] {
			l.RecordIn(run)
		}
	}
	return run
}

// wipeRecorded is the keyring as the window uses it: a sign-out whose
// delete fails is owed on the run record, so no later start restores that
// session, even after runs that end cleanly, until a delete succeeds.
type wipeRecorded struct {
	ui.Sessions
	run *runstate.State
	log *slog.Logger
}

// Save, once it succeeds, has replaced whatever was owed a delete.
func (w wipeRecorded) Save(s ...*auth.Session) error {
	err := w.Sessions.Save(s...)
	if err == nil && w.run != nil {
		if werr := w.run.OweWipe(false); werr != nil {
			w.log.Warn("updating the run record", "error", werr)
		}
	}
	return err
}

func (w wipeRecorded) Delete() error {
	err := w.Sessions.Delete()
	if w.run != nil {
		if werr := w.run.OweWipe(err != nil); werr != nil {
			w.log.Warn("updating the run record", "error", werr)
		}
	}
	return err
}
