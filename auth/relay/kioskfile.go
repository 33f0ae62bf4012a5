package relay

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// KioskFile is a kiosk keys file that is read again when it changes
// (checked at most once a second), so that adding a kiosk needs no restart
// and deleting its line revokes it within a second. A file that no longer
// parses keeps the last good keys, and says so in the log.
type KioskFile struct {
	path string
	now  func() time.Time
	warn func(error)

	mu      sync.Mutex
	keys    *KioskKeys
	checked time.Time
	stamp   fileStamp
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// OpenKioskFile reads path; it must parse now.
func OpenKioskFile(path string, warn func(error)) (*KioskFile, error) {
	f := &KioskFile{path: path, now: time.Now, warn: warn}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("relay: kiosks file: %w", err)
	}
	keys, err := LoadKioskKeys(path)
	if err != nil {
		return nil, err
	}
	f.keys, f.stamp, f.checked = keys, fileStamp{st.ModTime(), st.Size()}, f.now()
	return f, nil
}

// Authenticate implements Authenticator against the file as it is now.
func (f *KioskFile) Authenticate(key string) (string, error) {
	return f.current().Authenticate(key)
}

func (f *KioskFile) current() *KioskKeys {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if now.Sub(f.checked) < time.Second {
		return f.keys
	}
	f.checked = now
	st, err := os.Stat(f.path)
	if err != nil {
		f.warn(fmt.Errorf("kiosks file: %w (keeping the kiosks read before)", err))
		return f.keys
	}
	if stamp := (fileStamp{st.ModTime(), st.Size()}); stamp != f.stamp {
		keys, err := LoadKioskKeys(f.path)
		if err != nil {
			f.warn(fmt.Errorf("%w (keeping the kiosks read before)", err))
			return f.keys
		}
		f.keys, f.stamp = keys, stamp
	}
	return f.keys
}

// Names are the kiosks enrolled now.
func (f *KioskFile) Names() []string { return f.current().Names() }
