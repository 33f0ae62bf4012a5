//go:build linux

package runstate

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestACleanEndIsNotACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "workshop-login", "run.json")
	s, prev, err := Begin(path)
	if err != nil || prev.Found {
		t.Fatalf("first run: %+v %v", prev, err)
	}
	if err := s.End(); err != nil {
		t.Fatal(err)
	}
	if _, prev, _ = Begin(path); !prev.Found || prev.Crashed() {
		t.Errorf("after a clean end: %+v", prev)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the record's mode: %v %v", info.Mode(), err)
	}
}

func TestARunThatDidNotEndIsACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.json")
	Begin(path) // killed: never ends
	if _, prev, _ := Begin(path); !prev.Crashed() {
		t.Errorf("after a run that did not end: %+v", prev)
	}
	if err := os.WriteFile(path, []byte(`{"pid":1,"cle`), 0o600); err != nil { // a power cut mid-write
		t.Fatal(err)
	}
	if _, prev, _ := Begin(path); !prev.Crashed() {
		t.Errorf("after a cut-off record: %+v", prev)
	}
}

// startTool starts a process as the launcher does: leader of its own group,
// with a child of its own.
func startTool(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", "sleep 300 & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	return cmd
}

func TestLeftoverToolsOfACrashAreEnded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.json")
	s, _, _ := Begin(path)
	tool := startTool(t)
	if err := s.AddTool(tool.Process.Pid, "Diagnostics"); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { tool.Wait(); close(exited) }()
	// The kiosk is killed here; the next run finds the tool.
	s2, prev, err := Begin(path)
	if err != nil || !prev.Crashed() || len(prev.Tools) != 1 {
		t.Fatalf("after the crash: %+v %v", prev, err)
	}
	ended := EndLeftovers(prev.Tools)
	if len(ended) != 1 {
		t.Fatalf("ended %v", ended)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the tool is still running")
	}
	if syscall.Kill(-tool.Process.Pid, 0) == nil {
		t.Error("the tool's child is still running")
	}
	s2.Forget(ended)
	if _, prev, _ := Begin(path); len(prev.Tools) != 0 {
		t.Errorf("ended tools are still on record: %+v", prev.Tools)
	}
}

// A process number reused by another program is never ended.
func TestAReusedProcessNumberIsLeftAlone(t *testing.T) {
	other := startTool(t)
	start, err := processStart(other.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	ended := EndLeftovers([]Process{{PID: other.Process.Pid, Start: start + "0", Name: "Diagnostics"}})
	if len(ended) != 0 || syscall.Kill(other.Process.Pid, 0) != nil {
		t.Errorf("ended %v: a process that only shares the number", ended)
	}
}

// One window of a user at a time: while one holds the lock, another is
// told so (ErrRunning); once it lets go, the next one gets it.
func TestOneWindowAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "run.lock")
	release, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := Lock(path); !errors.Is(err, ErrRunning) {
		if again != nil {
			again()
		}
		t.Fatalf("a second window while the first runs: %v, want ErrRunning", err)
	}
	release()
	next, err := Lock(path)
	if err != nil {
		t.Fatalf("after the first let go: %v", err)
	}
	next()
}
