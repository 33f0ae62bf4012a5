package idle

import (
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/screensaver"
	"github.com/jezek/xgb/xproto"
)

// x11 asks the X server's MIT-SCREEN-SAVER extension, which counts input to
// every program on the display.
type x11 struct {
	conn *xgb.Conn
	root xproto.Window
}

func newX11() (Meter, error) {
	if os.Getenv("DISPLAY") == "" {
		return nil, fmt.Errorf("X11: DISPLAY is not set")
	}
	xgb.Logger = log.New(io.Discard, "", 0) // its errors reach us as errors
	conn, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("X11: %w", err)
	}
	if err := screensaver.Init(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("X11: the screensaver extension: %w", err)
	}
	return &x11{conn: conn, root: xproto.Setup(conn).DefaultScreen(conn).Root}, nil
}

func (m *x11) Name() string { return "X11 screensaver extension" }

func (m *x11) Idle() (time.Duration, error) {
	return withTimeout(queryTimeout, func() (time.Duration, error) {
		info, err := screensaver.QueryInfo(m.conn, xproto.Drawable(m.root)).Reply()
		if err != nil {
			return 0, fmt.Errorf("X11 idle time: %w", err)
		}
		return time.Duration(info.MsSinceUserInput) * time.Millisecond, nil
	})
}

func (m *x11) Close() error { m.conn.Close(); return nil }
