//go:build linux

package cli

import (
	"errors"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/platform/handoff"
	"github.com/workshop-login/workshop-login/platform/runstate"
)

// keptSession is a keyring that only notes whether the session was deleted.
type keptSession struct{ deleted bool }

func (k *keptSession) Save(...*auth.Session) error       { return nil }
func (k *keptSession) Restore() ([]*auth.Session, error) { return nil, nil }
func (k *keptSession) Delete() error                     { k.deleted = true; return nil }

// The crash rule: a session is restored only after a run that ended
// cleanly; after a crash the tools it left are ended and the person signed
// out, before anything is shown.
func TestCrashRule(t *testing.T) {
	discard := slog.New(slog.DiscardHandler)
	tools, err := handoff.NewLauncher(nil, discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		last        func(t *testing.T, path string) *exec.Cmd
		wantSignOut bool
		wantAudit   string
	}{
		{name: "a clean end restores", last: func(t *testing.T, path string) *exec.Cmd {
			run, _, _ := runstate.Begin(path)
			run.End()
			return nil
		}},
		{name: "no record of a last run signs out", wantSignOut: true},
		{name: "kill -9 with a tool running: the tool is ended, the person signed out", wantSignOut: true,
			wantAudit: "crash_sign_out the last run did not end cleanly; ended 1 tool(s) it left running",
			last: func(t *testing.T, path string) *exec.Cmd {
				run, _, _ := runstate.Begin(path)
				tool := exec.Command("sh", "-c", "sleep 300 & wait")
				tool.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				if err := tool.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { syscall.Kill(-tool.Process.Pid, syscall.SIGKILL) })
				run.AddTool(tool.Process.Pid, "Diagnostics")
				return tool // and the kiosk dies here
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			t.Setenv("XDG_STATE_HOME", state)
			// Private browser profiles of its own: other packages' tests,
			// running meanwhile, make theirs in the system's.
			t.Setenv("TMPDIR", state)
			var tool *exec.Cmd
			if tc.last != nil {
				tool = tc.last(t, filepath.Join(state, "workshop-login", "run.json"))
			}
			exited := make(chan struct{})
			if tool != nil {
				go func() { tool.Wait(); close(exited) }()
			}
			var audit []string
			record := func(event string, _ *auth.Session, detail string) error {
				audit = append(audit, event+" "+detail)
				return nil
			}
			sessions := &keptSession{}
			run := beginRun(sessions, tools, record, discard)
			if run == nil {
				t.Fatal("no run record")
			}
			if sessions.deleted != tc.wantSignOut {
				t.Errorf("signed out: %v, want %v", sessions.deleted, tc.wantSignOut)
			}
			if got := strings.Join(audit, "|"); got != tc.wantAudit {
				t.Errorf("audit %q, want %q", got, tc.wantAudit)
			}
			if tool != nil {
				select {
				case <-exited:
				case <-time.After(5 * time.Second):
					t.Error("the tool the crashed run left is still running")
				}
			}
			run.End()
		})
	}
}

// lockedKeyring refuses every delete, as a keyring still locked at boot does.
type lockedKeyring struct{ keptSession }

func (k *lockedKeyring) Delete() error { return errors.New("the system keyring is not available") }

// A delete the keyring refused stays owed on the run record: a later run
// that ends cleanly still does not restore the person, until a delete
// succeeds.
func TestAnOwedSignOutOutlivesACleanRun(t *testing.T) {
	discard := slog.New(slog.DiscardHandler)
	tools, err := handoff.NewLauncher(nil, discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("TMPDIR", t.TempDir())
	noAudit := func(string, *auth.Session, string) error { return nil }

	// A crash, and the keyring still locked at the next start.
	path, _ := runstate.DefaultPath()
	runstate.Begin(path)
	run := beginRun(&lockedKeyring{}, tools, noAudit, discard)
	run.End() // this run ends cleanly

	// The keyring is unlocked now: the start deletes instead of restoring.
	kept := &keptSession{}
	run = beginRun(kept, tools, noAudit, discard)
	if !kept.deleted {
		t.Fatal("a clean run after a refused sign-out restored the person")
	}
	run.End()

	// The delete went through: the next clean start may restore again.
	kept = &keptSession{}
	beginRun(kept, tools, noAudit, discard).End()
	if kept.deleted {
		t.Error("the owed delete stayed owed after it succeeded")
	}

	// A sign-out during a run that the keyring refuses is owed too.
	run = beginRun(&keptSession{}, tools, noAudit, discard)
	(wipeRecorded{Sessions: &lockedKeyring{}, run: run, log: discard}).Delete()
	run.End()
	kept = &keptSession{}
	beginRun(kept, tools, noAudit, discard)
	if !kept.deleted {
		t.Error("a refused sign-out was forgotten by the next clean start")
	}
}

// kill -9 while signed in to two manufacturers, a tool of each running:
// the restart ends both tools and signs the person out of all.
func TestCrashRuleEndsEveryManufacturersTools(t *testing.T) {
	discard := slog.New(slog.DiscardHandler)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("TMPDIR", state)
	noAudit := func(string, *auth.Session, string) error { return nil }
	var launchers []*handoff.Launcher
	for range 2 {
		l, err := handoff.NewLauncher([]handoff.Tool{{Name: "Diagnostics", Command: "sleep", Args: []string{"300"}, EndAtSignOut: true}}, discard)
		if err != nil {
			t.Fatal(err)
		}
		launchers = append(launchers, l)
	}
	beginRunFor(&keptSession{}, launchers, noAudit, discard) // never ended: the kiosk is killed
	pids := make(chan int, 2)
	for i, l := range launchers {
		go func() {
			s := &auth.Session{Manufacturer: []string{"A", "B"}[i]}
			cmd, err := l.Launch("Diagnostics", s)
			if err != nil {
				t.Error(err)
				pids <- 0
				return
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			pids <- cmd.Process.Pid
		}()
	}
	running := []int{<-pids, <-pids}

	var audit []string
	record := func(event string, _ *auth.Session, detail string) error {
		audit = append(audit, event+" "+detail)
		return nil
	}
	kept := &keptSession{}
	fresh, _ := handoff.NewLauncher(nil, discard)
	beginRun(kept, fresh, record, discard).End()
	if !kept.deleted || strings.Join(audit, "|") != "crash_sign_out the last run did not end cleanly; ended 2 tool(s) it left running" {
		t.Errorf("signed out %v, audit %q", kept.deleted, audit)
	}
	for _, pid := range running {
		eventuallyGone(t, pid)
	}
}

// eventuallyGone waits for the process to be gone (reaped by its
// launcher, which waits for every tool).
func eventuallyGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("tool %d still runs after the restart", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
