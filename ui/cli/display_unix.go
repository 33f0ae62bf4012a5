//go:build (linux && !android) || freebsd || openbsd || netbsd || dragonfly

package cli

import "os"

// noDisplay says why there is no display for the window, or "" when there
// may be one. On X11 and Wayland desktops the session sets DISPLAY or
// WAYLAND_DISPLAY; without either, GLFW would end in a stack trace.
func noDisplay() string {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return "neither DISPLAY nor WAYLAND_DISPLAY is set"
	}
	return ""
}
