//go:build darwin

package browser

import (
	"os/exec"
	"syscall"
)

// systemOpener is open(1), which hands the address to the default browser
// (for a file, the default application for its type: an .html file opens
// in the browser).
func systemOpener(target string) (string, []string) {
	return "open", []string{target}
}

func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
