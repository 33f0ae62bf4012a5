package cli

import (
	"fmt"
	"os"
	"testing"

	"github.com/workshop-login/workshop-login/platform/xvfbtest"
)

// TestMain gives the package's tests a state folder of their own: what a
// run keeps there (the crash rule's record, the demonstration's kept
// enrolment) must neither come from the machine's nor go to it; and,
// under make test, a keyring of their own (xvfbtest.OwnKeyring).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "workshop-login-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_STATE_HOME", dir)
	code := xvfbtest.RunWithOwnKeyring(m)
	os.RemoveAll(dir)
	os.Exit(code)
}
