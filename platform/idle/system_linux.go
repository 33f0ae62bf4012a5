package idle

import "os"

// candidates puts the desktop's own idle monitor first under Wayland, where
// X11 sees only the input of X programs.
func candidates() []func() (Meter, error) {
	if os.Getenv("WAYLAND_DISPLAY") != "" {
		return []func() (Meter, error){newMutter, newFreedesktop, newX11}
	}
	return []func() (Meter, error){newX11, newMutter, newFreedesktop}
}
