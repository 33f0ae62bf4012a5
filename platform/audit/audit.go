// Package audit keeps the kiosk's record of who signed in and out and what
// they started: JSON lines in the system's data folder, rotated by size. It
// holds UIDs and the pseudonymous sub, never a token.
package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/workshop-login/workshop-login/auth"
)

// Entry is one line of the log.
type Entry struct {
	Time             time.Time `json:"time"`
	Event            string    `json:"event"` // sign_in, sign_out, refused, tool_launch…: named by the caller
	Role             auth.Role `json:"role,omitempty"`
	Sub              string    `json:"sub,omitempty"`
	AuthorisationUID string    `json:"authorisation_uid,omitempty"`
	Detail           string    `json:"detail,omitempty"` // the tool's name, or why a sign-in was refused
}

// Log appends entries to a file and rotates it when it grows past MaxBytes,
// keeping Keep older files (audit.jsonl.1 is the newest of them).
type Log struct {
	Path     string
	MaxBytes int64
	Keep     int
	Now      func() time.Time

	mu sync.Mutex
}

// DefaultPath is the log in the operating system's data folder for
// applications: ~/.local/share (or $XDG_DATA_HOME) on Linux, %LOCALAPPDATA%
// on Windows, ~/Library/Application Support on macOS.
func DefaultPath() (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = os.Getenv("LOCALAPPDATA")
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, "Library", "Application Support")
	default:
		dir = os.Getenv("XDG_DATA_HOME")
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			dir = filepath.Join(home, ".local", "share")
		}
	}
	if dir == "" {
		return "", errors.New("no data folder: set LOCALAPPDATA or XDG_DATA_HOME")
	}
	return filepath.Join(dir, "workshop-login", "audit.jsonl"), nil
}

// Open returns the log at path with the default rotation: 1 MiB a file, five
// old files kept (a busy garage's year fits).
func Open(path string) *Log {
	return &Log{Path: path, MaxBytes: 1 << 20, Keep: 5, Now: time.Now}
}

// Record appends one event about a session (nil for none).
func (l *Log) Record(event string, s *auth.Session, detail string) error {
	e := Entry{Time: l.Now().UTC(), Event: event, Detail: detail}
	if s != nil {
		e.Role, e.Sub, e.AuthorisationUID = s.Identity.Role, s.Identity.Sub, s.Identity.AuthorisationUID()
	}
	line, err := marshal(e)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o700); err != nil {
		return err
	}
	if err := l.rotate(int64(len(line) + 1)); err != nil {
		return err
	}
	f, err := os.OpenFile(l.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(append(line, '\n'))
	return err
}

// marshal is one entry as JSON for the scripts and tools that read the log:
// a garage's name such as "JANSEN & ZN" stays as written, not \u0026.
func marshal(e Entry) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// rotate moves the log aside when adding n bytes would pass MaxBytes.
func (l *Log) rotate(n int64) error {
	info, err := os.Stat(l.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil || info.Size()+n <= l.MaxBytes {
		return err
	}
	os.Remove(fmt.Sprintf("%s.%d", l.Path, l.Keep))
	for i := l.Keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", l.Path, i), fmt.Sprintf("%s.%d", l.Path, i+1))
	}
	return os.Rename(l.Path, l.Path+".1")
}

// Latest returns up to n of the newest entries, oldest first, reading the
// rotated files as far back as needed.
func (l *Log) Latest(n int) ([]Entry, error) {
	if n <= 0 {
		return nil, nil // none asked for (a negative count once sliced out of range)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var entries []Entry
	files := []string{l.Path}
	for i := 1; i <= l.Keep; i++ {
		files = append(files, fmt.Sprintf("%s.%d", l.Path, i))
	}
	for _, path := range files {
		if len(entries) >= n {
			break
		}
		older, err := readFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		entries = append(older, entries...)
	}
	if len(entries) > n {
		entries = entries[len(entries)-n:]
	}
	return entries, nil
}

func readFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []Entry
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		var e Entry
		if json.Unmarshal(scanner.Bytes(), &e) == nil {
			entries = append(entries, e) // a torn last line after a crash is skipped
		}
	}
	return entries, scanner.Err()
}

// WriteTable prints entries as a table for a person.
func WriteTable(w io.Writer, entries []Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tROLE\tSUB\tAUTHORISATION UID\tDETAIL")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), dash(e.Event),
			dash(string(e.Role)), dash(e.Sub), dash(e.AuthorisationUID), dash(e.Detail))
	}
	return tw.Flush()
}

// dash is a table cell: "-" for nothing, and a value with a line break or
// tab (a hand-edited or forged line) quoted, so it cannot print rows of its own.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}
