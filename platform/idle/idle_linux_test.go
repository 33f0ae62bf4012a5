package idle

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/workshop-login/workshop-login/platform/xvfbtest"
)

func TestX11CountsPointerMovesOnTheDisplay(t *testing.T) {
	xvfbtest.NeedTools(t)
	d := xvfbtest.Start(t)
	t.Setenv("DISPLAY", d.Name)
	t.Setenv("WAYLAND_DISPLAY", "")
	m, err := System()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Name() != "X11 screensaver extension" {
		t.Errorf("measured by %s", m.Name())
	}
	d.MovePointer(t, 100, 100)
	after := idleNow(t, m)
	time.Sleep(1500 * time.Millisecond) // nobody touches anything
	later := idleNow(t, m)
	if later < after+time.Second {
		t.Errorf("idle %s just after a move and %s 1.5 s later", after, later)
	}
	d.MovePointer(t, 300, 200)
	if again := idleNow(t, m); again >= later {
		t.Errorf("idle %s after the pointer moved again, %s before", again, later)
	}
}

func idleNow(t *testing.T, m Meter) time.Duration {
	t.Helper()
	d, err := m.Idle()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// screenSaver plays a desktop's freedesktop screensaver service on a real
// session bus (make test runs the tests under dbus-run-session).
type screenSaver struct{ idle uint32 }

func (s *screenSaver) GetSessionIdleTime() (uint32, *dbus.Error) { return s.idle, nil }

func TestDesktopIdleMonitorOverDBus(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if os.Getenv("WORKSHOP_LOGIN_KEYRING_TEST") == "1" {
			t.Fatal("make test runs the tests on a session bus of their own, but there is none")
		}
		t.Skip("no session bus; make test starts one")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	desktop := &screenSaver{idle: 42_000}
	if err := conn.ExportMethodTable(map[string]any{"GetSessionIdleTime": desktop.GetSessionIdleTime},
		"/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.ScreenSaver", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning the screensaver's name: %v %v", reply, err)
	}
	defer conn.ReleaseName("org.freedesktop.ScreenSaver")

	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0") // the desktop's bus comes first
	m, err := System()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := idleNow(t, m); got != 42*time.Second || !strings.Contains(m.Name(), "freedesktop") {
		t.Errorf("%s says %s", m.Name(), got)
	}
}

func TestNoMeterSaysSo(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	m, err := System()
	if !errors.Is(err, ErrNoMeter) || m != nil {
		t.Fatalf("%v %v", m, err)
	}
	if !strings.Contains(err.Error(), "DISPLAY is not set") {
		t.Errorf("the error does not say what was tried: %v", err)
	}
}
