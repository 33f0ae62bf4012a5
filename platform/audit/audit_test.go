package audit

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

func session(t *testing.T) *auth.Session {
	id, err := auth.ParseUserInfo([]byte(`{"sub":"e2x0a6mp-37l0-42ps-94ef-u69755438d3o","cabuid":"EXA/NL/1234/1EXA2MP34LE5",
		"iouid":"GARAGE JANSEN/WALDORPSTRAAT13FTHEHAGUE2521CA/NL123456789B01","ioeuid":"NL/EXAMPLECAB/1234567890B"}`))
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Session{Identity: id, AccessToken: "at-secret-token", RefreshToken: "rt-secret-token"}
}

func TestRecordAndTable(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	l := Open(filepath.Join(t.TempDir(), "workshop-login", "audit.jsonl"))
	l.Now = func() time.Time { now = now.Add(time.Minute); return now }
	s := session(t)
	for _, step := range []struct{ event, detail string }{{"sign_in", ""}, {"tool_launch", "Diagnostics"}, {"sign_out", ""}, {"refused", "access_denied"}} {
		var who *auth.Session
		if step.event != "refused" {
			who = s
		}
		if err := l.Record(step.event, who, step.detail); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(l.Path)
	if strings.Contains(string(raw), "secret-token") {
		t.Fatal("the audit log holds a token")
	}
	if info, _ := os.Stat(l.Path); info.Mode().Perm() != 0o600 {
		t.Errorf("the log is readable by others: %v", info.Mode())
	}
	entries, err := l.Latest(3)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || entries[0].Event != "tool_launch" || entries[0].Detail != "Diagnostics" || entries[2].Event != "refused" {
		t.Errorf("latest = %+v", entries)
	}
	var table bytes.Buffer
	WriteTable(&table, entries)
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "tool_launch") || !strings.Contains(lines[1], "1234567890B") || !strings.Contains(lines[3], "access_denied") {
		t.Errorf("table:\n%s", table.String())
	}
}

// Scripts read the log as JSON lines: "JANSEN & ZN <diag>" is written as it
// is, not with \u0026 and the like meant for a browser.
func TestLogKeepsAmpersandsAndAngles(t *testing.T) {
	l := Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	const detail = "JANSEN & ZN <diag>"
	if err := l.Record("tool_launch", nil, detail); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(l.Path)
	if !strings.Contains(string(raw), `"detail":"`+detail+`"`) || strings.Contains(string(raw), `\u00`) ||
		strings.Count(string(raw), "\n") != 1 {
		t.Errorf("log line %q", raw)
	}
	if entries, err := l.Latest(1); err != nil || len(entries) != 1 || entries[0].Detail != detail {
		t.Errorf("read back %+v, %v", entries, err)
	}
}

func TestRotationBySize(t *testing.T) {
	l := Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	l.Keep = 2
	s := session(t)
	const records = 60
	for i := range records {
		// 60 KiB an entry: 16 fit in the 1 MiB a file.
		if err := l.Record("sign_in", s, fmt.Sprintf("%03d", i)+strings.Repeat("x", 60<<10)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // lumberjack names rotated files to the millisecond
	}
	var older []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var err error
		if older, err = l.older(); err != nil {
			t.Fatal(err)
		}
		if len(older) <= l.Keep || time.Now().After(deadline) {
			break // lumberjack removes the surplus in the background
		}
	}
	if len(older) != l.Keep {
		t.Errorf("old files kept: %q, want %d", older, l.Keep)
	}
	for _, name := range append([]string{l.Path}, older...) {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() > int64(l.MaxMegabytes)<<20 || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %d bytes, mode %v", name, info.Size(), info.Mode())
		}
	}
	entries, err := l.Latest(100)
	if err != nil || len(entries) < 40 {
		t.Fatalf("latest across rotated files: %d entries, %v", len(entries), err)
	}
	for i, e := range entries {
		if want := fmt.Sprintf("%03d", records-len(entries)+i); !strings.HasPrefix(e.Detail, want) {
			t.Errorf("entry %d of %d is %.3s, want %s", i, len(entries), e.Detail, want)
		}
	}
}

// Logs rotated before lumberjack did it (audit.jsonl.1 the newest, .2…) are
// read behind lumberjack's files, and removed once Keep newer files exist.
func TestNumberedOldFilesStayReadable(t *testing.T) {
	l := Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	line := func(event string) string { return `{"time":"2026-11-24T09:00:00Z","event":"` + event + `"}` + "\n" }
	for name, content := range map[string]string{
		l.Path + ".2": line("a") + line("b"),
		l.Path + ".1": line("c"),
		l.Path:        line("d"),
	} {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	events := func() string {
		t.Helper()
		entries, err := l.Latest(10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Event)
		}
		return strings.Join(got, " ")
	}
	if got := events(); got != "a b c d" {
		t.Errorf("read %q, want a b c d", got)
	}
	if err := l.Record("e", nil, ""); err != nil {
		t.Fatal(err)
	}
	if got := events(); got != "a b c d e" {
		t.Errorf("after a new entry, read %q", got)
	}

	l.Keep = 1
	if err := l.Record("f", nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Path + ".2"); err == nil {
		t.Error("audit.jsonl.2 is kept beyond Keep")
	}
	if got := events(); got != "c d e f" {
		t.Errorf("with one old file kept, read %q", got)
	}
}

func TestDefaultPathFollowsTheDataFolder(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	if p, err := DefaultPath(); err != nil || p != "/data/workshop-login/audit.jsonl" {
		t.Errorf("DefaultPath = %q, %v", p, err)
	}
}

// On a kiosk of several manufacturers every sign-in, sign-out and launch
// names whose session it was, in the log and in the table.
func TestLogNamesTheManufacturer(t *testing.T) {
	l := Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	id, err := auth.ParseUserInfo([]byte(`{"sub":"s","cabuid":"EXA/NL/1234/1EXA2MP34LE5","iouid":"GARAGE JANSEN/X/NL1","ioeuid":"NL/EXAMPLECAB/1234567890B"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range []string{"Demo manufacturer A", "Demo manufacturer B"} {
		s := &auth.Session{Identity: id, Manufacturer: vm}
		for _, event := range []string{"sign_in", "tool_launch", "sign_out"} {
			if err := l.Record(event, s, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	raw, _ := os.ReadFile(l.Path)
	if strings.Count(string(raw), `"manufacturer":"Demo manufacturer A"`) != 3 || strings.Count(string(raw), `"manufacturer":"Demo manufacturer B"`) != 3 {
		t.Errorf("log:\n%s", raw)
	}
	entries, _ := l.Latest(6)
	var table bytes.Buffer
	WriteTable(&table, entries)
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != 7 || !strings.Contains(lines[0], "MANUFACTURER") || !strings.Contains(lines[6], "Demo manufacturer B") {
		t.Errorf("table:\n%s", table.String())
	}
}
