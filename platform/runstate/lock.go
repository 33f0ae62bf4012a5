package runstate

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/workshop-login/workshop-login/platform/paths"
)

// ErrRunning means another window of this user holds the lock.
var ErrRunning = errors.New("Workshop Login is already open for this user on this computer")

// Lock (lock_unix.go, lock_windows.go) lets one window of a user run at a
// time. A second one, started by a double click on a slow start, would
// take the first's run record for a crash's: it would end the first's
// tools, sign its person out, and show a second code. The lock is the
// operating system's, on a file beside the run record, so it goes with
// the process however that ends (kill -9 included), and it is not handed
// to the tools the window starts. Lock returns ErrRunning while another
// process holds it; release lets it go.

// DefaultLockPath is the lock beside the run record.
func DefaultLockPath() (string, error) { return paths.State("run.lock") }

// openLockFile opens (creates) the lock's file. Go opens it close-on-exec
// (not inheritable on Windows): the tools the window starts do not get it.
func openLockFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
