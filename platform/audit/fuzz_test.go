package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fuzz targets run their seed corpora (testdata/fuzz and the f.Add seeds)
// as regression tests in every `go test`; `make fuzz` explores further.

// FuzzReadLog reads a log file of any content, as `workshop-login audit -n N`
// does: a file damaged by a crash, edited by hand, or written by a tool.
func FuzzReadLog(f *testing.F) {
	good := `{"time":"2026-11-24T09:00:00Z","event":"sign_in","role":"IOE","sub":"s","authorisation_uid":"NL/C/1"}` + "\n" +
		`{"time":"2026-11-24T09:05:00Z","event":"tool_launch","detail":"Diagnostics"}` + "\n"
	f.Add([]byte(good), 10)
	f.Add([]byte(good), 1)
	f.Add([]byte(good+`{"time":"2026-11-24T09:0`), 5)
	f.Add([]byte(good), -5)
	f.Add([]byte(good), 0)
	f.Add([]byte(`{"time":"2026-11-24T09:00:00+02:00","event":"sign_in\n2026-01-01 00:00:00  sign_out","detail":"a\tb"}`), 3)
	f.Add([]byte("\x00\xff\n\n{}\n[]\nnull\n"), 4)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		path := filepath.Join(dir, "audit.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		l := Open(path)
		entries, err := l.Latest(n)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if len(entries) > max(n, 0) || len(entries) > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d entries for n=%d from %d lines", len(entries), n, bytes.Count(data, []byte("\n"))+1)
		}
		for _, e := range entries {
			// Every entry read is one the log could have written: it survives
			// being written and read again.
			line, err := marshal(e)
			if err != nil {
				t.Fatalf("entry %+v cannot be written: %v", e, err)
			}
			var again Entry
			if err := json.Unmarshal(line, &again); err != nil || !again.Time.Equal(e.Time) || again.Event != e.Event ||
				again.Role != e.Role || again.Sub != e.Sub || again.AuthorisationUID != e.AuthorisationUID || again.Detail != e.Detail {
				t.Fatalf("entry %+v read back as %+v (%v)", e, again, err)
			}
		}
		// The table a person reads has one row per entry: nothing in an
		// entry can forge another row.
		var table bytes.Buffer
		if err := WriteTable(&table, entries); err != nil {
			t.Fatal(err)
		}
		if rows := strings.Count(table.String(), "\n"); rows != len(entries)+1 {
			t.Fatalf("%d entries printed as %d lines:\n%s", len(entries), rows, table.String())
		}
	})
}
