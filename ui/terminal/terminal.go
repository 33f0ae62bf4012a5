// Package terminal is the sign-in for a terminal: the QR code drawn with
// block characters, the states as lines, and the identity as JSON. It is how a
// headless machine or a script signs in, and how the engine is tried end to end.
package terminal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/workshop-login/workshop-login/assets"
	"github.com/workshop-login/workshop-login/auth"
)

// Login runs one terminal sign-in.
type Login struct {
	// Screen receives the QR code and the state lines (a person reads them).
	Screen io.Writer
	// Result receives the identity as JSON on success (a script reads it).
	Result   io.Writer
	Messages assets.Catalogue
	// LightBackground draws the code for a terminal with dark text on a light
	// background; the default suits the usual light text on dark.
	LightBackground bool
}

// ErrRefused and ErrFailed end a terminal sign-in that did not succeed; the
// returned error wraps the engine's *auth.Error.
var (
	ErrRefused = errors.New("sign-in refused")
	ErrFailed  = errors.New("sign-in failed")
)

// Run follows one sign-in attempt until approval, refusal, failure or ctx's
// end. A kiosk would show a fresh code after a refusal or failure; a script
// wants an answer, so here they end the run.
func (l *Login) Run(ctx context.Context, signIn auth.SignIn) (*auth.Session, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the engine on every way out
	var last auth.Event
	for e := range signIn.Start(ctx) {
		last = e
		switch e.Kind {
		case auth.EventBrowserOpened:
			// The web login: a person or a script finishes it in any browser.
			fmt.Fprintf(l.Screen, "Sign-in address: %s\n", e.BrowserURL)
			l.printTimed(e, l.messageOf(e))
		case auth.EventQRReady:
			if err := l.showCode(e); err != nil {
				return nil, err
			}
		case auth.EventApproved:
			l.printTimed(e, l.messageOf(e))
			return e.Session, l.printIdentity(e.Session.Identity)
		case auth.EventRefused:
			l.printTimed(e, l.messageOf(e))
			return nil, fmt.Errorf("%w: %w", ErrRefused, e.Err)
		case auth.EventFailed:
			l.printTimed(e, l.messageOf(e))
			return nil, fmt.Errorf("%w: %w", ErrFailed, e.Err)
		default:
			l.printTimed(e, l.messageOf(e))
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// A web login ends by itself, for example when nobody finished in time.
	return nil, fmt.Errorf("%w: %w", ErrFailed, last.Err)
}

// messageOf is the event's sentence from the catalogue, in the person's language.
func (l *Login) messageOf(e auth.Event) string {
	return l.Messages.Text(string(e.Message), map[string]int{"Seconds": int((e.RetryIn + time.Second - 1) / time.Second)})
}

// printTimed prints one state line, stamped with the event's time.
func (l *Login) printTimed(e auth.Event, text string) {
	fmt.Fprintf(l.Screen, "%s  %s\n", e.At.Format("15:04:05"), text)
}

func (l *Login) showCode(e auth.Event) error {
	code, err := qrcode.New(e.QR.URI, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("drawing the QR code: %w", err)
	}
	fmt.Fprintf(l.Screen, "\n%s\n", code.ToSmallString(l.LightBackground))
	fmt.Fprintf(l.Screen, "Code address: %s\n", e.QR.URI)
	if e.QR.ExpiresAt.IsZero() {
		// The Trust Centre's code lifetime is not known yet: the code is
		// good until the engine says it is gone.
		l.printTimed(e, l.messageOf(e))
	} else {
		l.printTimed(e, fmt.Sprintf("%s (valid until %s)", l.messageOf(e), e.QR.ExpiresAt.Format("15:04:05")))
	}
	return nil
}

func (l *Login) printIdentity(id auth.Identity) error {
	enc := json.NewEncoder(l.Result)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // for scripts: "JANSEN & ZN" stays as written
	return enc.Encode(id)
}
