package relay

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// DenyList revokes kiosks a garage enrolled, which the relay has no record
// of: by the code the kiosk shows, or every kiosk of a garage. Lines:
//
//	# comment
//	kiosk K7Q4-MZ2A
//	garage GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01
type DenyList struct {
	kiosks, garages map[string]bool
}

// ParseDenyList reads a deny list; a line it cannot read is an error naming
// the line.
func ParseDenyList(r io.Reader) (*DenyList, error) {
	d := &DenyList{kiosks: map[string]bool{}, garages: map[string]bool{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		what, value, _ := strings.Cut(line, " ")
		value = strings.TrimSpace(value)
		switch {
		case what == "kiosk" && enrolCode.MatchString(strings.ReplaceAll(strings.ToUpper(value), "-", "")):
			d.kiosks[strings.ReplaceAll(strings.ToUpper(value), "-", "")] = true
		case what == "garage" && value != "":
			d.garages[value] = true
		default:
			return nil, fmt.Errorf("relay: deny list line %d: want \"kiosk CODE\" (the 8 characters the kiosk shows) or \"garage IOUID\"", n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("relay: deny list: %w", err)
	}
	return d, nil
}

// Denied says why e is revoked ("kiosk" or "garage"), or "".
func (d *DenyList) Denied(e Enrolment) string {
	switch {
	case d == nil:
		return ""
	case d.kiosks[e.Code]:
		return "kiosk"
	case d.garages[e.Garage]:
		return "garage"
	}
	return ""
}

// DenyFile is a deny list read again within a second of a change, as the
// kiosks file is, so a revocation reaches every replica within a second.
// A missing file denies nothing; one that no longer parses keeps the last
// good list and says so in the log.
type DenyFile struct {
	path string
	now  func() time.Time
	warn func(error)

	mu      sync.Mutex
	list    *DenyList
	checked time.Time
	stamp   fileStamp
}

// OpenDenyFile reads path, which may not exist yet; it must parse if it does.
func OpenDenyFile(path string, warn func(error)) (*DenyFile, error) {
	f := &DenyFile{path: path, now: time.Now, warn: warn, list: &DenyList{}}
	if err := f.reload(); err != nil {
		return nil, err
	}
	f.checked = f.now()
	return f, nil
}

// Denied implements the server's check against the file as it is now.
func (f *DenyFile) Denied(e Enrolment) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now := f.now(); now.Sub(f.checked) >= time.Second {
		f.checked = now
		if err := f.reload(); err != nil {
			f.warn(fmt.Errorf("%w (keeping the deny list read before)", err))
		}
	}
	return f.list.Denied(e)
}

func (f *DenyFile) reload() error {
	st, err := os.Stat(f.path)
	if os.IsNotExist(err) {
		f.list, f.stamp = &DenyList{}, fileStamp{}
		return nil
	}
	if err != nil {
		return fmt.Errorf("relay: deny list: %w", err)
	}
	stamp := fileStamp{st.ModTime(), st.Size()}
	if stamp == f.stamp {
		return nil
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("relay: deny list: %w", err)
	}
	list, err := ParseDenyList(bytes.NewReader(b))
	if err != nil {
		return err
	}
	f.list, f.stamp = list, stamp
	return nil
}
