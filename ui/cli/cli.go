// Package cli is the program's command line: one Factory, the assembly
// every command draws on (configuration, Trust Centre engine, session
// store, hand-off), and one small command each, NewCmdX(f) making its
// flags and xRun(opts) doing its work, in the style of gh's commands.
// Each command decides its own exit codes from the table below.
//
// It lives under ui/ because its commands are what a person types and
// reads, and because two of them show ui's screens: login (ui/terminal)
// and the window (ui.Kiosk on Fyne's app), which check follows in what it
// refuses. platform/ knows the operating system, never a screen; ui itself
// never imports Fyne's app package, so that its tests need no display.
//
// Only windowRun starts the GUI toolkit (Fyne's app, GLFW, OpenGL); every
// other command, new ones included, leaves it alone by not calling it.
// Fyne's packages are still linked and initialised in every command (Go
// initialises all of a program's packages), which platform/startup keeps
// quiet, and it answers --version before they run.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	relaycmd "github.com/workshop-login/workshop-login/auth/relay/cmd"
)

// Exit codes a script can act on; ui/README.md's "Commands and exit codes"
// lists them, and usageText below repeats them.
const (
	exitSignedIn  = 0  // signed in; any command that did its work, -h included
	exitRefused   = 1  // sign-in refused; check: something needs doing
	exitFailed    = 2  // could not do it (Trust Centre, simulator's address, audit log)
	exitStopped   = 3  // interrupted or timed out
	exitUsage     = 64 // EX_USAGE: an unknown command or flag, a wrong value, a stray argument
	exitNoDisplay = 69 // EX_UNAVAILABLE: the window has no display to open on
	exitConfig    = 78 // EX_CONFIG: the configuration cannot be read or is wrong
)

const usageText = `Usage:
  workshop-login [--config FILE] [--verbose]    the kiosk window
  workshop-login login [--terminal] [--web] [--config FILE] [--timeout 5m] [--light-terminal] [--verbose]
                                                sign in from a terminal; the identity as JSON on stdout
  workshop-login check [--config FILE] [--timeout 15s]
                                                whether the kiosk will work on this machine
  workshop-login audit [-n 50]                  the newest audit log entries
  workshop-login simulator [--listen 127.0.0.1:8787] ...
                                                the Trust Centre simulator on its own
  workshop-login enrol [--relay URL] [--key-file FILE]
                                                keep this kiosk's relay key (pasted on stdin) in the keyring
` + relaycmd.Usage + `  workshop-login version                        the version, commit and build date (also --version)
  workshop-login COMMAND -h                     a command's flags
  workshop-login help config                    every configuration key: type, default, variable

Exit codes: 0 done (signed in), 1 refused (check: something needs doing), 2 failed,
3 interrupted or timed out, 64 wrong usage, 69 no display for the window, 78 wrong configuration.
`

// Command is one command: its flags, and what it does once they are
// parsed, returning the exit code.
type Command struct {
	Flags *flag.FlagSet
	Run   func(ctx context.Context) int
}

// newCommand makes the command called name, or nil when there is none.
func newCommand(f *Factory, name string) *Command {
	switch name {
	case "window":
		return NewCmdWindow(f)
	case "login":
		return NewCmdLogin(f)
	case "check":
		return NewCmdCheck(f)
	case "audit":
		return NewCmdAudit(f)
	case "simulator":
		return NewCmdSimulator(f)
	case "enrol", "enroll":
		return NewCmdEnrol(f)
	case "version":
		return NewCmdVersion(f)
	}
	return nil
}

// Run runs the command args name (the window when they name none) with
// the rest of args as its flags, and returns the exit code.
func Run(ctx context.Context, f *Factory, args []string) int {
	global, command, args, code, ok := split(args, f.Out, f.Err)
	if !ok {
		return code
	}
	if command == "help" {
		return helpRun(f, args)
	}
	if command == "relay" {
		// The relay parses its own subcommands and flags (auth/relay/cmd,
		// shared with the static relay binary).
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			return relaycmd.Run(ctx, append(append([]string{args[0]}, global...), args[1:]...), f.Out, f.Err)
		}
		return relaycmd.Run(ctx, append(global, args...), f.Out, f.Err)
	}
	cmd := newCommand(f, command)
	switch {
	case cmd == nil && len(global) > 0:
		fmt.Fprintf(f.Err, "workshop-login: unknown command %q after %s; use login, enrol, simulator, relay, audit, check or version, or none for the window\n", command, strings.Join(global, " "))
		return exitUsage
	case cmd == nil:
		fmt.Fprintf(f.Err, "workshop-login: unknown command %q; use login, enrol, simulator, relay, audit, check or version, or none for the window (see workshop-login -h)\n", command)
		return exitUsage
	}
	if code, ok := parseFlags(cmd.Flags, append(global, args...), f.Out, f.Err); !ok {
		return code
	}
	return cmd.Run(ctx)
}

// split finds the command in args, and the flags before it and after it.
// Flags before it are the window's (--config, --verbose): they go to the
// command that follows, whose own flags accept or refuse them. ok is false
// when args asked for the usage (code 0) or were wrong (code 64), which
// split has written.
func split(args []string, stdout, stderr io.Writer) (global []string, command string, rest []string, code int, ok bool) {
scan:
	for len(args) > 0 {
		arg := args[0]
		if arg == "" || arg[0] != '-' || arg == "--" {
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch name {
		case "h", "help":
			fmt.Fprint(stdout, usageText)
			return nil, "", nil, 0, false
		case "version":
			if len(args) > 1 || len(global) > 0 {
				fmt.Fprintln(stderr, "workshop-login: --version takes nothing else; run `workshop-login --version` on its own")
				return nil, "", nil, exitUsage, false
			}
			args = []string{"version"}
			break scan
		case "config":
			if !hasValue && len(args) > 1 {
				global, args = append(global, arg, args[1]), args[2:]
				continue
			}
		case "verbose":
		default:
			break scan // not a flag of the window: the window's flags say so
		}
		global, args = append(global, arg), args[1:]
	}
	command = "window"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		command, args = args[0], args[1:]
	}
	return global, command, args, 0, true
}
