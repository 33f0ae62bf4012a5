package idle

import (
	"context"
	"os/exec"
	"time"
)

// ioRegistry reads IOKit's IOHIDSystem entry through ioreg, which every Mac
// has, rather than linking IOKit: the package then builds without cgo.
type ioRegistry struct{}

func candidates() []func() (Meter, error) {
	return []func() (Meter, error){func() (Meter, error) { return ioRegistry{}, nil }}
}

func (ioRegistry) Name() string { return "IOKit HIDIdleTime" }

func (ioRegistry) Idle() (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/usr/sbin/ioreg", "-c", "IOHIDSystem", "-d", "4", "-k", "HIDIdleTime").Output()
	if err != nil {
		return 0, err
	}
	return parseIORegistry(out)
}

func (ioRegistry) Close() error { return nil }
