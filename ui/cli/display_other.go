//go:build !((linux && !android) || freebsd || openbsd || netbsd || dragonfly)

package cli

// noDisplay is "" on Windows and macOS: their window system is always there
// for a desktop session.
func noDisplay() string { return "" }
