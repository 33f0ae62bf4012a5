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
