// Package xvfbtest gives tests a real X server: Xvfb, which keeps its screen
// in a file (-fbdir, XWD format) that zbarimg decodes directly, and xdotool
// to type and move the pointer in it. make test installs the tools and sets
// WORKSHOP_LOGIN_WINDOW_TEST=1.
package xvfbtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Display is one Xvfb server, stopped when the test ends.
type Display struct {
	Name   string // ":42"
	Screen string // the XWD file Xvfb draws into
	xvfb   *exec.Cmd
}

// NeedTools skips the test unless real-window tests are asked for, and
// fails it when they are asked for but a tool is missing.
func NeedTools(t testing.TB) {
	t.Helper()
	if os.Getenv("WORKSHOP_LOGIN_WINDOW_TEST") != "1" {
		t.Skip("set WORKSHOP_LOGIN_WINDOW_TEST=1 (make test does, after installing Xvfb, zbar-tools and xdotool)")
	}
	for _, tool := range []string{"Xvfb", "zbarimg", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: make test installs it (apt package xvfb, zbar-tools or xdotool)", tool)
		}
	}
}

// Start starts Xvfb on a display it picks itself (-displayfd): scanning for
// a free number races other test processes, and a socket left by a killed
// server would look taken forever.
func Start(t testing.TB) *Display {
	t.Helper()
	return startIn(t, 90, 140)
}

// startIn starts Xvfb on the first free display in [first, last).
func startIn(t testing.TB, first, last int) *Display {
	t.Helper()
	dir := t.TempDir()
	d := &Display{Screen: filepath.Join(dir, "Xvfb_screen0")}
	read, write, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	d.xvfb = exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1024x768x24", "-fbdir", dir, "-nolisten", "tcp")
	d.xvfb.ExtraFiles = []*os.File{write}
	if err := d.xvfb.Start(); err != nil {
		t.Fatal(err)
	}
	write.Close()
	exited := make(chan error, 1)
	go func() { exited <- d.xvfb.Wait() }()
	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(read).ReadString('\n')
		read.Close()
		number <- strings.TrimSpace(line)
	}()
	select {
	case n := <-number:
		if n == "" {
			d.xvfb.Process.Kill()
			<-exited
			t.Fatal("Xvfb did not say which display it took")
		}
		d.Name = ":" + n
	case err := <-exited:
		t.Fatalf("Xvfb stopped at start: %v", err)
	case <-time.After(30 * time.Second):
		d.xvfb.Process.Kill()
		<-exited
		t.Fatal("Xvfb did not start within 30 s")
	}
	t.Cleanup(func() {
		// SIGTERM lets Xvfb remove its lock file and socket; a server
		// killed outright leaves them behind.
		d.xvfb.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			d.xvfb.Process.Kill()
			<-exited
		}
	})
	for i := 0; i < 100; i++ { // the screen file follows the display
		if _, err := os.Stat(d.Screen); err == nil {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("Xvfb made no screen file")
	return nil
}

// taken reports whether a running X server holds display n. A lock file
// whose server is gone (killed, so it could not remove it) does not count:
// Xvfb removes such a lock itself. Skipping every display with a socket
// file once left a shared machine with no display after 50 killed runs.
func taken(n int) bool {
	lock, err := os.ReadFile(fmt.Sprintf("/tmp/.X%d-lock", n))
	if err != nil {
		_, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
		return err == nil // a socket without a lock: someone else's, leave it
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(lock)))
	if err != nil || pid <= 0 {
		return true
	}
	return syscall.Kill(pid, 0) != syscall.ESRCH
}

// stop ends Xvfb with SIGTERM, so it removes its lock and socket, and by
// force if it has not ended 5 s later.
func stop(xvfb *exec.Cmd, exited <-chan error) {
	xvfb.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		xvfb.Process.Kill()
		<-exited
	}
}

// QR decodes the QR code on the screen, or returns "".
func (d *Display) QR() string {
	out, err := exec.Command("zbarimg", "-q", "--raw", "xwd:"+d.Screen).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// Xdotool is an xdotool command on this display.
func (d *Display) Xdotool(args ...string) *exec.Cmd {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+d.Name)
	return cmd
}

// WindowTitled says whether a window's title contains part.
func (d *Display) WindowTitled(part string) bool {
	return d.Xdotool("search", "--name", part).Run() == nil
}

// Key presses keys, as xdotool names them ("ctrl+l").
func (d *Display) Key(t testing.TB, keys string) {
	t.Helper()
	if out, err := d.Xdotool("key", keys).CombinedOutput(); err != nil {
		t.Fatalf("xdotool key %s: %v %s", keys, err, out)
	}
}

// MovePointer moves the pointer to x, y: input, as far as idle time goes.
func (d *Display) MovePointer(t testing.TB, x, y int) {
	t.Helper()
	if out, err := d.Xdotool("mousemove", fmt.Sprint(x), fmt.Sprint(y)).CombinedOutput(); err != nil {
		t.Fatalf("xdotool mousemove: %v %s", err, out)
	}
}
