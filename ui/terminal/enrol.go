package terminal

import (
	"fmt"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/workshop-login/workshop-login/auth"
)

// ShowEnrolCode draws an enrolment code: a technician of the garage scans
// it with the Digidentity app to enrol this kiosk.
func (l *Login) ShowEnrolCode(c auth.EnrolCode) error {
	code, err := qrcode.New(c.URI, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("drawing the QR code: %w", err)
	}
	fmt.Fprintf(l.Screen, "\n%s\n", code.ToSmallString(l.LightBackground))
	fmt.Fprintf(l.Screen, "Code address: %s\n", c.URI)
	at := c.IssuedAt
	if at.IsZero() {
		at = time.Now()
	}
	fmt.Fprintf(l.Screen, "%s  %s\n", at.Local().Format("15:04:05"), l.Messages.Text("ui.enrol_scan", nil))
	return nil
}
