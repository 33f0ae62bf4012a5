// Package runstate remembers across a crash what the kiosk may have left
// behind: whether its last run ended cleanly, and the tools it started.
//
// The rule, for a kiosk that the next person walks up to: a session is
// restored from the keyring only after a run that ended cleanly (the window
// closed, or the system asked the program to stop). After a crash, kill -9
// or a power cut, the program first ends any tools the crashed run left
// running, then signs the last person out instead of restoring them,
// because nothing proves they walked away signed out.
package runstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/workshop-login/workshop-login/platform/paths"
)

// Process is a tool the kiosk started, as a restart can recognise it: the
// process id and the operating system's start time, so a process id reused
// by something else is never ended.
type Process struct {
	PID   int    `json:"pid"`
	Start string `json:"start,omitempty"`
	Name  string `json:"name"`
}

// record is the file: small, written whole on every change.
type record struct {
	PID   int       `json:"pid"`
	Clean bool      `json:"clean"`
	Tools []Process `json:"tools,omitempty"`
	// WipeOwed: a sign-out's keyring delete has not succeeded yet, so no
	// later start may restore, whether or not its run ends cleanly.
	WipeOwed bool `json:"wipe_owed,omitempty"`
}

// Previous is what the last run left.
type Previous struct {
	Found bool      // there was a last run on this machine for this user
	Clean bool      // it ended cleanly
	Tools []Process // tools it had running when it ended
	// WipeOwed: a delete of the kept session is still owed.
	WipeOwed bool
}

// Crashed reports whether the last run ended without saying so.
func (p Previous) Crashed() bool { return p.Found && !p.Clean }

// State is this run's record.
type State struct {
	path string

	mu  sync.Mutex
	rec record
}

// Begin reads what the previous run left at path and starts this run's
// record there, marked unclean until End.
func Begin(path string) (*State, Previous, error) {
	var prev Previous
	var last record
	switch b, err := os.ReadFile(path); {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, prev, fmt.Errorf("reading %s: %w", path, err)
	case json.Unmarshal(b, &last) != nil:
		// Cut off by a power cut mid-write: not clean, tools unknown.
		prev = Previous{Found: true}
	default:
		prev = Previous{Found: true, Clean: last.Clean, Tools: last.Tools, WipeOwed: last.WipeOwed}
	}
	s := &State{path: path, rec: record{PID: os.Getpid(), WipeOwed: prev.WipeOwed}}
	if prev.Crashed() {
		// Until the leftovers are ended, they stay on record: a second
		// crash before then must still find them.
		s.rec.Tools = slices.Clone(prev.Tools)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, prev, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	return s, prev, s.write()
}

// AddTool records a started tool.
func (s *State) AddTool(pid int, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	start, _ := processStart(pid)
	s.rec.Tools = append(s.rec.Tools, Process{PID: pid, Start: start, Name: name})
	return s.write()
}

// RemoveTool forgets a tool that has ended.
func (s *State) RemoveTool(pid int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec.Tools = slices.DeleteFunc(s.rec.Tools, func(p Process) bool { return p.PID == pid })
	return s.write()
}

// Forget drops leftovers from the record once they are ended.
func (s *State) Forget(left []Process) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec.Tools = slices.DeleteFunc(s.rec.Tools, func(p Process) bool { return slices.Contains(left, p) })
	return s.write()
}

// OweWipe records whether a delete of the kept session is still owed; it
// stays on record across runs until a delete succeeds.
func (s *State) OweWipe(owed bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rec.WipeOwed == owed {
		return nil
	}
	s.rec.WipeOwed = owed
	return s.write()
}

// End marks this run as ended cleanly, with no tools left running.
func (s *State) End() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec.Clean, s.rec.Tools = true, nil
	return s.write()
}

// write replaces the file atomically: a power cut leaves the old or the new.
func (s *State) write() error {
	b, err := json.Marshal(s.rec)
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	return os.Rename(tmp, s.path)
}

// EndLeftovers ends the tools a crashed run left, each only while it is
// still the process that was started (same start time), with whatever it
// started in turn. It returns those it ended.
func EndLeftovers(tools []Process) (ended []Process) {
	for _, p := range tools {
		start, err := processStart(p.PID)
		if err != nil || p.Start == "" || start != p.Start {
			continue // gone, or its number now belongs to another process
		}
		if endProcessGroup(p.PID) {
			ended = append(ended, p)
		}
	}
	return ended
}

// DefaultPath is the record in the operating system's folder for state
// kept across runs: $XDG_STATE_HOME or ~/.local/state on Linux,
// %LOCALAPPDATA% on Windows, ~/Library/Application Support on macOS.
func DefaultPath() (string, error) { return paths.State("run.json") }
