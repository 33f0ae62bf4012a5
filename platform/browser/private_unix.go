//go:build unix

package browser

import (
	"os"
	"syscall"
)

// isRoot: Chromium refuses to run as root with its sandbox on.
func isRoot() bool { return os.Geteuid() == 0 }

// The browser is the leader of a process group of its own (detach): its
// renderers, helpers and any process a launcher handed over to are in it.

func askToEnd(pid int) { syscall.Kill(-pid, syscall.SIGTERM) }

func kill(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }

// groupAlive says whether any process of the browser's group is left.
func groupAlive(pid int, _ <-chan struct{}) bool {
	err := syscall.Kill(-pid, 0)
	return err == nil || err == syscall.EPERM
}

// ownedByMe reports whether this user owns the file: another user's
// folders in a shared /tmp are never touched.
func ownedByMe(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
