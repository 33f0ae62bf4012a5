//go:build unix

package runstate

import (
	"syscall"
	"time"
)

// endProcessGroup ends the group a tool leads (SIGTERM, then SIGKILL after
// two seconds), as the launcher does at sign-out.
func endProcessGroup(pgid int) bool {
	if syscall.Kill(-pgid, syscall.SIGTERM) != nil {
		return false
	}
	for _, signal := range []syscall.Signal{syscall.SIGKILL, 0} {
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if syscall.Kill(-pgid, 0) != nil {
				return true
			}
			time.Sleep(20 * time.Millisecond)
		}
		if signal != 0 {
			_ = syscall.Kill(-pgid, signal)
		}
	}
	return syscall.Kill(-pgid, 0) != nil
}
