package browser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// A private window is a browser of our own for one sign-in: a new, empty
// profile in a directory only we can read, the browser's private mode on
// top, and, when the sign-in ends, the browser ended (every process it
// started) and the profile deleted. The next person finds no cookie, no
// history and no Digidentity session of the last one.

// PrivateCommandEnv names the browser OpenPrivate starts, a path or a name
// looked up in PATH, for administrators and tests. Its flags follow its
// name: one with "firefox" in it gets Firefox's, one with "edge" in it
// Edge's, anything else Chromium's (Chrome, Chromium, Brave and most others
// are Chromium). "none" says there is no private browser: the system
// browser opens instead, and the kiosk says so.
const PrivateCommandEnv = "WORKSHOP_LOGIN_PRIVATE_BROWSER"

// ErrNoPrivateBrowser says no browser with a throwaway private mode was
// found: Chromium, Chrome, Edge or Firefox. The caller may open the system
// browser instead, and should say that it is the shared one.
var ErrNoPrivateBrowser = errors.New("no browser with a private window (Chromium, Chrome, Edge or Firefox) was found")

// family is which command line a browser understands.
type family int

const (
	chromiumFamily family = iota // Chromium, Chrome and their kin
	edgeFamily                   // Microsoft Edge: Chromium, but InPrivate
	firefoxFamily
)

func (f family) String() string {
	return [...]string{"chromium", "edge", "firefox"}[f]
}

// familyOf tells a browser's family by its file name.
func familyOf(path string) family {
	name := strings.ToLower(filepath.Base(path))
	switch {
	case strings.Contains(name, "firefox"):
		return firefoxFamily
	case strings.Contains(name, "edge"):
		return edgeFamily
	}
	return chromiumFamily
}

// known says whether a file name is one of the browsers we know the private
// mode of (for WORKSHOP_LOGIN_BROWSER, which may name any program).
func known(path string) bool {
	name := strings.ToLower(strings.TrimSuffix(filepath.Base(path), ".exe"))
	for _, b := range []string{"chromium", "chromium-browser", "chrome", "google-chrome", "google-chrome-stable",
		"microsoft-edge", "microsoft-edge-stable", "msedge", "firefox", "firefox-esr"} {
		if name == b {
			return true
		}
	}
	return false
}

// privateArgs is the command line of a private window of a browser of
// family f with its profile in dir. Chromium refuses to start as root
// unless its sandbox is off, so only then is it turned off.
func privateArgs(f family, dir, target string, root bool) []string {
	if f == firefoxFamily {
		// -no-remote: an instance of its own, never a window of a Firefox
		// already running with the person's profile.
		return []string{"-profile", dir, "-no-remote", "-private-window", target}
	}
	private := "--incognito"
	if f == edgeFamily {
		private = "--inprivate"
	}
	args := []string{"--user-data-dir=" + dir, private, "--no-first-run", "--no-default-browser-check", "--new-window"}
	if root {
		args = append(args, "--no-sandbox")
	}
	return append(args, target)
}

// firefoxPrefs keep a new Firefox profile from greeting anyone: no welcome
// page, no default-browser question, no data-reporting notice, and every
// window private.
const firefoxPrefs = `user_pref("browser.privatebrowsing.autostart", true);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("startup.homepage_welcome_url", "");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
`

// findPrivate picks the browser: PrivateCommandEnv, else
// WORKSHOP_LOGIN_BROWSER where it names a browser we know, else the first
// installed of privateCandidates. A WORKSHOP_LOGIN_BROWSER that names
// another program (a test's recorder, a site's own script) is the
// administrator's choice of browser, whose private mode we do not know:
// then there is none.
func findPrivate() (string, error) {
	if c := os.Getenv(PrivateCommandEnv); c != "" {
		if strings.EqualFold(c, "none") {
			return "", fmt.Errorf("%w (%s=none)", ErrNoPrivateBrowser, PrivateCommandEnv)
		}
		path, err := exec.LookPath(c)
		if err != nil {
			return "", fmt.Errorf("%w: %s=%q: %v", ErrNoPrivateBrowser, PrivateCommandEnv, c, err)
		}
		return path, nil
	}
	if c := os.Getenv(CommandEnv); c != "" {
		if !known(c) {
			return "", fmt.Errorf("%w (%s names %s)", ErrNoPrivateBrowser, CommandEnv, filepath.Base(c))
		}
		path, err := exec.LookPath(c)
		if err != nil {
			return "", fmt.Errorf("%w: %s=%q: %v", ErrNoPrivateBrowser, CommandEnv, c, err)
		}
		return path, nil
	}
	for _, c := range privateCandidates() {
		if path, err := exec.LookPath(c); err == nil {
			return path, nil
		}
	}
	return "", ErrNoPrivateBrowser
}

// Private is a browser started by OpenPrivate: its process (with all it
// started) and its profile directory, until End.
type Private struct {
	cmd     *exec.Cmd
	profile string
	family  family
	log     *slog.Logger

	exited chan struct{} // closed when the browser's first process has been waited for
	once   sync.Once
	done   chan struct{} // closed when End has finished
	err    error
}

// OpenPrivate opens target with the default Opener's OpenPrivate.
func OpenPrivate(ctx context.Context, target string) (*Private, error) {
	return Opener{}.OpenPrivate(ctx, target)
}

// OpenPrivate opens target in a private window of a browser of its own: a
// new profile in a new directory only we can read (0700), the browser's
// private mode, no first-run questions. It returns once the browser has
// started. When ctx ends, or End is called, the browser is ended (its whole
// process group on Unix, its process tree on Windows) and the profile
// directory is deleted. The browser gets the same cleaned environment as
// the system's opener.
//
// Without an installed browser that has such a mode, it returns an error
// wrapping ErrNoPrivateBrowser and starts nothing.
func (o Opener) OpenPrivate(ctx context.Context, target string) (*Private, error) {
	if target == "" {
		return nil, errors.New("nothing to open")
	}
	if strings.HasPrefix(target, "-") { // never an option of the browser
		return nil, fmt.Errorf("refusing to open %q", target)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, err := findPrivate()
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp("", profilePrefix)
	if err != nil {
		return nil, fmt.Errorf("a profile for the private browser: %w", err)
	}
	if err := os.Chmod(profile, 0o700); err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	f := familyOf(path)
	if f == firefoxFamily {
		if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs), 0o600); err != nil {
			os.RemoveAll(profile)
			return nil, err
		}
	}
	cmd := exec.Command(path, privateArgs(f, profile, target, isRoot())...)
	cmd.Env = childEnv(os.Environ())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil // /dev/null
	detach(cmd)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, fmt.Errorf("starting the private browser %s: %w", path, err)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Private{cmd: cmd, profile: profile, family: f, log: log, exited: make(chan struct{}), done: make(chan struct{})}
	remember(p)
	go func() {
		// Reaps the browser. Some launchers hand over to a process of
		// their own and exit (Firefox may restart itself in a new
		// profile): that process is still in the group End ends.
		err := cmd.Wait()
		close(p.exited)
		select {
		case <-p.done:
		default:
			if err != nil {
				log.Warn("the private browser stopped", "browser", path, "error", err)
			}
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			p.End()
		case <-p.done:
		}
	}()
	log.Info("private browser window", "browser", path, "family", f.String(), "profile", profile)
	return p, nil
}

// Profile is the browser's profile directory (gone after End).
func (p *Private) Profile() string { return p.profile }

// Pid is the browser's first process (on Unix, its process group too).
func (p *Private) Pid() int { return p.cmd.Process.Pid }

// Done is closed once End has ended the browser and deleted its profile.
func (p *Private) Done() <-chan struct{} { return p.done }

// endWait is how long a browser has to close by itself once asked to,
// before it is killed.
const endWait = 3 * time.Second

// End ends the browser, everything it started, and deletes its profile.
// It may be called more than once (and is called when OpenPrivate's ctx
// ends); every call returns the first one's result, once it is done.
func (p *Private) End() error {
	p.once.Do(func() {
		defer close(p.done)
		defer forget(p)
		p.err = p.end()
		if p.err != nil {
			p.log.Warn("the private browser could not be ended and wiped", "profile", p.profile, "error", p.err)
		}
	})
	<-p.done
	return p.err
}

func (p *Private) end() error {
	pid := p.cmd.Process.Pid
	askToEnd(pid)
	deadline := time.Now().Add(endWait)
	for groupAlive(pid, p.exited) && time.Now().Before(deadline) {
		time.Sleep(25 * time.Millisecond)
	}
	if groupAlive(pid, p.exited) {
		kill(pid)
	}
	// Nothing of the browser may still be writing to the profile when it
	// is deleted.
	deadline = time.Now().Add(endWait)
	for groupAlive(pid, p.exited) && time.Now().Before(deadline) {
		time.Sleep(25 * time.Millisecond)
	}
	var errs []error
	if groupAlive(pid, p.exited) {
		errs = append(errs, fmt.Errorf("the private browser (process %d) did not end", pid))
	}
	// A process that had not quite let go of a file: try again a moment later.
	var err error
	for try := 0; try < 10; try++ {
		if err = os.RemoveAll(p.profile); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("deleting the private browser's profile: %w", err))
	}
	return errors.Join(errs...)
}

// profilePrefix names the throwaway profiles' folders in the temporary folder.
const profilePrefix = "workshop-login-browser-"

// RemoveLeftoverProfiles deletes the throwaway profiles an earlier run left
// in the temporary folder (after a crash its browsers are ended with its
// other tools); it returns how many it removed. Only call it before this
// run opens any.
func RemoveLeftoverProfiles() int {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), profilePrefix+"*"))
	removed := 0
	for _, dir := range dirs {
		if info, err := os.Lstat(dir); err != nil || !info.IsDir() || !ownedByMe(info) {
			continue
		}
		if os.RemoveAll(dir) == nil {
			removed++
		}
	}
	return removed
}
