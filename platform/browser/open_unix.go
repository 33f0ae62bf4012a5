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

// privateCandidates are the browsers with a throwaway private mode, as
// Linux distributions and the vendors' packages name them, in order of
// preference.
func privateCandidates() []string {
	return []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
		"microsoft-edge", "microsoft-edge-stable", "firefox", "firefox-esr"}
}
