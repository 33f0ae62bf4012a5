//go:build !linux && !windows && !darwin

package idle

func candidates() []func() (Meter, error) { return nil }
