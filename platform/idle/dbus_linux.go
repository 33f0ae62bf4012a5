package idle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// desktopBus asks the desktop over the session bus: GNOME's Mutter (which
// also counts input under Wayland, where X11 sees only X programs), or the
// freedesktop screensaver interface that KDE implements.
type desktopBus struct {
	conn   *dbus.Conn
	name   string
	object dbus.BusObject
	method string
}

func newDesktopBus(dest, path, method, name string) func() (Meter, error) {
	return func() (Meter, error) {
		conn, err := dbus.ConnectSessionBus()
		if err != nil {
			return nil, fmt.Errorf("%s: the session bus: %w", name, err)
		}
		return &desktopBus{conn: conn, name: name, object: conn.Object(dest, dbus.ObjectPath(path)), method: method}, nil
	}
}

var (
	newMutter = newDesktopBus("org.gnome.Mutter.IdleMonitor", "/org/gnome/Mutter/IdleMonitor/Core",
		"org.gnome.Mutter.IdleMonitor.GetIdletime", "GNOME idle monitor")
	newFreedesktop = newDesktopBus("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver",
		"org.freedesktop.ScreenSaver.GetSessionIdleTime", "freedesktop screensaver")
)

func (m *desktopBus) Name() string { return m.name + " (D-Bus)" }

func (m *desktopBus) Idle() (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	call := m.object.CallWithContext(ctx, m.method, 0)
	var dbusErr dbus.Error
	if errors.As(call.Err, &dbusErr) && dbusErr.Name == "org.freedesktop.DBus.Error.ServiceUnknown" {
		return 0, fmt.Errorf("%s: not running", m.name)
	}
	if call.Err != nil {
		return 0, fmt.Errorf("%s: %w", m.name, call.Err)
	}
	// Mutter answers uint64, the screensaver interface uint32; both in ms.
	switch ms := call.Body[0].(type) {
	case uint64:
		return time.Duration(ms) * time.Millisecond, nil
	case uint32:
		return time.Duration(ms) * time.Millisecond, nil
	default:
		return 0, fmt.Errorf("%s: an answer of type %T", m.name, call.Body[0])
	}
}

func (m *desktopBus) Close() error { return m.conn.Close() }
