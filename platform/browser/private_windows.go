//go:build windows

package browser

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

func isRoot() bool { return false }

// taskkill ends the browser's process tree; Windows has no process groups
// for this. A process whose parent has already gone is no longer in the
// tree: Chromium's and Edge's helpers end with their browser process.
func taskkill(pid int) {
	name := filepath.Join(os.Getenv("SystemRoot"), "System32", "taskkill.exe")
	if _, err := os.Stat(name); err != nil {
		name = "taskkill"
	}
	exec.Command(name, "/F", "/T", "/PID", strconv.Itoa(pid)).Run()
}

func askToEnd(pid int) { taskkill(pid) }

func kill(pid int) { taskkill(pid) }

func groupAlive(_ int, exited <-chan struct{}) bool {
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// ownedByMe: the temporary folder is the user's own on Windows.
func ownedByMe(os.FileInfo) bool { return true }
