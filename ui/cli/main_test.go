package cli

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives the package's tests a state folder of their own: what a
// run keeps there (the crash rule's record, the demonstration's kept
// enrolment) must neither come from the machine's nor go to it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "workshop-login-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_STATE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
