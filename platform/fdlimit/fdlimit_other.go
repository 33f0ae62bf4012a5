//go:build !unix

// Package fdlimit raises the process's open-file limit to what the system
// allows, and says what it is.
package fdlimit

// Raise has nothing to raise here: Windows bounds handles per process far
// above what a relay uses. Zero means no limit is known.
func Raise() (uint64, error) { return 0, nil }
