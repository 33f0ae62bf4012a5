package idle

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

var hidIdleTime = regexp.MustCompile(`"HIDIdleTime" = (\d+)`)

// parseIORegistry reads IOKit's HIDIdleTime (nanoseconds since the last
// keyboard, pointer or touch input) from ioreg's output.
func parseIORegistry(out []byte) (time.Duration, error) {
	m := hidIdleTime.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("IOKit: ioreg shows no HIDIdleTime")
	}
	ns, err := strconv.ParseUint(string(m[1]), 10, 63)
	if err != nil {
		return 0, fmt.Errorf("IOKit: HIDIdleTime %s: %w", m[1], err)
	}
	return time.Duration(ns), nil
}
