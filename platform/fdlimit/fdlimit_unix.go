//go:build unix

// Package fdlimit raises the process's open-file limit to what the system
// allows, and says what it is: the relay holds a connection per waiting
// kiosk, and bounds them below this limit instead of failing at it.
package fdlimit

import "syscall"

// Raise sets the soft limit on open files to the hard limit (Go's runtime
// does the same at start on most systems; this makes it explicit and sure)
// and returns the soft limit now in force.
func Raise() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		raised := l
		raised.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			l = raised
		}
	}
	return uint64(l.Cur), nil
}
