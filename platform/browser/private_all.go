package browser

import (
	"errors"
	"sync"
)

// open holds the private browsers this process started and has not yet
// ended, so that a kiosk that is closing (the window closed, SIGTERM,
// SIGINT) can end them and delete their profiles before it exits: a
// profile left behind holds the last person's Digidentity session.
var open struct {
	sync.Mutex
	windows map[*Private]struct{}
}

func remember(p *Private) {
	open.Lock()
	defer open.Unlock()
	if open.windows == nil {
		open.windows = map[*Private]struct{}{}
	}
	open.windows[p] = struct{}{}
}

func forget(p *Private) {
	open.Lock()
	defer open.Unlock()
	delete(open.windows, p)
}

// EndAllPrivate ends every private browser this process opened that is
// still open, deletes their profiles, and returns once that is done (a few
// seconds at most for a browser that will not close).
func EndAllPrivate() error {
	open.Lock()
	var all []*Private
	for p := range open.windows {
		all = append(all, p)
	}
	open.Unlock()
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, p := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.End()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
