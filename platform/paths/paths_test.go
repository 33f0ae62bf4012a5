//go:build linux

package paths

import (
	"path/filepath"
	"testing"
)

func TestFoldersFollowXDG(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/kiosk")
	if got, _ := Data("audit.jsonl"); got != filepath.FromSlash("/data/workshop-login/audit.jsonl") {
		t.Errorf("data: %s", got)
	}
	if got, _ := State("run.json"); got != filepath.FromSlash("/home/kiosk/.local/state/workshop-login/run.json") {
		t.Errorf("state: %s", got)
	}
}
