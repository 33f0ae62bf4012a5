// Package idle tells how long since anyone used this machine's keyboard or
// pointer, in any program: a shared kiosk signs a person out once they have
// walked away, but not while they work in the diagnostic tool.
package idle

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Meter measures the machine's idle time.
type Meter interface {
	Idle() (time.Duration, error)
	// Name says how it measures, for the log and workshop-login check.
	Name() string
	Close() error
}

// ErrNoMeter says no system-wide measure works here; the window then counts
// only input it receives itself.
var ErrNoMeter = errors.New("no system-wide idle time on this machine")

// System returns the first measure of idle time that answers on this
// machine, or an error saying what was tried.
func System() (Meter, error) {
	var tried []string
	for _, candidate := range candidates() {
		m, err := candidate()
		if err == nil {
			if _, err = m.Idle(); err == nil {
				return m, nil
			}
			m.Close()
		}
		tried = append(tried, err.Error())
	}
	if len(tried) == 0 {
		return nil, ErrNoMeter
	}
	return nil, fmt.Errorf("%w (%s)", ErrNoMeter, strings.Join(tried, "; "))
}

// withTimeout gives up on a query that does not answer: a wedged display
// server must not stop the kiosk's clock.
func withTimeout(d time.Duration, query func() (time.Duration, error)) (time.Duration, error) {
	type answer struct {
		idle time.Duration
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		idle, err := query()
		done <- answer{idle, err}
	}()
	select {
	case a := <-done:
		return a.idle, a.err
	case <-time.After(d):
		return 0, errors.New("the idle time query did not answer within " + d.String())
	}
}

// queryTimeout bounds one idle time query.
const queryTimeout = time.Second
