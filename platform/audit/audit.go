// Package audit keeps the kiosk's record of who signed in and out and what
// they started: JSON lines in the system's data folder, rotated by size. It
// holds UIDs and the pseudonymous sub, never a token.
package audit

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/workshop-login/workshop-login/platform/paths"

	"gopkg.in/natefinch/lumberjack.v2"

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
	// Manufacturer names the vehicle manufacturer of the session, on a
	// kiosk of several.
	Manufacturer string `json:"manufacturer,omitempty"`
}

// Log appends entries to a file and rotates it when it grows past
// MaxMegabytes, keeping Keep older files beside it, named by the time they
// were moved aside (audit-2026-11-24T09-00-00.000.jsonl, in UTC). The
// rotation is lumberjack's; files that earlier versions rotated to
// audit.jsonl.1, .2… stay readable, behind the newer ones, until Keep newer
// files supersede them. MaxMegabytes and Keep are read at the first Record.
type Log struct {
	Path         string
	MaxMegabytes int // lumberjack counts in whole mebibytes
	Keep         int
	Now          func() time.Time

	mu     sync.Mutex
	writer *lumberjack.Logger
}

// DefaultPath is the log in the operating system's data folder for
// applications: ~/.local/share (or $XDG_DATA_HOME) on Linux, %LOCALAPPDATA%
// on Windows, ~/Library/Application Support on macOS.
func DefaultPath() (string, error) { return paths.Data("audit.jsonl") }

// Open returns the log at path with the default rotation: 1 MiB a file, five
// old files kept (a busy garage's year fits).
func Open(path string) *Log {
	return &Log{Path: path, MaxMegabytes: 1, Keep: 5, Now: time.Now}
}

// Record appends one event about a session (nil for none).
func (l *Log) Record(event string, s *auth.Session, detail string) error {
	e := Entry{Time: l.Now().UTC(), Event: event, Detail: detail}
	if s != nil {
		e.Role, e.Sub, e.AuthorisationUID = s.Identity.Role, s.Identity.Sub, s.Identity.AuthorisationUID()
		e.Manufacturer = s.Manufacturer
	}
	line, err := marshal(e)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// lumberjack would make a missing folder 0755; the log's folder is the
	// garage's alone. It creates the file itself 0600 and keeps that mode
	// when it rotates.
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o700); err != nil {
		return err
	}
	if l.writer == nil {
		l.writer = &lumberjack.Logger{Filename: l.Path, MaxSize: max(l.MaxMegabytes, 1), MaxBackups: max(l.Keep, 1)}
	}
	_, err = l.writer.Write(append(line, '\n'))
	// Closed after every entry, as before: entries are rare, and an open
	// file would keep the log from being moved or deleted on Windows.
	if cerr := l.writer.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	l.dropSuperseded()
	return nil
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

// Latest returns up to n of the newest entries, oldest first, reading the
// older files as far back as needed.
func (l *Log) Latest(n int) ([]Entry, error) {
	if n <= 0 {
		return nil, nil // none asked for (a negative count once sliced out of range)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	older, err := l.older()
	if err != nil {
		return nil, err
	}
	older = older[:min(len(older), max(l.Keep, 1))] // lumberjack removes the surplus in the background
	var entries []Entry
	for _, path := range append([]string{l.Path}, older...) {
		if len(entries) >= n {
			break
		}
		read, err := readFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by lumberjack since it was listed
		}
		if err != nil {
			return nil, err
		}
		entries = append(read, entries...)
	}
	if len(entries) > n {
		entries = entries[len(entries)-n:]
	}
	return entries, nil
}

// backupTimeFormat is the time in lumberjack's names for rotated files.
const backupTimeFormat = "2006-01-02T15-04-05.000"

// older lists the rotated files, newest first: lumberjack's, named by the
// time they were moved aside, then any that earlier versions numbered
// audit.jsonl.1 (the newest of them), .2….
func (l *Log) older() ([]string, error) {
	dir, base := filepath.Split(l.Path)
	ext := filepath.Ext(base)
	prefix := strings.TrimSuffix(base, ext) + "-"
	found, err := os.ReadDir(filepath.Clean(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type file struct {
		name     string
		rotated  time.Time
		numbered int
	}
	var files []file
	for _, f := range found {
		name := f.Name()
		if stamp, ok := strings.CutPrefix(name, prefix); ok && strings.HasSuffix(stamp, ext) {
			if t, err := time.Parse(backupTimeFormat, strings.TrimSuffix(stamp, ext)); err == nil {
				files = append(files, file{name: name, rotated: t})
			}
		} else if number, ok := strings.CutPrefix(name, base+"."); ok {
			if i, err := strconv.Atoi(number); err == nil && i >= 1 {
				files = append(files, file{name: name, numbered: i})
			}
		}
	}
	slices.SortFunc(files, func(a, b file) int {
		if a.numbered != b.numbered {
			return cmp.Compare(a.numbered, b.numbered) // lumberjack's (0) before the numbered
		}
		return b.rotated.Compare(a.rotated)
	})
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(dir, f.name)
	}
	return paths, nil
}

// dropSuperseded removes the files earlier versions numbered (audit.jsonl.1…)
// once Keep newer files are kept: lumberjack only removes its own.
func (l *Log) dropSuperseded() {
	older, err := l.older()
	if err != nil {
		return
	}
	for _, path := range older[min(max(l.Keep, 1), len(older)):] {
		if _, numbered := strings.CutPrefix(filepath.Base(path), filepath.Base(l.Path)+"."); numbered {
			os.Remove(path)
		}
	}
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

// WriteTable prints entries as a table for a person; a MANUFACTURER
// column when any entry names one (a kiosk of several).
func WriteTable(w io.Writer, entries []Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	several := slices.ContainsFunc(entries, func(e Entry) bool { return e.Manufacturer != "" })
	head := "TIME\tEVENT\tROLE\tSUB\tAUTHORISATION UID\tDETAIL"
	if several {
		head = "TIME\tEVENT\tMANUFACTURER\tROLE\tSUB\tAUTHORISATION UID\tDETAIL"
	}
	fmt.Fprintln(tw, head)
	for _, e := range entries {
		cells := []string{e.Time.Local().Format("2006-01-02 15:04:05"), dash(e.Event)}
		if several {
			cells = append(cells, dash(e.Manufacturer))
		}
		cells = append(cells, dash(string(e.Role)), dash(e.Sub), dash(e.AuthorisationUID), dash(e.Detail))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
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
