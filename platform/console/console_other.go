//go:build !windows

package console

// Attach does nothing: elsewhere a program keeps the terminal it started in.
func Attach() {}
