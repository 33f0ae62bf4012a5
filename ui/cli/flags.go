package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// newFlags is a command's flag set: parseFlags says what went wrong.
func newFlags(command string) *flag.FlagSet {
	flags := flag.NewFlagSet(command, flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	flags.Usage = func() {}
	return flags
}

// parseFlags parses a command's flags. -h prints the command's usage on
// stdout (exit 0); a wrong flag or value, or an argument the command does
// not take, is one line on stderr (exit 64). ok is whether to go on.
func parseFlags(flags *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	command := flags.Name()
	prog := "workshop-login " + command
	if command == "window" {
		prog = "workshop-login"
	}
	err := flags.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stdout, "Usage of %s:\n", prog)
		flags.SetOutput(stdout)
		flags.PrintDefaults()
		fmt.Fprint(stdout, "\nExit codes: 0 done, 1 refused (check: something needs doing), 2 failed, 3 interrupted or timed out,\n64 wrong usage, 69 no display for the window, 78 wrong configuration.\n")
		return 0, false
	case err != nil:
		fmt.Fprintf(stderr, "%s: %s (see %s -h)\n", prog, flagProblem(err), prog)
		return exitUsage, false
	case flags.NArg() > 0:
		if command == "window" {
			fmt.Fprintf(stderr, "workshop-login: unexpected argument %q; a command comes before its flags (see workshop-login -h)\n", flags.Arg(0))
		} else {
			fmt.Fprintf(stderr, "%s: unexpected argument %q; %s takes only flags (see %s -h)\n", prog, flags.Arg(0), command, prog)
		}
		return exitUsage, false
	}
	return 0, true
}

// flagProblem words the flag package's errors as what to fix.
func flagProblem(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "unknown flag " + name
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return name + " needs a value"
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		return "invalid value " + strings.TrimSuffix(rest, ": parse error") + ": write true or false"
	}
	return strings.Replace(msg, ": parse error", ": not a number", 1)
}

// durationFlag is a duration flag whose wrong values say how to write one.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("not a duration; write for example 30s or 5m")
	}
	*f.d = d
	return nil
}

// durationVar defines a duration flag, as flag.DurationVar does, whose
// wrong values say how to write one.
func durationVar(flags *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	flags.Var(durationFlag{p}, name, usage)
}
