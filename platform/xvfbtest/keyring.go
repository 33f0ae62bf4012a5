package xvfbtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// RunWithOwnKeyring runs a package's tests against a keyring of their own
// (OwnKeyring), where make test gives them a Secret Service to test
// against (WORKSHOP_LOGIN_KEYRING_TEST=1); elsewhere it only runs them.
func RunWithOwnKeyring(m *testing.M) int {
	// A test's own helper process (os.Args[0] -test.run=…) shares its
	// parent's keyring: that is what it is tested on.
	if os.Getenv("WORKSHOP_LOGIN_KEYRING_TEST") != "1" || os.Getenv(ownKeyring) != "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "workshop-login-keyring-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	stop, err := OwnKeyring(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "a keyring of the tests' own:", err)
		return 1
	}
	defer stop()
	return m.Run()
}

// OwnKeyring gives this test binary, and every program it starts, a
// Secret Service of its own: a session bus and gnome-keyring, unlocked,
// keeping its keyring in dir. make test runs every package against one
// keyring, and a kiosk that starts with no run record wipes the kept
// session (the crash rule), so the packages that start kiosks would wipe
// each other's sessions between a kiosk's end and its restart. Call it
// from TestMain, before anything has used the keyring: the bus's address
// is set in this process's environment. stop ends both.
func OwnKeyring(dir string) (stop func(), err error) {
	bus := exec.Command("dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1")
	bus.Env = append(os.Environ(), "XDG_DATA_HOME="+dir)
	out, err := bus.Output()
	if err != nil {
		return nil, fmt.Errorf("starting a session bus: %v", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return nil, fmt.Errorf("dbus-daemon printed %q, want its address and process number", out)
	}
	pid, err := strconv.Atoi(lines[1])
	if err != nil {
		return nil, fmt.Errorf("dbus-daemon printed %q, want its address and process number", out)
	}
	stop = func() { syscall.Kill(pid, syscall.SIGTERM) } // gnome-keyring ends with its bus
	keyring := exec.Command("gnome-keyring-daemon", "--unlock", "--components=secrets")
	keyring.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+lines[0], "XDG_DATA_HOME="+dir)
	// The password only unlocks it. Its output goes nowhere: the daemon it
	// leaves running would hold a pipe open, and Run would wait for it.
	keyring.Stdin = bytes.NewReader([]byte("kiosk-test"))
	if err := keyring.Run(); err != nil {
		stop()
		return nil, fmt.Errorf("starting gnome-keyring: %v", err)
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", lines[0])
	os.Setenv(ownKeyring, dir)
	return stop, nil
}

// ownKeyring, in the environment, names the folder of the keyring a
// test binary started for itself and the programs it starts.
const ownKeyring = "WORKSHOP_LOGIN_TEST_KEYRING"
