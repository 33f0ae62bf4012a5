//go:build darwin

package browser

import (
	"os"
	"os/exec"
	"path/filepath"
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

// privateCandidates are the browsers with a throwaway private mode, in
// their application bundles, in order of preference.
func privateCandidates() []string {
	var out []string
	home, _ := os.UserHomeDir()
	for _, apps := range []string{"/Applications", filepath.Join(home, "Applications")} {
		for _, bundle := range []string{"Chromium.app/Contents/MacOS/Chromium",
			"Google Chrome.app/Contents/MacOS/Google Chrome",
			"Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
			"Firefox.app/Contents/MacOS/firefox"} {
			out = append(out, filepath.Join(apps, bundle))
		}
	}
	return out
}
