//go:build unix && !darwin

package browser

import (
	"os/exec"
	"syscall"
)

// systemOpener is xdg-open (Linux and the BSDs): it asks the desktop for the
// person's browser.
func systemOpener(target string) (string, []string) {
	return "xdg-open", []string{target}
}

// detach starts the opener in a process group of its own: Ctrl+C in the
// kiosk's terminal is not for the browser.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
