// Package paths names the folders where the kiosk keeps its files, by the
// operating system's conventions, so each kind of file lives where an
// administrator expects it.
package paths

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// App is the folder name inside each of the system's folders.
const App = "workshop-login"

// Data is where files worth keeping go (the audit log): $XDG_DATA_HOME or
// ~/.local/share on Linux, %LOCALAPPDATA% on Windows, ~/Library/Application
// Support on macOS.
func Data(name string) (string, error) { return file("XDG_DATA_HOME", ".local/share", name) }

// State is where state that outlives a run goes (the crash rule's record):
// $XDG_STATE_HOME or ~/.local/state on Linux, elsewhere as Data.
func State(name string) (string, error) { return file("XDG_STATE_HOME", ".local/state", name) }

func file(xdgVariable, xdgDefault, name string) (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = os.Getenv("LOCALAPPDATA")
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, "Library", "Application Support")
	default:
		dir = os.Getenv(xdgVariable)
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			dir = filepath.Join(home, filepath.FromSlash(xdgDefault))
		}
	}
	if dir == "" {
		return "", errors.New("no folder for the kiosk's files: set LOCALAPPDATA or " + xdgVariable)
	}
	return filepath.Join(dir, App, name), nil
}
