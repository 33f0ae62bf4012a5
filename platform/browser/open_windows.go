//go:build windows

package browser

import (
	"os"
	"os/exec"
	"path/filepath"
)

// systemOpener is url.dll's FileProtocolHandler through rundll32, which
// opens an address with the default browser and, unlike cmd /c start, does
// not read &, ^ or % in it as shell syntax. cmd /c start is the fallback
// for a Windows without rundll32 in its system folder.
func systemOpener(target string) (string, []string) {
	rundll := filepath.Join(os.Getenv("SystemRoot"), "System32", "rundll32.exe")
	if _, err := os.Stat(rundll); err == nil {
		return rundll, []string{"url.dll,FileProtocolHandler", target}
	}
	return "cmd", []string{"/c", "start", "", target}
}

func detach(*exec.Cmd) {}

// privateCandidates are the browsers with a throwaway private mode, where
// their installers put them (for all users, then for this one), in order
// of preference.
func privateCandidates() []string {
	var out []string
	for _, exe := range []string{`Google\Chrome\Application\chrome.exe`, `Chromium\Application\chrome.exe`,
		`Microsoft\Edge\Application\msedge.exe`, `Mozilla Firefox\firefox.exe`} {
		for _, root := range []string{"ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA"} {
			if dir := os.Getenv(root); dir != "" {
				out = append(out, filepath.Join(dir, exe))
			}
		}
	}
	return out
}
