//go:build unix

package handoff

import (
	"log/slog"
	"os/exec"
	"syscall"
	"time"
)

// newProcessGroup starts the tool as the leader of its own process group, so
// that ending it also ends whatever it started.
func newProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// endGroup asks the tool's process group to end (SIGTERM), and after grace
// ends it (SIGKILL).
// The group, not only the tool, is watched: a tool may exit and leave its
// children running.
func endGroup(run *started, grace time.Duration, log *slog.Logger) {
	pgid := run.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		return // the group is gone already
	}
	if groupGone(pgid, grace) {
		return
	}
	log.Warn("tool did not end when asked; ending it by force", "pid", pgid)
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	groupGone(pgid, 2*time.Second) // SIGKILL is not refused, but takes a moment
}

// groupGone waits up to d for every process of the group to have exited.
func groupGone(pgid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if syscall.Kill(-pgid, 0) != nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
