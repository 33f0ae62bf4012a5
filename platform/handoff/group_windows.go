//go:build windows

package handoff

import (
	"log/slog"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// newProcessGroup gives the tool a process group of its own, so that
// ending it also ends whatever it started.
func newProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// endGroup asks the tool's process tree to close (taskkill without /F sends
// WM_CLOSE), and after grace ends it by force.
func endGroup(run *started, grace time.Duration, log *slog.Logger) {
	pid := strconv.Itoa(run.cmd.Process.Pid)
	_ = exec.Command("taskkill", "/T", "/PID", pid).Run()
	select {
	case <-run.done:
		return
	case <-time.After(grace):
	}
	log.Warn("tool did not end when asked; ending it by force", "pid", pid)
	_ = exec.Command("taskkill", "/T", "/F", "/PID", pid).Run()
}
