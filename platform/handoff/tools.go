// Package handoff gives a signed-in technician's identity to the garage's
// diagnostic tools: started locally, they learn who is here from their
// environment and standard input, never from their command line, which
// every user of the machine can read. Their environment is otherwise the
// cleaned one of platform/childenv: never the kiosk's own settings or
// secrets.
package handoff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/platform/childenv"
	"github.com/workshop-login/workshop-login/platform/config"
)

// Tool is one configured program: the configuration's [[tools]] entry
// itself, so the two cannot drift apart.
type Tool = config.Tool

// GracePeriod is how long a tool has to close after the polite request
// before it is ended by force.
const GracePeriod = 5 * time.Second

// StartWindow is how long a tool is watched after it starts: one that stops
// with an error (or is killed) within it is reported as a StoppedAtStartError
// instead of counted as launched.
const StartWindow = 5 * time.Second

// Launcher starts tools and ends them at sign-out.
type Launcher struct {
	// Env is added to every tool's environment: on a relay,
	// SERMI_RELAY_URL, where a tool finds the relay's keys.
	Env         []string
	tools       []Tool
	log         *slog.Logger
	grace       time.Duration
	startWindow time.Duration

	mu      sync.Mutex
	running []*started // tools to end at sign-out
	record  Recorder
}

// Recorder keeps the tools that must not outlive a session where a restart
// after a crash finds them (platform/runstate).
type Recorder interface {
	AddTool(pid int, name string) error
	RemoveTool(pid int) error
}

// RecordIn keeps every tool that ends at sign-out in r while it runs.
func (l *Launcher) RecordIn(r Recorder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.record = r
}

func (l *Launcher) recorder() Recorder {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.record
}

// started is a launched tool and a channel closed when it has exited (and
// been waited for: no zombie is left).
type started struct {
	cmd      *exec.Cmd
	done     chan struct{}
	err      error       // cmd.Wait's, set before done is closed
	ending   atomic.Bool // EndAll is ending it: its exit is no failure
	recorded bool        // on the Recorder's list while it runs
}

// StoppedAtStartError is a tool that started but stopped with an error, or
// was killed, within StartWindow: most often a tool that is misconfigured
// or cannot reach what it needs.
type StoppedAtStartError struct {
	Tool string
	// Code is the exit status; for a tool killed by a signal, 128 plus the
	// signal's number, as a shell reports it.
	Code   int
	Signal string // the signal that killed it ("killed"), or empty
	After  time.Duration
}

func (e *StoppedAtStartError) Error() string {
	how := fmt.Sprintf("exit %d", e.Code)
	if e.Signal != "" {
		how = fmt.Sprintf("%s by a signal, exit %d", e.Signal, e.Code)
	}
	return fmt.Sprintf("%s stopped at start (%s, %s after it started)", e.Tool, how, e.After.Round(time.Millisecond))
}

// ExitCode is the code the kiosk shows: "stopped at start (exit 3)".
func (e *StoppedAtStartError) ExitCode() int { return e.Code }

// NewLauncher checks the tools and returns a launcher.
func NewLauncher(tools []Tool, log *slog.Logger) (*Launcher, error) {
	seen := map[string]bool{}
	for i, t := range tools {
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("tool %d has no name", i+1)
		case t.Command == "":
			return nil, fmt.Errorf("tool %q has no command", t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("two tools are called %q", t.Name)
		}
		seen[t.Name] = true
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Launcher{tools: tools, log: log, grace: GracePeriod, startWindow: StartWindow}, nil
}

// Names lists the tools, in configuration order.
func (l *Launcher) Names() []string {
	names := make([]string, len(l.tools))
	for i, t := range l.tools {
		names[i] = t.Name
	}
	return names
}

// Launch starts the named tool for the signed-in session, with a cleaned
// environment (childenv) plus the SERMI_* identity, and watches it for
// StartWindow. It returns when the tool has kept running that long or has
// stopped: a tool that stopped with an error or a signal is a
// *StoppedAtStartError; one that ended with status 0 (a launcher script
// that started the real program, say) is no error. So Launch takes up to
// StartWindow: call it off the screen's goroutine. The tool is always
// waited for, whenever it ends.
func (l *Launcher) Launch(name string, s *auth.Session) (*exec.Cmd, error) {
	tool, ok := l.find(name)
	if !ok {
		return nil, fmt.Errorf("no tool is called %q", name)
	}
	cmd := exec.Command(tool.Command, tool.Args...)
	cmd.Dir = tool.Dir
	env := identityEnv(s.Identity)
	if s.Manufacturer != "" { // a kiosk of several: whose session this is
		env = append(env, "SERMI_MANUFACTURER="+s.Manufacturer)
	}
	cmd.Env = childenv.Environ(append(env, l.Env...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	newProcessGroup(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", tool.Name, err)
	}
	document, err := identityDocument(s, tool.PassAccessToken)
	if err == nil {
		_, err = stdin.Write(document)
	}
	stdin.Close()
	if err != nil && !errors.Is(err, os.ErrClosed) {
		// A tool that does not read its input closes the pipe; that is its business.
		l.log.Warn("handing the identity to the tool on standard input", "tool", tool.Name, "error", err)
	}
	began := time.Now()
	run := &started{cmd: cmd, done: make(chan struct{}), recorded: tool.EndAtSignOut && l.recorder() != nil}
	if run.recorded {
		if err := l.recorder().AddTool(cmd.Process.Pid, tool.Name); err != nil {
			l.log.Warn("a crash now would leave this tool running", "tool", tool.Name, "error", err)
		}
	}
	go l.reap(tool.Name, run, began)
	if tool.EndAtSignOut {
		l.mu.Lock()
		l.running = append(l.running, run)
		l.mu.Unlock()
	}
	window := time.NewTimer(l.startWindow)
	defer window.Stop()
	select {
	case <-run.done:
		if stopped := stoppedAtStart(tool.Name, run, time.Since(began)); stopped != nil {
			l.log.Error("tool stopped at start", "tool", tool.Name, "pid", cmd.Process.Pid, "code", stopped.Code,
				"signal", stopped.Signal, "after", stopped.After)
			return cmd, stopped
		}
	case <-window.C:
	}
	l.log.Info("tool launched", "tool", tool.Name, "pid", cmd.Process.Pid, "gets_token_on_stdin", tool.PassAccessToken)
	return cmd, nil
}

// reap waits for the tool, whatever happens to it, so it never stays a
// zombie, and logs how it ended.
func (l *Launcher) reap(name string, run *started, began time.Time) {
	run.err = run.cmd.Wait()
	if run.recorded {
		if err := l.recorder().RemoveTool(run.cmd.Process.Pid); err != nil {
			l.log.Warn("the ended tool stays on the run record", "tool", name, "error", err)
		}
	}
	close(run.done)
	l.log.Info("tool exited", "tool", name, "pid", run.cmd.Process.Pid, "status", run.cmd.ProcessState.String(),
		"after", time.Since(began).Round(time.Millisecond), "ended_at_sign_out", run.ending.Load())
}

// stoppedAtStart is the tool's failure, if it exited with an error or was
// killed, and not because EndAll ended it; run.done must be closed.
func stoppedAtStart(name string, run *started, after time.Duration) *StoppedAtStartError {
	var exit *exec.ExitError
	if run.ending.Load() || !errors.As(run.err, &exit) {
		return nil
	}
	e := &StoppedAtStartError{Tool: name, Code: exit.ExitCode(), After: after}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		e.Code, e.Signal = 128+int(ws.Signal()), ws.Signal().String()
	}
	return e
}

// EndAll ends every tool configured to end at sign-out, with everything it
// started: politely, then by force after the grace period. It returns once
// they are gone.
func (l *Launcher) EndAll() {
	l.mu.Lock()
	cmds := l.running
	l.running = nil
	l.mu.Unlock()
	var wg sync.WaitGroup
	for _, run := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run.ending.Store(true)
			endGroup(run, l.grace, l.log)
		}()
	}
	wg.Wait()
}

// end ends one tool on the sign-out list, as EndAll would, and reports
// whether it was there (EndAll may have taken it first).
func (l *Launcher) end(cmd *exec.Cmd) bool {
	l.mu.Lock()
	i := slices.IndexFunc(l.running, func(run *started) bool { return run.cmd == cmd })
	if i < 0 {
		l.mu.Unlock()
		return false
	}
	run := l.running[i]
	l.running = slices.Delete(l.running, i, i+1)
	l.mu.Unlock()
	run.ending.Store(true)
	endGroup(run, l.grace, l.log)
	return true
}

func (l *Launcher) find(name string) (Tool, bool) {
	for _, t := range l.tools {
		if t.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}

// identityEnv is the identity as SERMI_* variables (SERMI_SUB, SERMI_ROLE,
// SERMI_CABUID, …): every field of auth.Identity.Fields but
// authorisation_uid, which a tool reads on standard input (ui/README.md).
func identityEnv(id auth.Identity) []string {
	var env []string
	for _, f := range id.Fields() {
		if f.Name != "authorisation_uid" {
			env = append(env, "SERMI_"+strings.ToUpper(f.Name)+"="+f.Value)
		}
	}
	return env
}

// identityDocument is what a tool reads on its standard input: one JSON
// object on one line, then end of input. Its members are the identity's
// fields (auth.Identity.Fields), authorisation_uid after the chain's UIDs
// as tools have always had it, then access_token (only when withToken),
// expires_at (when known) and, on a relay, assertion: the identity signed by
// the relay, the one member a tool can trust (auth/relay/README.md, "The signed identity"). A garage's name such as "JANSEN & ZN" reaches the
// tool as written: a tool is no browser, so &, < and > are not escaped as
// \u0026, \u003c and \u003e.
func identityDocument(s *auth.Session, withToken bool) ([]byte, error) {
	var members []member
	var authorisation member
	for _, f := range s.Identity.Fields() {
		if f.Name == "authorisation_uid" {
			authorisation = member{f.Name, f.Value}
			continue
		}
		members = append(members, member{f.Name, f.Value})
	}
	members = append(members, authorisation)
	if token := s.AccessToken.Reveal(); withToken && token != "" {
		members = append(members, member{"access_token", token})
	}
	if !s.ExpiresAt.IsZero() {
		members = append(members, member{"expires_at", s.ExpiresAt})
	}
	if s.Manufacturer != "" {
		members = append(members, member{"manufacturer", s.Manufacturer})
	}
	if signed := s.Assertion.Reveal(); signed != "" {
		members = append(members, member{"assertion", signed})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	write := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		return nil
	}
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := write(m.name); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := write(m.value); err != nil {
			return nil, err
		}
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// member is one name and value of a JSON object written in order.
type member struct {
	name  string
	value any
}
