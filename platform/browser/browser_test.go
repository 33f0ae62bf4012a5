package browser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeOpener is a "system browser" that records its arguments and its
// environment, then exits at once as xdg-open does once it has handed over.
func fakeOpener(t *testing.T) (record string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("a shell script as the browser")
	}
	dir := t.TempDir()
	record = filepath.Join(dir, "record")
	script := filepath.Join(dir, "browser")
	body := "#!/bin/sh\n{ printf '%s\\n' \"$@\"; echo ---; env; } > " + record + ".tmp && mv " + record + ".tmp " + record + "\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv(CommandEnv, script)
	return record
}

func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the browser was not started")
	return ""
}

// zombies lists this process's children that have exited and not been
// waited for (state Z in /proc/PID/stat).
func zombies(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	me := os.Getpid()
	var found []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == me && f[0] == "Z" {
			found = append(found, pid)
		}
	}
	return found
}

// noZombies waits a little for the opener to be reaped.
func noZombies(t *testing.T) []int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		z := zombies(t)
		if len(z) == 0 || time.Now().After(deadline) {
			return z
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOpenerIsReaped(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc")
	}
	// The check itself finds a zombie: a child started and never waited
	// for, as Fyne's OpenURL leaves xdg-open.
	control := exec.Command("true")
	if err := control.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(zombies(t)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if z := zombies(t); len(z) != 1 || z[0] != control.Process.Pid {
		t.Fatalf("the zombie check sees %v, want [%d]", z, control.Process.Pid)
	}
	control.Wait()

	record := fakeOpener(t)
	for i := 0; i < 5; i++ {
		os.Remove(record)
		if err := Open(context.Background(), "https://rmi.example-vm.com/"); err != nil {
			t.Fatal(err)
		}
		waitFile(t, record)
	}
	if z := noZombies(t); len(z) != 0 {
		t.Errorf("openers left as zombies: %v", z)
	}
}

func TestOpenerGetsTheAddressAndACleanEnvironment(t *testing.T) {
	record := fakeOpener(t)
	t.Setenv("WORKSHOP_LOGIN_TRUST_CENTRE_CLIENT_SECRET", "client-secret-xyz")
	t.Setenv("SOME_TOKEN_OF_A_SHELL", "unrelated-secret-abc")
	t.Setenv("LANG", "nl_NL.UTF-8")
	t.Setenv("BROWSER", "firefox")
	target := "file:///run/user/1000/workshop-login-portal-123/portal.html"
	if err := Open(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	got := waitFile(t, record)
	args, env, _ := strings.Cut(got, "---\n")
	if args != target+"\n" {
		t.Errorf("browser's arguments:\n%s", args)
	}
	for _, secret := range []string{"client-secret-xyz", "unrelated-secret-abc", "WORKSHOP_LOGIN_"} {
		if strings.Contains(env, secret) {
			t.Errorf("the browser's environment carries %q:\n%s", secret, env)
		}
	}
	for _, need := range []string{"PATH=", "HOME=", "LANG=nl_NL.UTF-8", "BROWSER=firefox"} {
		if !strings.Contains(env, need) {
			t.Errorf("the browser's environment lacks %s:\n%s", need, env)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	fakeOpener(t)
	for _, target := range []string{"", "--help", "-new-window"} {
		if err := Open(context.Background(), target); err == nil {
			t.Errorf("opened %q", target)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Open(ctx, "https://rmi.example-vm.com/"); err == nil {
		t.Error("opened with a context already done")
	}
	t.Setenv(CommandEnv, filepath.Join(t.TempDir(), "no-such-browser"))
	if err := Open(context.Background(), "https://rmi.example-vm.com/"); err == nil {
		t.Error("no error without a browser")
	}
}
