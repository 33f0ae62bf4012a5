package audit

import (
	"bytes"
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
	l.MaxBytes, l.Keep = 600, 2
	s := session(t)
	for i := 0; i < 40; i++ {
		if err := l.Record("sign_in", s, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{l.Path, l.Path + ".1", l.Path + ".2"} {
		info, err := os.Stat(name)
		if err != nil || info.Size() > l.MaxBytes {
			t.Errorf("%s: %v, %d bytes", name, err, info.Size())
		}
	}
	if _, err := os.Stat(l.Path + ".3"); err == nil {
		t.Error("more old files kept than configured")
	}
	entries, err := l.Latest(100)
	if err != nil || len(entries) < 6 {
		t.Errorf("latest across rotated files: %d entries, %v", len(entries), err)
	}
}

func TestDefaultPathFollowsTheDataFolder(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	if p, err := DefaultPath(); err != nil || p != "/data/workshop-login/audit.jsonl" {
		t.Errorf("DefaultPath = %q, %v", p, err)
	}
}
