// Command workshop-login-demo-tool is the demo diagnostic tool that `make
// run` configures: the kiosk starts it with who signed in on standard
// input, and it shows in a small window whether the relay's signature on
// that identity checks out. It also prints one line with the result on
// standard output, for logs and tests:
//
//	verified: GARAGE JANSEN 1234567890B role=IOE kiosk=… jti=… until=…
//	NOT verified: <why>
//
// The checking is package demotool's; this is only its window. It ends
// cleanly on SIGTERM or Ctrl+C (the kiosk ends it at sign-out), and when
// the window is closed.
//
//	workshop-login-demo-tool [--relay URL] [--audience AUD] [--no-window]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workshop-login/workshop-login/ui/demo/tool"
)

// checkTimeout bounds reading the relay's info and keys.
const checkTimeout = 30 * time.Second

func main() {
	cfg, err := demotool.ParseArgs(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "workshop-login-demo-tool:", err)
		os.Exit(64)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if why := noDisplay(); why != "" && !cfg.NoWindow {
		fmt.Fprintf(os.Stderr, "workshop-login-demo-tool: no window (%s): the result follows on standard output\n", why)
		cfg.NoWindow = true
	}
	if cfg.NoWindow {
		os.Exit(printResult(ctx, cfg))
	}
	showWindow(ctx, cfg)
}

// printResult checks, prints the result and returns the exit code: 0
// verified, 1 not.
func printResult(ctx context.Context, cfg demotool.Config) int {
	check, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	r := demotool.Check(check, os.Stdin, cfg)
	fmt.Println(r.Line())
	if !r.Verified {
		return 1
	}
	return 0
}

// showWindow opens the window at once, checks meanwhile, and shows the
// result; it returns when the window is closed or ctx ends.
func showWindow(ctx context.Context, cfg demotool.Config) {
	a := app.NewWithID("eu.workshoplogin.demotool")
	w := a.NewWindow("Demo tool: checking")
	icon := widget.NewIcon(theme.SearchIcon())
	heading := widget.NewLabelWithStyle("Checking the relay's signature…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	heading.SizeName = theme.SizeNameSubHeadingText
	heading.Wrapping = fyne.TextWrapWord
	rows := container.New(layout.NewFormLayout())
	signature := wrapped(fyne.TextStyle{Bold: true})
	meaning := wrapped(fyne.TextStyle{})
	note := wrapped(fyne.TextStyle{Italic: true})
	note.SetText(demotool.PinningNote)
	closeBtn := widget.NewButton("Close", a.Quit)
	w.SetContent(container.NewVBox(
		container.NewBorder(nil, nil, icon, nil, heading),
		rows, signature, meaning, widget.NewSeparator(), note,
		container.NewHBox(layout.NewSpacer(), closeBtn)))
	w.Resize(fyne.NewSize(620, 420))

	// One bridge from the goroutines to the window: the check's result,
	// and the quit at sign-out.
	toWindow := make(chan func(), 2)
	go func() {
		for f := range toWindow {
			fyne.Do(f)
		}
	}()
	go func() {
		check, cancel := context.WithTimeout(ctx, checkTimeout)
		defer cancel()
		r := demotool.Check(check, os.Stdin, cfg)
		fmt.Println(r.Line())
		toWindow <- func() {
			w.SetTitle(r.Title())
			heading.SetText(r.Heading())
			icon.SetResource(theme.ConfirmIcon())
			if !r.Verified {
				icon.SetResource(theme.ErrorIcon())
			}
			for _, row := range r.Rows() {
				value := widget.NewLabel(row.Value)
				value.Wrapping = fyne.TextWrapWord
				rows.Add(widget.NewLabelWithStyle(row.Caption, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
				rows.Add(value)
			}
			signature.SetText(r.Signature())
			if !r.Verified {
				signature.Hide() // no blank line where nothing was checked
			}
			meaning.SetText(r.Meaning())
		}
	}()
	go func() {
		<-ctx.Done() // SIGTERM at sign-out, or Ctrl+C: close as a person would
		toWindow <- a.Quit
	}()
	w.ShowAndRun()
}

func wrapped(style fyne.TextStyle) *widget.Label {
	l := widget.NewLabelWithStyle("", fyne.TextAlignLeading, style)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// noDisplay says why no window can open, or "": on X11 and Wayland desktops
// the session sets DISPLAY or WAYLAND_DISPLAY; without either, GLFW would
// end in a stack trace. Windows and macOS always have their window system.
func noDisplay() string {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return "neither DISPLAY nor WAYLAND_DISPLAY is set"
		}
	}
	return ""
}
