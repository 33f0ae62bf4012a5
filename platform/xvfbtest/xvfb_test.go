package xvfbtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// An X server that was killed leaves its lock file and socket behind. On a
// machine shared by many test runs, displays :90 to :139 all once had such
// leftovers and every window test failed with "no free X display". A
// display whose lock names a process that is gone is free: Xvfb takes it.
func TestStartTakesADisplayAKilledServerLeft(t *testing.T) {
	NeedTools(t)
	const n = 140 // above Start's range, so no other test's server is there
	lock, socket := fmt.Sprintf("/tmp/.X%d-lock", n), fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	for _, path := range []string{lock, socket} {
		if _, err := os.Stat(path); err == nil {
			t.Skipf("%s exists: display :%d is not this test's to use", path, n)
		}
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(socket), 0o1777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, []byte(fmt.Sprintf("%10s\n", strconv.Itoa(gone.Process.Pid))), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(socket, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(lock); os.Remove(socket) })

	d := startIn(t, n, n+1)
	if d.Name != fmt.Sprintf(":%d", n) {
		t.Fatalf("started on %s", d.Name)
	}
	if err := d.Xdotool("getmouselocation").Run(); err != nil {
		t.Errorf("the display does not answer: %v", err)
	}
}
