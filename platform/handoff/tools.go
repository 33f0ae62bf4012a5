// Package handoff gives a signed-in technician's identity to the garage's
// diagnostic tools: started locally, they learn who is here from their
// environment and standard input, never from their command line, which
// every user of the machine can read.
package handoff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// Tool is one configured program.
type Tool struct {
	Name    string   `toml:"name"`
	Command string   `toml:"command"`
	Args    []string `toml:"args"`
	Dir     string   `toml:"dir"`
	// PassAccessToken gives the tool the access token, on standard input only.
	PassAccessToken bool `toml:"pass_access_token"`
	// EndAtSignOut ends the tool (and whatever it started) when the person
	// signs out, so the next person does not inherit it.
	EndAtSignOut bool `toml:"end_at_sign_out"`
}

// GracePeriod is how long a tool has to close after the polite request
// before it is ended by force.
const GracePeriod = 5 * time.Second

// Launcher starts tools and ends them at sign-out.
type Launcher struct {
	tools []Tool
	log   *slog.Logger
	grace time.Duration

	mu      sync.Mutex
	running []*started // tools to end at sign-out
}

// started is a launched tool and a channel closed when it has exited.
type started struct {
	cmd  *exec.Cmd
	done chan struct{}
}

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
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Launcher{tools: tools, log: log, grace: GracePeriod}, nil
}

// Names lists the tools, in configuration order.
func (l *Launcher) Names() []string {
	names := make([]string, len(l.tools))
	for i, t := range l.tools {
		names[i] = t.Name
	}
	return names
}

// Launch starts the named tool for the signed-in session.
func (l *Launcher) Launch(name string, s *auth.Session) (*exec.Cmd, error) {
	tool, ok := l.find(name)
	if !ok {
		return nil, fmt.Errorf("no tool is called %q", name)
	}
	cmd := exec.Command(tool.Command, tool.Args...)
	cmd.Dir = tool.Dir
	cmd.Env = append(withoutSERMI(os.Environ()), identityEnv(s.Identity)...)
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
	l.log.Info("tool launched", "tool", tool.Name, "pid", cmd.Process.Pid, "gets_token_on_stdin", tool.PassAccessToken)
	run := &started{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(run.done) }() // reap it
	if tool.EndAtSignOut {
		l.mu.Lock()
		l.running = append(l.running, run)
		l.mu.Unlock()
	}
	return cmd, nil
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
			endGroup(run, l.grace, l.log)
		}()
	}
	wg.Wait()
}

func (l *Launcher) find(name string) (Tool, bool) {
	for _, t := range l.tools {
		if t.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}

// identityEnv is the identity as SERMI_* variables; a UID the session does
// not have is left out rather than set empty.
func identityEnv(id auth.Identity) []string {
	env := []string{
		"SERMI_SUB=" + id.Sub,
		"SERMI_ROLE=" + string(id.Role),
		"SERMI_CABUID=" + id.CABUID.Raw,
		"SERMI_IOUID=" + id.IOUID.Raw,
		"SERMI_IOEUID=" + id.IOEUID.Raw,
	}
	if id.RSSUID != nil && id.RSSEUID != nil {
		env = append(env, "SERMI_RSSUID="+id.RSSUID.Raw, "SERMI_RSSEUID="+id.RSSEUID.Raw)
	}
	return env
}

// withoutSERMI drops SERMI_* variables the kiosk itself inherited, so a tool
// never sees a stale identity.
func withoutSERMI(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if len(kv) < 6 || kv[:6] != "SERMI_" {
			out = append(out, kv)
		}
	}
	return out
}

// IdentityDocument is what a tool reads on its standard input: one JSON
// object, then end of input.
type IdentityDocument struct {
	Sub              string    `json:"sub"`
	Role             auth.Role `json:"role"`
	CABUID           string    `json:"cabuid"`
	IOUID            string    `json:"iouid"`
	IOEUID           string    `json:"ioeuid"`
	RSSUID           string    `json:"rssuid,omitempty"`
	RSSEUID          string    `json:"rsseuid,omitempty"`
	AuthorisationUID string    `json:"authorisation_uid"`
	AccessToken      string    `json:"access_token,omitempty"`
	ExpiresAt        time.Time `json:"expires_at,omitzero"`
}

// identityDocument is the document as one line. A garage's name such as
// "JANSEN & ZN" reaches the tool as written: a tool is no browser, so &, <
// and > are not escaped as \u0026, \u003c and \u003e.
func identityDocument(s *auth.Session, withToken bool) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(newIdentityDocument(s, withToken)) // ends in a newline
	return b.Bytes(), err
}

func newIdentityDocument(s *auth.Session, withToken bool) IdentityDocument {
	id := s.Identity
	d := IdentityDocument{Sub: id.Sub, Role: id.Role, CABUID: id.CABUID.Raw, IOUID: id.IOUID.Raw, IOEUID: id.IOEUID.Raw,
		AuthorisationUID: id.AuthorisationUID(), ExpiresAt: s.ExpiresAt}
	if id.RSSUID != nil && id.RSSEUID != nil {
		d.RSSUID, d.RSSEUID = id.RSSUID.Raw, id.RSSEUID.Raw
	}
	if withToken {
		d.AccessToken = s.AccessToken.Reveal()
	}
	return d
}
