package state

import (
	"errors"
	"strconv"

	"github.com/workshop-login/workshop-login/auth"
)

// The hand-offs of the person signed in: each manufacturer's tools and
// portal get that manufacturer's session only, through its own Handoff.

// vmOfTool is the manufacturer whose Handoff offers the named tool, with
// its session; -1 when none signed in offers it.
func (m *Machine) vmOfTool(name string) int {
	for i, vm := range m.vms {
		if vm.Handoff == nil || m.sessions[i] == nil {
			continue
		}
		for _, t := range vm.Handoff.Tools() {
			if t == name {
				return i
			}
		}
	}
	return -1
}

// signedIn says whether s is one of the sessions signed in now.
func (m *Machine) isCurrent(s *auth.Session) bool {
	for _, c := range m.sessions {
		if c != nil && c == s {
			return true
		}
	}
	return false
}

// toolLaunched records how a tool's start went, and shows a failure while
// the person who started it is still signed in.
func (m *Machine) toolLaunched(name string, s *auth.Session, err error) {
	if err == nil {
		m.audit(AuditToolLaunch, s, name)
		return
	}
	m.w.LogError("launching "+name, err)
	var stopped interface{ ExitCode() int }
	var message Text
	if errors.As(err, &stopped) {
		code := strconv.Itoa(stopped.ExitCode())
		m.audit(AuditToolFailed, s, name+": stopped at start, exit "+code)
		message = Text{Key: "ui.tool_stopped_at_start", Params: map[string]any{"Name": name, "Code": code}}
	} else {
		m.audit(AuditToolFailed, s, name+": could not start")
		message = Text{Key: "ui.handoff_failed", Params: map[string]any{"Name": name}}
	}
	if m.isCurrent(s) {
		m.handoffErr = message
		m.mark(Everything)
	}
}

// audit records an event; the session's Manufacturer names whose it was.
func (m *Machine) audit(event string, s *auth.Session, detail string) {
	if m.opts.Audit == nil {
		return
	}
	if err := m.opts.Audit(event, s, detail); err != nil {
		m.w.LogError("writing the audit log", err)
	}
}
