// Package startup is the first of the program's own code to run. Go
// initialises every package linked into the program before main runs,
// and Fyne's packages are linked into every command, the window's or not:
// whatever must happen before Fyne's package initialisers happens here, in
// this package's init. That is the locale, made readable for Fyne (which
// otherwise logs "Fyne error: Error parsing user locale C" from an
// initialiser of its own), and `--version`, answered before Fyne's
// initialisers spend their ~20 ms. It also keeps the start-up trace
// (trace.go).
//
// Why this init runs before Fyne's: Go initialises, step by step, the
// first package in import-path order whose imports are all initialised
// (the Go spec's rule since Go 1.21). This package imports only packages
// that package log imports too (os, runtime, sync, time, …) and two of
// ours that import less; its path, github.com/workshop-login/…, sorts
// before "log". So once log may initialise, this package may too, and goes
// first; Fyne's lang package, whose initialiser reads the locale, imports
// log and so comes after both. TestNoFyneErrorUnderTheCLocale (package
// main) holds the program to it: keep this package's imports that few.
package startup

import (
	"os"
	"runtime"

	"github.com/workshop-login/workshop-login/platform/buildinfo"
	"github.com/workshop-login/workshop-login/platform/console"
)

func init() {
	readableLocale()
	answerVersion()
}

// readableLocale makes the locale's language readable for Fyne. Fyne takes
// the language from LC_ALL, LC_MESSAGES or LANG, the first one set, or
// from LANGUAGE when that one is not exactly C or POSIX. C or POSIX with a
// character set ("C.UTF-8", the default of Debian's containers and minimal
// installs) reaches Fyne as the language "C", which it cannot parse: it
// logs an error at every start, on every command. Such a locale asks for
// no language, which every program takes as English; LANGUAGE=en says so
// in words Fyne reads. Programs the kiosk starts inherit it, and under
// that locale show English all the same. A LANGUAGE already set is the
// person's choice and stays.
func readableLocale() {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" || os.Getenv("LANGUAGE") != "" {
		return // Fyne asks the system there, not the environment
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		value := os.Getenv(name)
		if value == "" {
			continue
		}
		language := value // up to the character set or modifier
		for i, c := range value {
			if c == '.' || c == '@' {
				language = value[:i]
				break
			}
		}
		if (language == "C" || language == "POSIX") && value != language {
			os.Setenv("LANGUAGE", "en")
		}
		return
	}
}

// answerVersion answers `workshop-login --version` (or `version`) and
// ends the program, before the GUI toolkit's initialisers run: a script
// or an installer asking for the version should not wait for them.
// Anything more on the command line goes to the version command in
// ui/cli, which says what is wrong with it.
func answerVersion() {
	if len(os.Args) != 2 {
		return
	}
	switch os.Args[1] {
	case "--version", "-version", "version":
	default:
		return
	}
	console.Attach()
	os.Stdout.WriteString(buildinfo.Line(buildinfo.Version, buildinfo.Commit, buildinfo.Date) + "\n")
	os.Exit(0)
}
